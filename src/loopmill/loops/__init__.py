"""Loop search, seam scoring, splicing and exact-tempo stretching.

The submodules load on first use: ``loopmill generate`` needs ``Loop`` but not the
loop search, and importing all of it (with the analysis) cost every command ~50 ms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopmill._lazy import lazy_exports

if TYPE_CHECKING:  # the same names as _LAZY, for type checkers
    from loopmill.loops.make import LoopCut as LoopCut
    from loopmill.loops.make import LoopPlan as LoopPlan
    from loopmill.loops.make import cut_planned as cut_planned
    from loopmill.loops.make import make_loop as make_loop
    from loopmill.loops.make import measure_loop as measure_loop
    from loopmill.loops.make import plan_loop as plan_loop
    from loopmill.loops.seam import SeamReport as SeamReport
    from loopmill.loops.seam import seam_report as seam_report
    from loopmill.loops.seam import seam_score as seam_score
    from loopmill.loops.search import Candidate as Candidate
    from loopmill.loops.search import find_candidates as find_candidates
    from loopmill.loops.search import search_features as search_features
    from loopmill.loops.splice import align_splice as align_splice
    from loopmill.loops.splice import crossfade_gains as crossfade_gains
    from loopmill.loops.splice import cut_loop as cut_loop
    from loopmill.loops.stretch import loop_length_samples as loop_length_samples
    from loopmill.loops.stretch import stretch_loop as stretch_loop
    from loopmill.loops.types import Loop as Loop

#: public name -> the submodule that defines it
_LAZY = {
    "LoopCut": ".make", "LoopPlan": ".make", "cut_planned": ".make", "make_loop": ".make",
    "measure_loop": ".make", "plan_loop": ".make", "SeamReport": ".seam",
    "seam_report": ".seam", "seam_score": ".seam", "Candidate": ".search",
    "find_candidates": ".search", "search_features": ".search", "align_splice": ".splice",
    "crossfade_gains": ".splice", "cut_loop": ".splice", "loop_length_samples": ".stretch",
    "stretch_loop": ".stretch", "Loop": ".types",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
