"""Audio, loop-point and tag round trips through every write format."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from loopmill.audio import (
    WRITE_FORMATS,
    LoopPoints,
    info,
    load,
    read_loop_points,
    read_tags,
    save,
    write_loop_points,
    write_tags,
)

CASES = [
    ("wav", 16, "PCM_16"),
    ("wav", 24, "PCM_24"),
    ("wav", "float", "FLOAT"),
    ("flac", 16, "PCM_16"),
    ("flac", 24, "PCM_24"),
    ("ogg", 16, "VORBIS"),
    ("mp3", 16, "MPEG_LAYER_III"),
]
TAGS = {"LOOPMILL_BPM": "120.000", "LOOPMILL_SEAM_SCORE": "0.913", "LOOPMILL_KEY": "F# minor"}


def test_write_formats_tuple() -> None:
    assert WRITE_FORMATS == ("wav", "flac", "ogg", "mp3")


@pytest.mark.parametrize(("fmt", "depth", "subtype"), CASES)
def test_loop_points_and_tags_round_trip(
    tmp_path: Path, stereo: tuple[np.ndarray, int], fmt: str, depth: int | str, subtype: str
) -> None:
    y, sr = stereo
    loop = LoopPoints(start=12345, length=44100 + 7)
    out = save(tmp_path / f"a.{fmt}", y, sr=sr, bit_depth=depth, loop=loop, tags=TAGS)
    assert out == tmp_path / f"a.{fmt}"
    assert read_loop_points(out) == loop
    assert read_tags(out).items() >= TAGS.items()  # libsndfile adds ENCODER to Ogg
    meta = info(out)
    assert (meta.format, meta.subtype, meta.sr, meta.channels) == (fmt, subtype, sr, 2)
    assert meta.frames == y.shape[1]
    # only the final file remains: no temp files
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a.{fmt}"]
    # rewriting in place: new loop points replace the old, tags merge
    write_loop_points(out, LoopPoints(0, 1000), sr=sr)
    write_tags(out, {"loopmill_bpm": "90.5", "EXTRA": "x"})
    assert read_loop_points(out) == LoopPoints(0, 1000)
    tags = read_tags(out)
    tags.pop("ENCODER", None)
    assert tags == {**TAGS, "LOOPMILL_BPM": "90.5", "EXTRA": "x"}
    # the audio is still readable after tag surgery
    z, zsr = load(out)
    assert zsr == sr and z.shape == y.shape


def test_no_loop_points(tmp_path: Path, stereo: tuple[np.ndarray, int]) -> None:
    y, sr = stereo
    for fmt in WRITE_FORMATS:
        out = save(tmp_path / f"n.{fmt}", y, sr=sr)
        assert read_loop_points(out) is None
        assert not any(k.startswith("LOOP") for k in read_tags(out))


def test_wav_float_bit_exact(tmp_path: Path, stereo: tuple[np.ndarray, int]) -> None:
    y, sr = stereo
    y = y * 1.5  # float WAV keeps overs
    z, zsr = load(save(tmp_path / "f.wav", y, sr=sr, bit_depth="float"))
    assert zsr == sr and z.dtype == np.float32
    np.testing.assert_array_equal(z, y)


def test_wav16_quantisation_and_clipping(tmp_path: Path, stereo: tuple[np.ndarray, int]) -> None:
    y, sr = stereo
    z, _ = load(save(tmp_path / "i.wav", y, sr=sr))
    assert np.abs(z - y).max() <= 1 / 32768
    hot = y * 4  # integer PCM clips instead of wrapping around
    z, _ = load(save(tmp_path / "hot.wav", hot, sr=sr))
    assert np.abs(z - np.clip(hot, -1, 1)).max() <= 1 / 32768


def test_flac_round_trip(tmp_path: Path, stereo: tuple[np.ndarray, int]) -> None:
    y, sr = stereo
    z, _ = load(save(tmp_path / "a.flac", y, sr=sr, bit_depth=24))
    assert np.abs(z - y).max() <= 1 / 2**23


@pytest.mark.parametrize("fmt", ["ogg", "mp3"])
def test_lossy_round_trip(tmp_path: Path, stereo: tuple[np.ndarray, int], fmt: str) -> None:
    y, sr = stereo
    z, zsr = load(save(tmp_path / f"a.{fmt}", y, sr=sr, quality=0.9))
    assert zsr == sr and z.dtype == np.float32
    assert abs(z.shape[1] - y.shape[1]) <= 1152
    n = min(z.shape[1], y.shape[1])
    for c in range(2):
        assert np.corrcoef(z[c, :n], y[c, :n])[0, 1] > 0.95


def test_mp3_gapless(tmp_path: Path) -> None:
    """libsndfile's MP3 encode+decode keeps length and timing (see looptags docstring)."""
    sr, n, at = 44100, 3 * 44100 + 123, 50_000
    y = np.zeros((2, n), np.float32)
    y[:, at] = 0.9
    out = save(tmp_path / "imp.mp3", y, sr=sr, loop=LoopPoints(at, 1000), tags={"A": "b"})
    z, _ = load(out)
    assert abs(z.shape[1] - n) <= 1152
    lag = int(np.argmax(np.abs(z[0]))) - at
    assert abs(lag) <= 2
    assert read_loop_points(out) == LoopPoints(at, 1000)


def test_format_argument_overrides_suffix(tmp_path: Path, stereo: tuple[np.ndarray, int]) -> None:
    y, sr = stereo
    out = save(tmp_path / "noext", y, sr=sr, format="FLAC", loop=LoopPoints(5, 6))
    assert info(out).format == "flac"
    assert read_loop_points(out) == LoopPoints(5, 6)


def test_save_creates_parents_and_mono_1d(tmp_path: Path) -> None:
    y = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)
    out = save(tmp_path / "deep" / "er" / "m.wav", y, sr=8000, bit_depth="float")
    z, sr = load(out)
    assert sr == 8000 and z.shape == (1, 1000)
    np.testing.assert_array_equal(z[0], y)


def test_saved_file_mode_follows_umask(tmp_path: Path, stereo: tuple[np.ndarray, int]) -> None:
    y, sr = stereo
    old = os.umask(0o022)
    try:
        out = save(tmp_path / "p.wav", y, sr=sr)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


def test_load_mono_and_resample(tmp_path: Path, stereo: tuple[np.ndarray, int]) -> None:
    y, sr = stereo
    out = save(tmp_path / "a.wav", y, sr=sr, bit_depth="float")
    z, zsr = load(out, mono=True, sr=22050)
    assert zsr == 22050 and z.shape == (1, y.shape[1] // 2) and z.dtype == np.float32


def test_load_reads_in_blocks(tmp_path: Path) -> None:
    """Longer than one read block: block boundaries must not drop or shift samples."""
    rng = np.random.default_rng(7)
    y = rng.uniform(-1, 1, (3, (1 << 18) * 2 + 17)).astype(np.float32)
    z, _ = load(save(tmp_path / "big.wav", y, sr=48000, bit_depth="float"))
    np.testing.assert_array_equal(z, y)


def test_aiff_read(tmp_path: Path, stereo: tuple[np.ndarray, int]) -> None:
    y, sr = stereo
    sf.write(tmp_path / "a.aiff", y.T, sr, subtype="FLOAT")
    z, _ = load(tmp_path / "a.aiff")
    np.testing.assert_array_equal(z, y)
    assert info(tmp_path / "a.aiff").format == "aiff"
    assert read_loop_points(tmp_path / "a.aiff") is None
