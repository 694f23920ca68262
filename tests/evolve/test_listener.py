"""The listener model learns a hidden taste from synthetic ratings; it saves and loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loopmill.errors import BadInputError
from loopmill.evolve.listener import ListenerConfig, ListenerModel, SyntheticListener
from loopmill.storage.catalog import Catalog

D = 24


def _world(seed: int = 0) -> tuple[np.ndarray, SyntheticListener]:
    rng = np.random.default_rng(seed)
    pool = rng.normal(size=(400, D))
    taste = rng.normal(size=D)
    return pool, SyntheticListener(taste, noise=0.3, seed=seed).calibrate(pool)


@pytest.mark.parametrize("init", ["mean", "rand", "rmean"])
def test_learns_the_hidden_taste_from_stars(init: str) -> None:
    pool, person = _world()
    model = ListenerModel(D, ListenerConfig(init=init, epochs=80, seed=1))
    for r in range(10):  # 10 rounds of 8 ratings
        batch = pool[r * 8:(r + 1) * 8]
        model.observe(batch, list(person.rate(batch)))
        model.train()
    unseen = pool[200:]
    cos = float(np.dot(model.taste(), person.taste)
                / np.linalg.norm(model.taste()) / np.linalg.norm(person.taste))
    pred, true = model.predict(unseen), person.true_score(unseen)
    rank = np.corrcoef(np.argsort(np.argsort(pred)), np.argsort(np.argsort(true)))[0, 1]
    assert cos > 0.8 and rank > 0.75


def test_pairs_and_likes_and_projection() -> None:
    pool, person = _world(2)
    model = ListenerModel(D, ListenerConfig(projection=True, epochs=80))
    for i in range(0, 60, 2):
        a, b = pool[i], pool[i + 1]
        win, lose = (a, b) if person.prefer(a[None], b[None]) else (b, a)
        model.observe_pair(win, lose)
    likes = pool[100:130]
    model.observe(likes, [1.0 if s > person.center else -1.0
                          for s in person.true_score(likes)], kind="like")
    loss = model.train()
    assert np.isfinite(loss) and model.tau > 0
    pred, true = model.predict(pool[200:]), person.true_score(pool[200:])
    assert np.corrcoef(pred, true)[0, 1] > 0.6


def test_save_load_round_trip_and_errors(tmp_path: Path) -> None:
    pool, person = _world(3)
    model = ListenerModel(D, ListenerConfig(projection=True), name="ana")
    model.observe(pool[:16], list(person.rate(pool[:16])))
    model.train()
    path = model.save(tmp_path / "ana.json")
    back = ListenerModel.load(path)
    np.testing.assert_allclose(back.predict(pool[20:30]), model.predict(pool[20:30]))
    assert back.name == "ana" and back.tau == pytest.approx(model.tau)
    with pytest.raises(BadInputError, match="out of range"):
        model.observe(pool[:1], [9.0])
    with pytest.raises(BadInputError, match="made for 24"):
        model.predict(np.zeros((1, 5)))
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(BadInputError, match="not a loopmill listener model"):
        ListenerModel.load(tmp_path / "x.json")
    with pytest.raises(BadInputError, match=r"user_model\.init 'zero'"):
        ListenerConfig(init="zero")


def test_learns_from_catalog_ratings(tmp_path: Path) -> None:
    pool, person = _world(4)
    with Catalog(tmp_path / "c.sqlite") as cat:
        ids = [cat.add({"name": f"l{i}", "extra": {"vec": pool[i].tolist()}}) for i in range(40)]
        for i, lid in enumerate(ids[:30]):
            cat.add_rating(lid, float(person.rate(pool[i][None])[0]), listener="bo")
        cat.add_rating(ids[30], 1, listener="bo", kind="pair", other_id=ids[31])
        model = ListenerModel(D, name="bo")
        used = model.observe_catalog(cat, lambda row: np.asarray(row["extra"]["vec"]))
    assert used == 31
    model.train()
    assert np.corrcoef(model.predict(pool[40:]), person.true_score(pool[40:]))[0, 1] > 0.6


def test_memory_keeps_the_latest_ratings_and_the_temperature_is_learned() -> None:
    pool, person = _world(4)
    model = ListenerModel(D, ListenerConfig(memory_length=8, temperature=0.1, epochs=60))
    model.observe(pool[:20], list(person.rate(pool[:20])))
    for i in range(20, 40, 2):
        model.observe_pair(pool[i], pool[i + 1])
    # only the 8 most recent of each kind are kept, in order
    assert len(model.items) == 8 and len(model.pairs) == 8
    np.testing.assert_array_equal(np.stack([e for e, _ in model.items]), pool[12:20])
    np.testing.assert_array_equal(model.pairs[0][0], pool[24])
    model.train()
    assert abs(np.log(model.tau) - np.log(0.1)) > 1e-3  # tau moved off its start
