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

from typing import Any

__all__ = ["EvolveSession", "resolve_config", "run_evolution"]


def __getattr__(name: str) -> Any:
    # lazy: importing loopmill.evolve must not import evotorch (and Ray) or torch
    if name == "EvolveSession":
        from loopmill.evolve.session import EvolveSession

        return EvolveSession
    if name == "resolve_config":
        from loopmill.evolve.config import resolve_config

        return resolve_config
    if name == "run_evolution":
        from loopmill.evolve.run import run_evolution

        return run_evolution
    raise AttributeError(name)
