"""The search benchmark's arithmetic: normalised regret and ratings to 90 %, on known data."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pytest


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "evolve_bench.py"
    spec = importlib.util.spec_from_file_location("evolve_bench", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_regret_and_ratings_to_90_on_known_scores() -> None:
    b = _bench()
    # random's loops: median 0.5, so typical = 0.5 and normalised v = (v - 0.5) / 0.5
    rand = {"method": "random", "listener": 0, "rendered": [0.4, 0.5, 0.6],
            "rated": [0.4, 0.5, 0.6]}
    ga = {"method": "ga", "listener": 0, "rendered": [0.5, 0.9, 0.96, 0.7],
          "rated": [0.5, 0.9, 0.96, 0.7]}
    only = {"method": "ga", "listener": 1, "rendered": [0.99], "rated": [0.99]}  # no random
    res = b.summarise([rand, ga, only], methods=("random", "ga"))
    assert res["listeners"] == [0]  # listener 1 lacks a random run: left out
    assert res["regret"]["random"] == [pytest.approx(0.8)]  # (1 - 0.6) / (1 - 0.5)
    assert res["regret"]["ga"] == [pytest.approx(0.08)]  # (1 - 0.96) / 0.5
    assert res["asked"]["ga"] == [3.0]  # 0.96 -> 0.92 >= 0.9 at the third rating
    assert math.isinf(res["asked"]["random"][0])  # never reached 0.9


def test_every_method_has_its_settings() -> None:
    b = _bench()
    for m in (*b.SEARCHES, "surrogate-box", "surrogate-rated"):
        assert "search.searcher" in b._overrides(m, batch=8, rate_top=4)
    # the surrogate rates what it renders; its variants state every setting they change
    assert "user_model.rate_top" not in b._overrides("surrogate", batch=8, rate_top=4)
    assert b._overrides("surrogate-rated", batch=8, rate_top=4)["user_model.rate_top"] == 4
    box = b._overrides("surrogate-box", batch=8, rate_top=4)
    assert (box["search.proposals"], box["search.beta"]) == ("box", 1.0)


def test_ratings_to_90_is_a_censored_median() -> None:
    b = _bench()
    inf = math.inf
    # 3 of 5 got there: the median is a number, the two that never did count as > limit
    assert b.censored_median([10.0, inf, 30.0, inf, 20.0], 160) == (30.0, False)
    # 2 of 5: more than half never got there, so all we know is "> 80"
    assert b.censored_median([10.0, inf, inf, inf, 20.0], 80) == (80.0, True)
    assert b._fmt_asks(80.0, True) == "> 80" and b._fmt_asks(30.0, False) == "30"
    # the surrogate's 60 against a GA that needed more than 160: a bound, below 0.5
    assert b._vs((60.0, False), (160.0, True)) == "< 0.38"
    assert b._vs((80.0, True), (40.0, False)) == "> 2.00"
    assert b._vs((80.0, True), (160.0, True)) == "?"
    rand = {"method": "random", "listener": 0, "rendered": [0.4, 0.5, 0.6], "rated": [0.6]}
    ga = {"method": "ga", "listener": 0, "rendered": [0.5], "rated": [0.5, 0.5]}
    res = b.summarise([rand, ga], methods=("random", "ga"))
    assert res["to_90"]["ga"] == (2.0, True)  # it gave 2 ratings and never got there
