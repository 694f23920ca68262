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
    for m in (*b.SEARCHES, "surrogate-all"):
        assert "search.searcher" in b._overrides(m, batch=8, rate_top=4)
    assert b._overrides("surrogate", batch=8, rate_top=4)["user_model.rate_top"] == 4
