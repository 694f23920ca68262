"""Packages whose public names load on first use, driven by one table each.

``import loopmill`` (and every CLI start) must stay light: the public names of
:mod:`loopmill`, :mod:`loopmill.loops` and :mod:`loopmill.evolve` live in modules that
import numpy, the analysis or torch. Each package declares one table, *name → module
that defines it*, and gets its ``__getattr__`` and ``__dir__`` from
:func:`lazy_exports`::

    _LAZY = {"make_loop": "loopmill.loops.make", "Loop": "loopmill.loops.types"}
    __all__ = [*_LAZY]
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY)

A ``TYPE_CHECKING`` block beside the table imports the same names for type checkers
(the package ships ``py.typed``); a test holds the two in step.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package`` that import each name of
    ``table`` from its module on first use (then keep it in the package).

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    table : Mapping[str, str]
        Public name → the module that defines it (absolute, or relative to ``package``
        with a leading dot).
    """

    def __getattr__(name: str) -> Any:
        where = table.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where, package), name)
        setattr(sys.modules[package], name, value)  # found directly from now on
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *table})

    return __getattr__, __dir__
