"""``evolve``: evolutionary search toward a target track or a listener's taste, offline.

A genome (:mod:`.genomes`) decodes an individual to a render request; the pipeline's
engine renders it (:mod:`.evaluate`); an embedder (:mod:`.embed`) turns the audio into
a vector; a fitness (:mod:`.fitness`) scores it against target tracks or a listener
model (:mod:`.listener`); a searcher (:mod:`.searchers`, :mod:`.operators`) proposes
the next population. :class:`~loopmill.evolve.session.EvolveSession` is the ask/tell
API (``propose``, ``rate``, ``step``) that the CLI and the studio drive;
:func:`~loopmill.evolve.run.run_evolution` runs a whole configured evolution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopmill._lazy import lazy_exports

if TYPE_CHECKING:  # the same names as _LAZY, for type checkers
    from loopmill.evolve.config import resolve_config as resolve_config
    from loopmill.evolve.run import run_evolution as run_evolution
    from loopmill.evolve.session import EvolveSession as EvolveSession

#: public name -> the submodule that defines it; lazy: importing loopmill.evolve must not
#: import evotorch (and Ray) or torch
_LAZY = {"EvolveSession": ".session", "resolve_config": ".config", "run_evolution": ".run"}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
