"""Input files for the CLI tests: good tracks and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.synth import SR, click_track, progression_track


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    files: dict[str, Path] = {}

    y, _ = progression_track(bpm=120, repeats=3, seed=11)
    files["good"] = d / "good.wav"
    sf.write(files["good"], y.T, SR, subtype="PCM_16")

    files["good_ogg"] = d / "nested" / "groove.ogg"
    files["good_ogg"].parent.mkdir()
    y2, _ = progression_track(bpm=100, repeats=2, seed=12)
    sf.write(files["good_ogg"], y2.T, SR, format="OGG", subtype="VORBIS")

    files["empty"] = d / "empty.wav"
    files["empty"].write_bytes(b"")

    files["text"] = d / "notes.mp3"
    files["text"].write_text("these are not the sounds you are looking for\n" * 50)

    files["truncated"] = d / "truncated.wav"
    full = d / "full.wav"
    sf.write(full, y.T, SR, subtype="PCM_16")
    data = full.read_bytes()
    files["truncated"].write_bytes(data[: len(data) // 2])
    full.unlink()

    files["silent"] = d / "silent.wav"
    sf.write(files["silent"], np.zeros((SR * 10, 2), np.float32), SR)

    files["short"] = d / "short.wav"
    sf.write(files["short"], click_track(bpm=60, seconds=1.5)[:, : int(1.5 * SR)].T, SR)

    files["nan"] = d / "nan.wav"
    bad = y.T.copy()
    bad[1000:1010] = np.nan
    sf.write(files["nan"], bad, SR, subtype="FLOAT")

    # An hour of 8 kHz silence: the length must be refused from the header alone.
    files["hour"] = d / "hour.wav"
    with sf.SoundFile(files["hour"], "w", samplerate=8000, channels=1, subtype="PCM_16") as fh:
        block = np.zeros(8000 * 60, np.int16)
        for _ in range(60):
            fh.write(block)
    return files
