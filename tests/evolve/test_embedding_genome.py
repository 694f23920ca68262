"""The embedding genome end to end on a tiny random MusicGen saved and loaded back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from loopmill.engines.params import GenerationParams
from loopmill.evolve.config import resolve_config
from loopmill.evolve.session import EvolveSession
from tests.evolve.conftest import fast

pytest.importorskip("torch", reason="MusicGen needs torch: pip install 'loopmill[musicgen]'")
pytest.importorskip("transformers", reason="MusicGen needs transformers")

PROMPT = "calm lofi piano, 120 bpm"


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model on two busy cores: one thread is fastest
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.engines.tiny_musicgen import build_tiny_musicgen

    return build_tiny_musicgen(tmp_path_factory.mktemp("mg") / "tiny", window_s=2.0)


def test_the_prompts_own_states_give_the_prompts_audio(tiny: Path) -> None:
    from loopmill.evolve.genomes import EmbeddingGenome
    from loopmill.pipeline.generate import get_engine
    from loopmill.prompts import parse_prompt

    spec = parse_prompt(PROMPT)
    g = EmbeddingGenome(spec, model=str(tiny), seconds=2.0, seed=0)
    assert g.shape[1] == 16 and g.dim == g.shape[0] * 16
    eng = get_engine("musicgen", model=str(tiny))
    (text_audio,) = eng.generate_batch([spec], GenerationParams(), seconds=1.0, seed=0)
    origin = g.decode(g.origin)
    (same,) = eng.generate_batch([spec], origin.params, seconds=1.0, seed=0)
    np.testing.assert_array_equal(same, text_audio)  # the states replace the text exactly
    moved = g.decode(g.origin + 3 * g.spread * np.random.default_rng(0).normal(size=g.dim))
    (other,) = eng.generate_batch([spec], moved.params, seconds=1.0, seed=0)
    assert not np.array_equal(other, text_audio)


def test_an_embedding_run_finds_the_prompts_own_sound(tiny: Path, tmp_path: Path) -> None:
    from loopmill.audio import save
    from loopmill.evolve.evaluate import render_design
    from loopmill.evolve.genomes import EmbeddingGenome
    from loopmill.prompts import parse_prompt

    g = EmbeddingGenome(parse_prompt(PROMPT), model=str(tiny), seconds=2.0, seed=0)
    audio, _ = render_design(g.decode(g.origin).job(), sr=8000)
    save(tmp_path / "target.wav", audio, sr=8000, format="wav")
    cfg = resolve_config(overrides=fast(tmp_path, **{
        "generator.genome": "embedding", "generator.model": str(tiny),
        "generator.prompt": PROMPT, "search.searcher": "random",
        "fitness.target": [str(tmp_path / "target.wav")], "fitness.noise_weight": 0.0,
        "evolution.population": 2, "evolution.generations": 1}))
    s = EvolveSession.create(cfg, tmp_path / "run")
    cands = s.propose()
    assert cands[0].genome["distance"] == 0.0 and cands[1].genome["distance"] > 0
    row = s.step()
    # the target's own states; the target went through a 16-bit WAV, hence not exactly 1
    assert cands[0].fitness == pytest.approx(1.0, abs=1e-4)
    assert row["best"] == pytest.approx(1.0, abs=1e-4)
    assert "conditioning" not in cands[0].design["params"]["extra"]  # kept out of JSON


@pytest.mark.slow
def test_cmaes_searches_the_embedding_space(tiny: Path, tmp_path: Path) -> None:
    pytest.importorskip("evotorch", reason="the evolve extra")
    cfg = resolve_config(overrides=fast(tmp_path, **{
        "generator.genome": "embedding", "generator.model": str(tiny),
        "generator.prompt": PROMPT, "search.searcher": "cmaes",
        "user_model.feedback": "synthetic", "evolution.population": 3,
        "evolution.generations": 2}))
    s = EvolveSession.create(cfg, tmp_path / "run")
    s.propose()
    s.step()
    cands = s.propose()
    assert len(cands) == 3 and all(0 < c.genome["distance"] < 5 for c in cands)


def test_the_best_loop_and_its_state_claim_one_free_name(tiny: Path, tmp_path: Path) -> None:
    """The published loop, its sidecar and its MusicGen state share one stem claimed
    at once: a state file already there (someone else's) moves all three to ``_2``,
    and the sidecar names the state file that was written."""
    cfg = resolve_config(overrides=fast(tmp_path, **{
        "generator.genome": "embedding", "generator.model": str(tiny),
        "generator.prompt": PROMPT, "search.searcher": "random",
        "user_model.feedback": "synthetic", "evolution.population": 2,
        "evolution.generations": 1, "logger.write_best": True, "logger.name": "e",
        "logger.format": "wav"}))
    loops = tmp_path / "loops"
    loops.mkdir()
    (loops / "e_g0000_best.conditioning.npy").write_bytes(b"not ours")
    s = EvolveSession.create(cfg, tmp_path / "runs" / "e")
    s.propose()
    s.step()
    assert (loops / "e_g0000_best.conditioning.npy").read_bytes() == b"not ours"
    assert not (loops / "e_g0000_best.wav").exists()
    assert not (loops / "e_g0000_best.json").exists()
    side = json.loads((loops / "e_g0000_best_2.json").read_text())
    name = side["params"]["extra"]["conditioning"]
    assert name == "e_g0000_best_2.conditioning.npy"
    state = np.load(loops / name)
    assert state.dtype == np.float32 and state.ndim >= 2
