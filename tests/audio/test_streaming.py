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


@pytest.fixture(scope="module")
def long_signal() -> np.ndarray:
    rng = np.random.default_rng(32)
    t = np.arange(30 * SR) / SR  # over 2^20 frames: the two-thread decoder takes it
    tone = 0.3 * np.sin(2 * np.pi * 330 * t) + 0.05 * rng.standard_normal(t.size)
    return np.stack([tone, -0.7 * tone]).astype(np.float32)


@pytest.mark.parametrize("fmt", ["flac", "ogg"])
def test_two_thread_decode_equals_one_thread(
    long_signal: np.ndarray, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loopmill.audio import _parallel

    path = save(tmp_path / f"long.{fmt}", long_signal, sr=SR)
    import soundfile as sf

    with sf.SoundFile(str(path)) as f:
        assert _parallel.eligible(f)
    both, _ = load(path)
    mono2, _ = load(path, sr=22050, mono=True)
    monkeypatch.setattr(_parallel, "eligible", lambda f: False)
    one, _ = load(path)
    mono1, _ = load(path, sr=22050, mono=True)
    np.testing.assert_array_equal(both, one)
    assert mono2.shape == mono1.shape
    np.testing.assert_allclose(mono2, mono1, atol=1e-5)


def test_two_thread_decode_reports_a_truncated_flac(
    long_signal: np.ndarray, tmp_path: Path
) -> None:
    path = save(tmp_path / "long.flac", long_signal, sr=SR)
    data = path.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(BadInputError, match="truncated"):
        load(cut)
