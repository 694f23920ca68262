"""The composer renders its controls exactly, records them, and moves smoothly with them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from loopmill.engines.composer.controls import ComposerControls
from loopmill.engines.composer.engine import ComposerEngine
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError
from loopmill.prompts import parse_prompt

SR = 22050


def _render(prompt: str, seed: int, controls: object = None) -> tuple[np.ndarray, dict]:
    spec = parse_prompt(prompt, seed=seed, min_duration=8, max_duration=11)
    extra = {} if controls is None else {"controls": controls}
    out = ComposerEngine().generate(spec, GenerationParams(extra=extra), sr=SR)
    return out.audio, out.info


def _centroid(y: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(y.mean(axis=0)))
    f = np.fft.rfftfreq(y.shape[1], 1 / SR)
    return float((spec * f).sum() / spec.sum())


def test_recorded_controls_make_the_same_loop_again() -> None:
    a, info = _render("dark synthwave, D minor, 100 BPM", 5)
    ctl = info["controls"]
    assert all(ctl[k] is not None for k in ("energy", "density", "brightness", "swing"))
    b, info_b = _render("dark synthwave, D minor, 100 BPM", 5, ctl)
    assert info_b["controls"] == ctl
    np.testing.assert_array_equal(a, b)


def test_brightness_raises_the_spectral_centroid() -> None:
    dark, _ = _render("synthwave, A minor, 100 BPM", 2, {"brightness": 0.05})
    bright, _ = _render("synthwave, A minor, 100 BPM", 2, ComposerControls(brightness=0.95))
    assert _centroid(bright) > 1.2 * _centroid(dark)


def test_a_level_of_zero_silences_a_part() -> None:
    full, _ = _render("house, C minor, 124 BPM", 3)
    quiet, info = _render("house, C minor, 124 BPM", 3, {"levels": {"drums": 0.0}})
    assert info["controls"]["levels"] == {"drums": 0.0}
    # house's hats are its air: without the drums the share above 8 kHz collapses
    def air(y: np.ndarray) -> float:
        power = np.abs(np.fft.rfft(y.mean(axis=0))) ** 2
        return float(power[np.fft.rfftfreq(y.shape[1], 1 / SR) > 8000].sum() / power.sum())
    assert air(quiet) < 0.3 * air(full)


def test_bad_controls_in_params_name_the_field() -> None:
    with pytest.raises(BadInputError, match="control energy 2"):
        _render("synthwave", 1, {"energy": 2})
    with pytest.raises(BadInputError, match="pass a ComposerControls or a dict"):
        _render("synthwave", 1, [0.5])


def test_generate_records_controls_in_sidecar_and_catalog(tmp_path: Path) -> None:
    from loopmill.pipeline.generate import generate_files
    from loopmill.pipeline.request import GenerateRequest as Req
    from loopmill.storage.catalog import Catalog

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"energy": 0.9, "space": 0.2}))
    report = generate_files(Req(prompt="lofi, F major, 80 BPM", dest=tmp_path / "out", seed=4,
                                keep_metadata=True, controls=path,
                                catalog=tmp_path / "cat.db", max_duration=12))
    (wav, loop), = report.written
    side = json.loads(wav.with_suffix(".json").read_text())
    assert side["controls"]["energy"] == 0.9 and side["controls"]["space"] == 0.2
    assert side["controls"]["swing"] is not None  # resolved, not left to the genre
    with Catalog(tmp_path / "cat.db") as cat:
        (rec,) = cat.query()
    assert rec["extra"]["controls"] == side["controls"]
    # the sidecar itself is a controls file: the same loop again
    again = generate_files(Req(prompt="lofi, F major, 80 BPM", dest=tmp_path / "again",
                               seed=4, controls=wav.with_suffix(".json"), catalog=False,
                               max_duration=12))
    np.testing.assert_array_equal(again.written[0][1].audio, loop.audio)


def test_controls_need_the_composer(tmp_path: Path) -> None:
    from loopmill.pipeline.generate import generate

    with pytest.raises(BadInputError, match="controls work with the composer engine"):
        generate("x", engine="musicgen", controls={"energy": 0.5}, model=str(tmp_path))
