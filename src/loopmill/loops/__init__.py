"""Loop search, seam scoring, splicing and exact-tempo stretching.

The submodules load on first use: ``loopmill generate`` needs ``Loop`` but not the
loop search, and importing all of it (with the analysis) cost every command ~50 ms.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loopmill.loops.make import (
        LoopCut,
        LoopPlan,
        cut_planned,
        make_loop,
        measure_loop,
        plan_loop,
    )
    from loopmill.loops.seam import SeamReport, seam_report, seam_score
    from loopmill.loops.search import Candidate, find_candidates, search_features
    from loopmill.loops.splice import align_splice, crossfade_gains, cut_loop
    from loopmill.loops.stretch import loop_length_samples, stretch_loop
    from loopmill.loops.types import Loop

_WHERE = {
    "LoopCut": "make", "LoopPlan": "make", "cut_planned": "make", "make_loop": "make",
    "measure_loop": "make", "plan_loop": "make", "SeamReport": "seam",
    "seam_report": "seam", "seam_score": "seam", "Candidate": "search",
    "find_candidates": "search", "search_features": "search", "align_splice": "splice",
    "crossfade_gains": "splice", "cut_loop": "splice", "loop_length_samples": "stretch",
    "stretch_loop": "stretch", "Loop": "types",
}

__all__ = [
    "Candidate", "Loop", "LoopCut", "LoopPlan", "SeamReport", "align_splice",
    "crossfade_gains", "cut_loop", "cut_planned", "find_candidates", "loop_length_samples",
    "make_loop", "measure_loop", "plan_loop", "seam_report", "seam_score",
    "search_features", "stretch_loop",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"loopmill.loops.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'loopmill.loops' has no attribute {name!r}")
