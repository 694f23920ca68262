"""Loop search, seam scoring, splicing and exact-tempo stretching."""

from loopmill.loops.make import LoopCut, LoopPlan, cut_planned, make_loop, measure_loop, plan_loop
from loopmill.loops.seam import SeamReport, seam_report, seam_score
from loopmill.loops.search import Candidate, find_candidates, search_features
from loopmill.loops.splice import align_splice, crossfade_gains, cut_loop
from loopmill.loops.stretch import loop_length_samples, stretch_loop
from loopmill.loops.types import Loop

__all__ = [
    "Candidate",
    "Loop",
    "LoopCut",
    "LoopPlan",
    "SeamReport",
    "align_splice",
    "crossfade_gains",
    "cut_loop",
    "cut_planned",
    "find_candidates",
    "loop_length_samples",
    "make_loop",
    "measure_loop",
    "plan_loop",
    "seam_report",
    "seam_score",
    "search_features",
    "stretch_loop",
]
