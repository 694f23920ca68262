"""``dataset prepare``: chunks, splits, silence, corrupt files, loudness, idempotence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loopmill.audio import save
from loopmill.cli._flags import cli_message
from loopmill.errors import BadInputError
from loopmill.training.dataset import load_split, prepare_dataset, read_manifest
from tests.training.synth import SR, write_chords


def test_chunks_splits_and_idempotence(tmp_path: Path) -> None:
    write_chords(tmp_path / "src", seconds=26.0)
    rep = prepare_dataset([tmp_path / "src"], out=tmp_path / "ds", sample_rate=SR,
                          chunk_seconds=1.0, overlap=0.5)
    # 26 s with 1 s chunks every 0.5 s: 51 chunks per file, 102 in all
    assert sum(rep.counts.values()) == 102 and not rep.reused
    assert rep.counts == {"val": 6, "test": 6, "train": 90}  # 88/6/6
    man = read_manifest(tmp_path / "ds")
    names = [n for split in man["splits"].values() for n in split]
    assert len(set(names)) == 102 and man["chunk_samples"] == SR
    x = load_split(tmp_path / "ds", "train")
    assert x.shape == (90, SR) and x.dtype == np.float32
    # the same sources and settings: nothing to do; a new setting rebuilds
    again = prepare_dataset([tmp_path / "src"], out=tmp_path / "ds", sample_rate=SR,
                            chunk_seconds=1.0, overlap=0.5)
    assert again.reused and again.counts == rep.counts
    other = prepare_dataset([tmp_path / "src"], out=tmp_path / "ds", sample_rate=SR,
                            chunk_seconds=2.0, overlap=0.5)
    assert not other.reused and sum(other.counts.values()) == 2 * 25
    assert len(list((tmp_path / "ds" / "chunks").glob("*.wav"))) == 50  # old chunks gone


def test_output_inside_the_source_folder_is_not_read_back(tmp_path: Path) -> None:
    write_chords(tmp_path, seconds=4.0)
    first = prepare_dataset([tmp_path], out=tmp_path / "ds", sample_rate=SR, chunk_seconds=1.0)
    assert prepare_dataset([tmp_path], out=tmp_path / "ds", sample_rate=SR,
                           chunk_seconds=1.0).reused
    assert len(read_manifest(tmp_path / "ds")["sources"]) == 2
    assert first.counts


def test_loudness_differences_are_kept(tmp_path: Path) -> None:
    write_chords(tmp_path / "src", seconds=6.0, gains=(1.0, 0.25))
    prepare_dataset([tmp_path / "src"], out=tmp_path / "ds", sample_rate=SR, chunk_seconds=1.0)
    man = read_manifest(tmp_path / "ds")
    import soundfile as sf

    rms: dict[str, list[float]] = {"00000": [], "00001": []}
    for split in man["splits"].values():
        for name in split:
            y, _ = sf.read(tmp_path / "ds" / name)
            rms[Path(name).name[:5]].append(float(np.sqrt(np.mean(y**2))))
    ratio = np.mean(rms["00000"]) / np.mean(rms["00001"])
    assert ratio == pytest.approx(4.0, rel=0.02)  # not normalised per file


def test_silent_and_corrupt_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_chords(src, seconds=4.0)
    quiet = np.zeros((1, SR * 10), dtype=np.float32)
    quiet[0, : SR * 2] = 0.3 * np.sin(2 * np.pi * 220 * np.arange(SR * 2) / SR)
    save(src / "mostly_silent.wav", quiet, sr=SR)
    (src / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    seen: list[tuple[str, str | None]] = []
    rep = prepare_dataset([src], out=tmp_path / "ds", sample_rate=SR, chunk_seconds=2.0,
                          overlap=0.5, max_silence=1.0,
                          on_file=lambda p, err: seen.append((p.name, err)))
    assert len(rep.skipped) == 1 and "broken.wav" in rep.skipped[0]
    assert ("broken.wav", None) not in seen and any(n == "broken.wav" and e for n, e in seen)
    # mostly_silent: 9 chunks of 2 s every 1 s; only the first (all tone) and the one
    # with 1 s of tone + 1 s of silence (not more than --max-silence) are kept
    man = read_manifest(tmp_path / "ds")
    # sources sorted: broken (0), chord0 (1), chord1 (2), mostly_silent (3)
    kept = [n for s in man["splits"].values() for n in s if Path(n).name.startswith("00003")]
    assert len(kept) == 2 and rep.silent_chunks == 7
    with pytest.raises(BadInputError, match="no usable 2 s chunk"):
        prepare_dataset([src / "broken.wav"], out=tmp_path / "ds2", sample_rate=SR,
                        chunk_seconds=2.0)
    with pytest.raises(BadInputError, match="does not exist"):
        prepare_dataset([tmp_path / "nope"], out=tmp_path / "ds3")
    with pytest.raises(BadInputError, match="overlap 1 must be") as info:
        prepare_dataset([src], out=tmp_path / "ds4", overlap=1.0)
    assert cli_message(info.value).startswith("--overlap 1 must be")


@pytest.mark.parametrize(("kw", "library", "cli"), [
    ({"sample_rate": 10}, "sample_rate 10 is out of range", "--sample-rate 10 is out of range"),
    ({"chunk_seconds": 0.0}, "chunk_seconds 0 must be", "--chunk-seconds 0 must be"),
    ({"max_silence": -1.0}, "max_silence -1 must be", "--max-silence -1 must be"),
    ({"silence_db": float("nan")}, "silence_db nan must be", "--silence-db nan must be"),
])
def test_bad_settings_name_the_field_and_the_flag(tmp_path: Path, kw: dict[str, float],
                                                  library: str, cli: str) -> None:
    with pytest.raises(BadInputError) as info:
        prepare_dataset([tmp_path], out=tmp_path / "ds", **kw)  # type: ignore[arg-type]
    assert str(info.value).startswith(library) and "--" not in str(info.value)
    assert cli_message(info.value).startswith(cli)


def test_an_out_that_is_a_file_keeps_its_path_whole(tmp_path: Path) -> None:
    blocker = tmp_path / "out"  # the field's own name as the last part of the path
    blocker.write_text("a file")
    with pytest.raises(BadInputError) as info:
        prepare_dataset([tmp_path], out=blocker)
    assert str(info.value) == f"out {blocker} is a file; pass a folder for the dataset"
    assert cli_message(info.value) == f"--out {blocker} is a file; pass a folder for the dataset"
