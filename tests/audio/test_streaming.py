"""Streaming reads: a region equals the same slice of a full decode; mono+resample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loopmill.audio import load, load_region, save
from loopmill.errors import BadInputError

SR = 44100


@pytest.fixture(scope="module")
def signal() -> np.ndarray:
    rng = np.random.default_rng(31)
    t = np.arange(20 * SR) / SR
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)
    return np.stack([tone, 0.5 * tone]).astype(np.float32)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_region_equals_slice_of_full_decode(
    signal: np.ndarray, tmp_path: Path, fmt: str
) -> None:
    path = save(tmp_path / f"x.{fmt}", signal, sr=SR)
    full, sr = load(path)
    start, stop = 7 * SR + 123, 15 * SR + 456
    region, sr2 = load_region(path, start=start, stop=stop)
    assert sr2 == sr == SR
    assert region.shape == (2, stop - start)
    np.testing.assert_allclose(region, full[:, start:stop], atol=1e-6)


def test_streamed_mono_resample_matches_in_memory(signal: np.ndarray, tmp_path: Path) -> None:
    # 20 s spans several 2^18-frame blocks: the block joins must not show.
    path = save(tmp_path / "x.flac", signal, sr=SR)
    streamed, sr = load(path, sr=22050, mono=True)
    whole, _ = load(path)
    from loopmill.audio import resample

    ref = resample(whole.mean(axis=0, keepdims=True), orig_sr=SR, target_sr=22050)
    assert sr == 22050 and streamed.shape[0] == 1
    assert abs(streamed.shape[1] - ref.shape[1]) <= 2
    n = min(streamed.shape[1], ref.shape[1]) - 100
    err = np.abs(streamed[0, 100:n] - ref[0, 100:n]).max()
    assert err < 2e-3, err


def test_streamed_load_keeps_the_bad_input_checks(tmp_path: Path) -> None:
    import soundfile as sf

    bad = np.zeros((SR * 2, 2), np.float32)
    bad[SR, 0] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, bad, SR, subtype="FLOAT")
    with pytest.raises(BadInputError, match="NaN"):
        load(path, sr=22050, mono=True)
    with pytest.raises(BadInputError, match="limit"):
        load(path, sr=22050, mono=True, max_duration=1.0)
    with pytest.raises(BadInputError, match="empty or negative"):
        load_region(path, start=10, stop=5)


def test_long_ogg_is_written_without_crashing(tmp_path: Path) -> None:
    # libsndfile 1.2.2 segfaults encoding 60 s+ of Vorbis in one call; save()
    # encodes block-wise, so a 90 s loop must come back whole.
    y = np.zeros((2, 90 * SR), np.float32)
    y[:, ::1000] = 0.5
    path = save(tmp_path / "long.ogg", y, sr=SR)
    back, _ = load(path)
    assert back.shape == (2, 90 * SR)
