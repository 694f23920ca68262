"""Optional packages: import one, or fail in one line that names the extra to install.

The base install runs the default engine; everything heavy lives in an extra
(``pip install 'loopmill[train]'``). Every place that needs one asks :func:`require`,
so a missing package is the same one-line error from every command.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from loopmill.errors import MissingDependencyError

__all__ = ["EXTRAS", "ensure_installed", "require"]

#: importable module -> (pip package, the loopmill extra that brings it)
EXTRAS: dict[str, tuple[str, str]] = {
    "torch": ("torch", "train"),
    "transformers": ("transformers", "musicgen"),
    "distributed": ("dask[distributed]", "cluster"),
    "fsspec": ("fsspec", "s3"),
    "s3fs": ("s3fs", "s3"),
    "evotorch": ("evotorch", "evolve"),
    "fastapi": ("fastapi", "studio"),
    "uvicorn": ("uvicorn", "studio"),
}


def _missing(module: str, missing: str, *, what: str, extra: str | None) -> MissingDependencyError:
    package, default_extra = EXTRAS.get(module, (module, None))
    name = extra or default_extra
    hint = f"pip install 'loopmill[{name}]'" if name else f"pip install {package}"
    return MissingDependencyError(f"{what} needs {missing}, which is not installed; {hint}")


def ensure_installed(module: str, *, what: str, extra: str | None = None) -> None:
    """Like :func:`require`, without importing (torch and transformers take seconds):
    a check that can fail fast, before any slow import."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a None in sys.modules
        found = False
    if not found:
        raise _missing(module, module, what=what, extra=extra)


def require(module: str, *, what: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise a one-line :class:`MissingDependencyError`.

    Parameters
    ----------
    module : str
        e.g. ``"torch"``.
    what : str
        What needs it, for the message: ``"the musicgen engine"``.
    extra : str, optional
        The extra to name; default the module's own in :data:`EXTRAS`.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise _missing(module, exc.name or module, what=what, extra=extra) from None
