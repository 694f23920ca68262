"""loop_file's two decoding strategies agree, and a batch survives bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loopmill.audio import load, read_loop_points, read_tags, save
from loopmill.pipeline import loop_files as lf
from tests.synth import SR, progression_track


@pytest.fixture(scope="module")
def track(tmp_path_factory: pytest.TempPathFactory) -> Path:
    y, _ = progression_track(bpm=120, repeats=3, noise=0.02, lead_in=0.21, seed=41)
    return save(tmp_path_factory.mktemp("src") / "track.flac", y, sr=SR)


def test_streamed_two_pass_gives_the_same_loop_as_in_memory(
    track: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opts = lf.LoopOptions(format="wav", bars=4)
    whole = lf.loop_file(track, tmp_path / "a.wav", opts)
    monkeypatch.setattr(lf, "IN_MEMORY_BYTES", 0)  # force: mono stream + region read
    streamed = lf.loop_file(track, tmp_path / "b.wav", opts)
    assert streamed.bars == whole.bars == 4
    # The analysis rate differs (22.05 kHz mono vs the full track), so the beat
    # positions may differ by a few ms; the cut must land on the same bar.
    assert abs(streamed.start - whole.start) < 0.01 * SR
    assert abs(streamed.length - whole.length) < 0.01 * SR
    a, _ = load(tmp_path / "a.wav")
    b, _ = load(tmp_path / "b.wav")
    n = min(a.shape[1], b.shape[1])
    assert np.corrcoef(a[0, :n], b[0, :n])[0, 1] > 0.9


def test_output_carries_loop_points_tags_and_no_hidden_files(track: Path, tmp_path: Path) -> None:
    loop = lf.loop_file(track, tmp_path / "x.ogg", lf.LoopOptions(format="ogg"))
    pts = read_loop_points(tmp_path / "x.ogg")
    assert pts is not None and (pts.start, pts.length) == (0, loop.length)
    tags = read_tags(tmp_path / "x.ogg")
    assert tags["LOOPMILL_SEAM_SCORE"] == f"{loop.seam_score:.3f}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ogg"]


def test_same_stems_in_one_batch_get_distinct_names(track: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    copy = other / track.name
    copy.write_bytes(track.read_bytes())
    report = lf.loop_files([track, copy], dest=tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["track_loop.wav", "track_loop_2.wav"]
    assert not report.failures


def test_tag_only_keeps_the_audio_and_marks_the_loop_in_source_samples(
    track: Path, tmp_path: Path
) -> None:
    opts = lf.LoopOptions(tag_only=True, bars=4, keep_metadata=True)
    report = lf.loop_files([track], dest=tmp_path, options=opts)
    assert not report.failures
    out = tmp_path / "track_loop.flac"  # same format as the source
    original, _ = load(track)
    tagged, _ = load(out)
    np.testing.assert_array_equal(tagged, original)  # not re-encoded: bit-identical audio
    pts = read_loop_points(out)
    meta = report.items[0].loop
    assert pts is not None and meta is not None
    assert pts.start == meta["loop_start"] > 0  # the intro before the loop is kept
    bar = 2.0 * SR  # 120 BPM, 4/4
    assert abs(pts.length - 4 * bar) < 0.01 * SR
    # The first bar line is at 0.21 s (the lead-in); the loop starts on a bar line.
    offset = (pts.start - 0.21 * SR) / bar
    assert abs(offset - round(offset)) * bar < 0.012 * SR
    assert meta["seam_score"] == 0.0
    assert (tmp_path / "track_loop.json").stat().st_mode & 0o044  # readable sidecar


def test_tag_only_refuses_options_that_change_the_audio(track: Path, tmp_path: Path) -> None:
    from loopmill.errors import BadInputError

    # the library names the field; the CLI writes it as --bpm (tests/cli/test_field_messages.py)
    with pytest.raises(BadInputError, match=r"^bpm changes the audio, tag_only keeps it"):
        lf.loop_files([track], dest=tmp_path, options=lf.LoopOptions(tag_only=True, bpm=90.0))
