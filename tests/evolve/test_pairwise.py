"""Pairwise questions ("this one or the champion?") once star ratings saturate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loopmill.errors import BadInputError
from loopmill.evolve.config import resolve_config
from loopmill.evolve.listener import ListenerConfig, ListenerModel, SyntheticListener
from loopmill.evolve.pairwise import ask_pair
from tests.evolve.conftest import fast

D = 24


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _converged_world(seed: int) -> tuple[np.ndarray, np.ndarray, SyntheticListener]:
    """A random pool the listener calibrates on, and 48 loops a converged search would
    render: around a good point off the taste (a search settles beside it, not on it),
    every one better than the pool's best 5 %."""
    rng = np.random.default_rng(seed)
    taste = rng.normal(size=D)
    pool = rng.normal(size=(40, D))
    person = SyntheticListener(taste, noise=0.3, seed=seed).calibrate(pool)
    off = rng.normal(size=D)
    off -= (off @ taste) / (taste @ taste) * taste  # sideways
    centre = taste + 0.8 * off / np.linalg.norm(off) * np.linalg.norm(taste)
    near = centre + rng.normal(size=(4000, D)) * 0.5 * np.linalg.norm(taste) / np.sqrt(D)
    near = near[person.true_score(near) > np.percentile(person.true_score(pool), 95)][:48]
    return pool, near, person


def _rank(model: ListenerModel, person: SyntheticListener, x: np.ndarray) -> float:
    pred, true = model.predict(x), person.true_score(x)
    return float(np.corrcoef(np.argsort(np.argsort(pred)), np.argsort(np.argsort(true)))[0, 1])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pairs_learn_the_taste_where_stars_saturate(seed: int) -> None:
    """As in a session: stars of random loops, stars of the first good loops until they
    saturate; then the other 40 good loops rated with stars (all 5s), or as questions
    against the champion."""
    pool, near, person = _converged_world(seed)
    assert len(near) == 48
    stars = person.rate(near, rng=np.random.default_rng(seed))
    assert np.mean(stars == 5) > 0.9  # saturated: the stars cannot tell these apart
    models = {k: ListenerModel(D, ListenerConfig(seed=seed, memory_length=200))
              for k in ("stars", "pairs")}
    first = list(person.rate(pool[:16], rng=np.random.default_rng(seed + 10)))
    for m in models.values():
        m.observe(pool[:16], first)
        m.observe(near[:8], list(stars[:8]))
        m.train()
    models["stars"].observe(near[8:], list(stars[8:]))
    pm = models["pairs"]
    rng = np.random.default_rng(seed + 20)
    champion = near[int(np.argmax(pm.predict(near[:8])))]
    for e in near[8:]:
        if person.prefer(e, champion, rng=rng):
            pm.observe_pair(e, champion)
            champion = e
        else:
            pm.observe_pair(champion, e)
    for m in models.values():
        m.train()
    cos = {k: _cos(m.taste(), person.taste) for k, m in models.items()}
    rank = {k: _rank(m, person, near) for k, m in models.items()}
    # closer to the taste, and it ranks the good loops among themselves better
    assert cos["pairs"] > cos["stars"] + 0.005, cos
    assert rank["pairs"] > rank["stars"], rank


def test_prefer_is_seeded_and_mostly_right() -> None:
    rng = np.random.default_rng(5)
    pool = rng.normal(size=(200, D))
    person = SyntheticListener(rng.normal(size=D), noise=0.3).calibrate(pool)
    a, b = pool[:100], pool[100:]
    one = [person.prefer(x, y, rng=np.random.default_rng([7, i]))
           for i, (x, y) in enumerate(zip(a, b, strict=True))]
    two = [person.prefer(x, y, rng=np.random.default_rng([7, i]))
           for i, (x, y) in enumerate(zip(a, b, strict=True))]
    assert one == two  # the same generator, the same answers (a resumed run agrees)
    right = np.mean(np.array(one) == (person.true_score(a) > person.true_score(b)))
    assert 0.8 < right < 1.0  # noisy, but it hears the difference


def test_when_to_ask_for_pairs() -> None:
    kw = {"saturation": 0.5, "window": 4}
    fives = [5.0, 5.0, 5.0, 4.0]
    assert not ask_pair("never", fives, pairs=0, champion=True, **kw)
    assert not ask_pair("always", [], pairs=0, champion=False, **kw)  # nothing to compare
    assert ask_pair("always", [1.0], pairs=0, champion=True, **kw)
    assert ask_pair("saturated", fives, pairs=0, champion=True, **kw)  # 3 of 4 > half
    assert not ask_pair("saturated", [5.0, 5.0, 4.0, 3.0], pairs=0, champion=True, **kw)
    assert not ask_pair("saturated", [5.0, 5.0, 5.0], pairs=0, champion=True, **kw)  # too few
    assert not ask_pair("saturated", [5.0] * 4 + [3.0] * 3, pairs=0, champion=True, **kw)
    assert ask_pair("saturated", [3.0], pairs=2, champion=True, **kw)  # once begun, stays


def _run(tmp: Path, name: str, generations: int, **more: object) -> dict[str, object]:
    return fast(tmp, **{"search.searcher": "cmaes", "user_model.feedback": "synthetic",
                        "user_model.save": False, "evolution.population": 4,
                        "evolution.generations": generations, "logger.name": name, **more})


def test_a_session_asks_pairs_and_resumes_the_same(tmp_path: Path) -> None:
    pytest.importorskip("evotorch", reason="the evolve extra: pip install 'loopmill[evolve]'")
    from loopmill.evolve.run import run_evolution

    whole = run_evolution(resolve_config(overrides=_run(
        tmp_path, "whole", 3, **{"user_model.pairwise": "always"}))).history
    assert [r["pairs"] for r in whole] == [0, 4, 4]  # stars first: no champion yet
    assert [r["ratings"] for r in whole] == [4, 8, 12]
    run_evolution(resolve_config(overrides=_run(tmp_path, "part", 2,
                                                **{"user_model.pairwise": "always"})))
    resumed = run_evolution(resume=tmp_path / "runs" / "part", generations=3).history
    keys = ("best", "mean", "pairs", "ratings", "best_genome")
    assert [{k: r[k] for k in keys} for r in resumed] == [{k: r[k] for k in keys}
                                                          for r in whole]
    never = run_evolution(resolve_config(overrides=_run(
        tmp_path, "never", 2, **{"user_model.pairwise": "never"}))).history
    assert [r["pairs"] for r in never] == [0, 0]


def test_rate_vs_champion_needs_a_champion(tmp_path: Path) -> None:
    pytest.importorskip("evotorch", reason="the evolve extra: pip install 'loopmill[evolve]'")
    from loopmill.evolve.session import EvolveSession

    cfg = resolve_config(overrides=_run(tmp_path, "s", 2, **{"fitness.mode": "dynamic"}))
    s = EvolveSession.create(cfg, tmp_path / "s")
    cands = s.propose()
    assert s.question() == "stars" and s.champion is None
    with pytest.raises(BadInputError, match="no champion"):
        s.rate_vs_champion(cands[0].id, True)
    for c, stars in zip(cands, (5, 5, 5, 5), strict=True):
        s.rate(c.id, stars)
    s.step()
    assert s.champion is not None and s.champion["id"] in {c.id for c in cands}
    nxt = s.propose()
    # four 5s, but the window (8) is not full yet: still stars
    assert s.question() == "stars"
    s2 = EvolveSession.open(tmp_path / "s")
    assert s2.champion is not None and s2.champion["id"] == s.champion["id"]
    s2.rate_vs_champion(nxt[0].id, True)
    assert s2.champion is not None and s2.champion["id"] == nxt[0].id
    assert s2.question() == "pair"  # a pairwise answer was given: pairs from now on
    s.close()
    s2.close()
