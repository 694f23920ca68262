"""The ask/tell session and whole runs on the composer genome, with one-bar 8 kHz renders."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from loopmill.errors import BadInputError
from loopmill.evolve.config import resolve_config
from loopmill.evolve.run import RunStopped, run_evolution
from loopmill.evolve.session import EvolveSession
from tests.evolve.conftest import fast

SEARCHERS = ("random", "ga", "cmaes", "snes", "surrogate")


@pytest.fixture(scope="module")
def runs(hidden_target: tuple[Path, np.ndarray],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Each searcher toward the hidden target loop: 5 candidates, 4 generations, seed 0,
    16 kHz renders (at 8 kHz the features lose their top octave and the landscape flattens).

    A small budget with fixed seeds: benchmarks/evolve_bench.py measures the searchers
    over 20 listeners and 160 loops each."""
    pytest.importorskip("evotorch", reason="the evolve extra: pip install 'loopmill[evolve]'")
    tmp = tmp_path_factory.mktemp("searchers")
    out = {}
    for name in SEARCHERS:
        cfg = resolve_config(overrides=fast(tmp, **{
            "search.searcher": name, "fitness.target": [str(hidden_target[0])],
            "fitness.noise_weight": 0.0, "evolution.population": 5,
            "evolution.generations": 4, "generator.sample_rate": 16000,
            "logger.name": name}))
        out[name] = run_evolution(cfg).history
    return out


@pytest.mark.parametrize("name", ["ga", "cmaes", "snes", "surrogate"])
def test_evolutionary_searchers_improve_over_the_generations(
        runs: dict[str, list[dict[str, Any]]], name: str) -> None:
    h, rand = runs[name], runs["random"]
    assert len(h) == 4
    assert all(b["best_so_far"] >= a["best_so_far"] for a, b in itertools.pairwise(h))
    if name == "surrogate":
        # its proposals maximise an upper confidence bound, so each generation mixes
        # likely winners with deliberate exploration: its last population's mean is not
        # its aim (it swings by +-0.03 from one generation to the next). Its aim is to
        # spend renders on promising genomes: after the first (random) generation they
        # score far above random search's, and the best so far climbs (random's: 0.00)
        later = float(np.mean([r["mean"] for r in h[1:]]))
        assert later > float(np.mean([r["mean"] for r in rand[1:]])) + 0.1
        assert h[-1]["best_so_far"] > h[0]["best_so_far"] + 0.02
        assert h[-1]["best_so_far"] > rand[-1]["best_so_far"] + 0.02
        return
    # the population moves to better music: its mean fitness rises well above the first
    # generation's (random search's does not), and the best so far never drops
    assert h[-1]["mean"] > h[0]["mean"] + 0.05
    assert h[-1]["mean"] > rand[-1]["mean"]


def test_music_fitness_gets_closer_to_the_target_than_random_search(
        runs: dict[str, list[dict[str, Any]]]) -> None:
    # noise weight 0: fitness is the cosine of the loop's embedding to the hidden loop's
    budget = runs["random"][-1]["evaluations"]
    best = {n: max(r["best"] for r in h if r["evaluations"] <= budget) for n, h in runs.items()}
    assert max(best[n] for n in ("ga", "cmaes", "snes")) > best["random"]


def test_surrogate_rates_only_the_most_promising_with_dynamic_fitness(tmp_path: Path) -> None:
    """The genome-space model proposes, the listener model picks who is rated; the
    remembered fitness follows the retrained listener model (rescore)."""
    cfg = resolve_config(overrides=fast(tmp_path, **{
        "search.searcher": "surrogate", "user_model.feedback": "synthetic",
        "user_model.save": False, "user_model.rate_top": 2, "user_model.warmup_ratings": 0,
        "evolution.population": 4, "evolution.generations": 3, "logger.name": "surrogate"}))
    h = run_evolution(cfg).history
    assert [r["ratings"] for r in h] == [2, 4, 6]  # 2 of the 4 rendered each generation
    assert [r["evaluations"] for r in h] == [4, 8, 12]
    s = EvolveSession.open(tmp_path / "runs" / "surrogate")
    seen = s.state.searcher.cache  # type: ignore[attr-defined]
    assert len(seen) == 12
    archive = s.state.archive
    now = {k: float(s.fitness([archive[k]])[0]) for k in seen}  # the last model's scores
    assert max(abs(seen[k] - now[k]) for k in seen) < 1e-9


def test_every_candidate_is_rated_until_the_warmup_ratings_are_in(tmp_path: Path) -> None:
    """``warmup_ratings``: the listener model first hears about every loop, then picks."""
    cfg = resolve_config(overrides=fast(tmp_path, **{
        "search.searcher": "surrogate", "user_model.feedback": "synthetic",
        "user_model.save": False, "user_model.rate_top": 2, "user_model.warmup_ratings": 6,
        "evolution.population": 4, "evolution.generations": 4, "logger.name": "warm"}))
    h = run_evolution(cfg).history
    # 4 and 4 (still under 6 after the first), then 2 of 4 per generation
    assert [r["ratings"] for r in h] == [4, 8, 10, 12]
    assert [r["evaluations"] for r in h] == [4, 8, 12, 16]


def test_the_surrogate_asks_about_half_of_each_generation_after_three_by_default() -> None:
    def plan(**over: Any) -> tuple[int, int]:
        return resolve_config(overrides=over).rating_plan()

    assert plan(**{"search.searcher": "surrogate"}) == (4, 24)  # population 8
    assert plan(**{"search.searcher": "surrogate", "evolution.population": 5}) == (3, 15)
    assert plan(**{"search.searcher": "surrogate", "user_model.rate_top": 0}) == (0, 24)
    assert plan(**{"search.searcher": "cmaes"}) == (0, 0)  # every candidate
    assert plan(**{"search.searcher": "snes", "user_model.rate_top": 2,
                   "user_model.warmup_ratings": 8}) == (2, 8)


def test_the_session_survives_a_restart(tmp_path: Path,
                                        hidden_target: tuple[Path, np.ndarray]) -> None:
    cfg = resolve_config(overrides=fast(tmp_path, **{
        "search.searcher": "random", "fitness.mode": "dynamic",
        "fitness.target": [str(hidden_target[0])], "evolution.population": 3,
        "user_model.path": str(tmp_path / "me.json")}))
    s = EvolveSession.create(cfg, tmp_path / "run", audition=True)
    cands = s.propose()
    assert [c.id for c in cands] == ["g0000-00", "g0000-01", "g0000-02"]
    assert all(Path(str(c.path)).is_file() for c in cands)
    assert s.propose()[0].genome == cands[0].genome  # the same candidates, not new ones
    s.rate(cands[0].id, 5)
    s.rate(cands[1].id, 1)
    with pytest.raises(BadInputError, match="no current candidate 'g0009-00'"):
        s.rate("g0009-00", 3)
    with pytest.raises(BadInputError, match="out of range"):
        s.rate(cands[2].id, 11)
    with pytest.raises(BadInputError, match="already holds an evolution run"):
        EvolveSession.create(cfg, tmp_path / "run")

    again = EvolveSession.open(tmp_path / "run")  # a restart
    back = again.propose()
    assert [c.rating for c in back] == [5.0, 1.0, None]
    row = again.step()
    assert row["generation"] == 0 and row["ratings"] == 2
    assert again.generation == 1 and (tmp_path / "me.json").is_file()  # listener saved
    lines = (tmp_path / "run" / "history.jsonl").read_text().splitlines()
    assert len(lines) == 1
    # the model learned the 5-star loop is better than the 1-star one
    assert back[0].fitness is not None and back[1].fitness is not None
    assert back[0].fitness > back[1].fitness


def _strip(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "step_seconds"} for r in history]


RESUMED = {"cmaes": {"search.searcher": "cmaes"},
           # surrogate-assisted SNES, rating 2 of 4: its distribution and pending pool
           "surrogate-snes": {"search.searcher": "surrogate", "search.proposals": "snes",
                              "user_model.rate_top": 2}}


@pytest.mark.parametrize("name", list(RESUMED))
def test_resume_gives_the_same_history_as_an_uninterrupted_run(tmp_path: Path,
                                                                name: str) -> None:
    if name == "cmaes":
        pytest.importorskip("evotorch", reason="the evolve extra")
    over = fast(tmp_path, **{**RESUMED[name], "user_model.feedback": "synthetic",
                             "evolution.population": 4, "evolution.generations": 4,
                             "user_model.save": False})
    whole = run_evolution(resolve_config(overrides={**over, "logger.name": "whole"}))

    def stop_after_two(row: dict[str, Any]) -> None:
        if row["generation"] == 1:
            raise KeyboardInterrupt  # Ctrl-C: its state was saved after every step

    with pytest.raises(RunStopped, match=r"stopped after 2 of 4 generations.*resume"):
        run_evolution(resolve_config(overrides={**over, "logger.name": "cut"}),
                      on_generation=stop_after_two)
    resumed = run_evolution(resume=tmp_path / "runs" / "cut")
    assert len(resumed.history) == 4
    assert _strip(resumed.history) == _strip(whole.history)
    assert "synthetic_best" in whole.history[0]


def test_the_example_file_runs_prompt_searchers_with_their_own_operators(
        tmp_path: Path, hidden_target: tuple[Path, np.ndarray]) -> None:
    """examples/evolve.yaml holds GA_operators and LLM_genetic_operators: a prompt
    search reads the LLM section only (the GA one once reached it and broke the run)."""
    from tests.prompts.fake_llm import FakeLLM

    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples"
                           / "evolve.yaml").read_text())
    for op in data["LLM_genetic_operators"]:  # marked, to see which prompts are sent
        op["prompt"] = "MARK " + op["prompt"]
    example = tmp_path / "evolve.yaml"
    example.write_text(yaml.safe_dump(data))
    base = fast(tmp_path, **{"generator.genome": "prompt", "evolution.population": 3,
                             "evolution.generations": 1, "fitness.mode": "music",
                             "fitness.target": [str(hidden_target[0])]})
    cfg = resolve_config(example, overrides={**base, "search.searcher": "grammar",
                                             "logger.name": "g"})
    assert cfg.GA_operators and cfg.LLM_genetic_operators
    assert len(run_evolution(cfg).history) == 1
    with FakeLLM() as fake:
        run = run_evolution(resolve_config(example, overrides={
            **base, "logger.name": "l", "search.searcher": "llm-evolve",
            "LLM.base_url": fake.base_url, "LLM.model": "fake", "LLM.backoff": 0.0}))
        sent = " ".join(json.dumps(r["body"]) for r in fake.requests)
    assert len(run.history) == 1 and run.fallbacks == 0
    assert "MARK " in sent  # the file's own LLM operators reached the server


def test_prompt_genome_runs_with_grammar_and_llm_operators(
        tmp_path: Path, hidden_target: tuple[Path, np.ndarray]) -> None:
    from tests.prompts.fake_llm import PROMPTS, FakeLLM

    base = fast(tmp_path, **{"generator.genome": "prompt", "generator.prompt":
                             "calm lofi with piano, 80 BPM", "evolution.population": 3,
                             "evolution.generations": 2,
                             "fitness.target": [str(hidden_target[0])]})
    grammar = run_evolution(resolve_config(overrides={**base, "logger.name": "g"}))
    assert len(grammar.history) == 2 and grammar.fallbacks == 0
    assert "text" in grammar.history[0]["best_genome"]
    with FakeLLM() as fake:
        fake.mode = "malformed"  # garbage: retried, then grammar, counted and reported
        llm = run_evolution(resolve_config(overrides={
            **base, "logger.name": "l", "search.searcher": "llm-evolve",
            "LLM.base_url": fake.base_url, "LLM.model": "fake", "LLM.retries": 1,
            "LLM.backoff": 0.0}))
        assert fake.requests
    assert llm.fallbacks > 0 and llm.history[-1]["llm_fallbacks"] == llm.fallbacks
    assert "not the expected JSON" in llm.fallback_reasons[0]
    assert PROMPTS  # the fake's valid answers are tested in test_operators


def test_seam_and_loudness_weights_are_measured_in_a_run(
        tmp_path: Path, hidden_target: tuple[Path, np.ndarray]) -> None:
    base = fast(tmp_path, **{"search.searcher": "random", "evolution.population": 3,
                             "evolution.generations": 1,
                             "fitness.target": [str(hidden_target[0])]})
    plain = run_evolution(resolve_config(overrides={**base, "logger.name": "p"}))
    weighted = run_evolution(resolve_config(overrides={
        **base, "logger.name": "w", "fitness.seam_weight": 1.0,
        "fitness.loudness_weight": 1.0}))
    # the same seed renders the same candidates; the raw renders peak over what -14 LUFS
    # at -1 dBTP allows, so the loudness term costs the best something
    assert weighted.history[0]["best"] < plain.history[0]["best"] - 1e-3


def test_user_fitness_scores_with_the_saved_listener_model(
        tmp_path: Path, hidden_target: tuple[Path, np.ndarray]) -> None:
    """A listener whose taste is the target's embedding scores as music fitness does."""
    from loopmill.evolve.embed import make_embedder
    from loopmill.evolve.fitness import load_targets
    from loopmill.evolve.listener import ListenerModel

    base = fast(tmp_path, **{"search.searcher": "random", "evolution.population": 3,
                             "evolution.generations": 2})
    emb = load_targets([hidden_target[0]], embedder=make_embedder("features"),
                       sr=base["generator.sample_rate"])[0]
    model = ListenerModel(emb.size, name="ana")
    model.u = emb.astype(np.float64)
    path = model.save(tmp_path / "ana.json")
    music = run_evolution(resolve_config(overrides={
        **base, "logger.name": "m", "fitness.target": [str(hidden_target[0])]}))
    user = run_evolution(resolve_config(overrides={
        **base, "logger.name": "u", "fitness.mode": "user", "user_model.path": str(path),
        "user_model.feedback": "none"}))
    for m, u in zip(music.history, user.history, strict=True):
        assert u["best"] == pytest.approx(m["best"]) and u["mean"] == pytest.approx(m["mean"])
    ListenerModel(5, name="small").save(tmp_path / "small.json")
    with pytest.raises(BadInputError, match="made for 5-value embeddings"):
        run_evolution(resolve_config(overrides={
            **base, "logger.name": "s", "fitness.mode": "user",
            "user_model.path": str(tmp_path / "small.json")}))
