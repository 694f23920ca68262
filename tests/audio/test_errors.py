"""Bad input and failed writes: the right error class and a one-line message."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from loopmill.audio import LoopPoints, info, load, save, write_tags
from loopmill.cli._flags import cli_message
from loopmill.errors import BadInputError, StorageError, UnsupportedFormatError


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as exc:
        load(tmp_path / "nope.wav")
    assert _one_line(exc) == f"{tmp_path / 'nope.wav'}: file not found; check the path"


def test_empty(tmp_path: Path) -> None:
    (tmp_path / "song.mp3").touch()
    with pytest.raises(BadInputError) as exc:
        load(tmp_path / "song.mp3")
    assert _one_line(exc).endswith("song.mp3: file is empty (0 bytes); pass a real audio file")
    with pytest.raises(BadInputError, match="file is empty"):
        info(tmp_path / "song.mp3")


def test_text_named_wav(tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("hello, not audio\n" * 10)
    with pytest.raises(BadInputError) as exc:
        load(tmp_path / "notes.wav")
    assert "notes.wav: is not a readable audio file (" in _one_line(exc)
    assert not isinstance(exc.value, UnsupportedFormatError)


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_truncated_wav(tmp_path: Path, subtype: str) -> None:
    path = tmp_path / "cut.wav"
    sf.write(path, np.zeros((10000, 2), np.float32), 44100, subtype=subtype)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(BadInputError) as exc:
        load(path)
    assert "cut.wav: is truncated: the header promises 10000 frames but only" in _one_line(exc)


def test_truncated_flac(tmp_path: Path) -> None:
    path = tmp_path / "cut.flac"
    rng = np.random.default_rng(0)
    sf.write(path, rng.uniform(-0.5, 0.5, (44100, 2)).astype(np.float32), 44100)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(BadInputError, match=r"cut\.flac: is truncated"):
        load(path)


def test_nan_samples(tmp_path: Path) -> None:
    y = np.zeros((2, 1000), np.float32)
    y[1, 500] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, y.T, 44100, subtype="FLOAT")
    with pytest.raises(BadInputError) as exc:
        load(path)
    assert _one_line(exc) == f"{path}: contains NaN or infinite samples; re-export it"


def test_zero_frames(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros((0, 2), np.float32), 44100)
    with pytest.raises(BadInputError, match=r"zero\.wav: has no audio \(0 frames\)"):
        load(path)


def test_too_long_checked_from_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros((44100 * 3, 1), np.float32), 44100)

    def no_decode(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded before the duration check")

    monkeypatch.setattr(sf.SoundFile, "read", no_decode)
    with pytest.raises(BadInputError) as exc:
        load(path, max_duration=1.5)
    assert _one_line(exc) == (
        f"{path}: is 3.0 s long, over the 1.5 s limit; trim it or raise max_input_duration"
    )
    assert exc.value.fields == ("max_input_duration",)  # the CLI says --max-input-duration


def test_unknown_write_format(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError) as exc:
        save(tmp_path / "x.aac", np.zeros((1, 10), np.float32), sr=44100)
    assert _one_line(exc) == (
        f"{tmp_path / 'x.aac'}: cannot write format 'aac'; choose one of wav, flac, ogg, mp3"
    )
    with pytest.raises(BadInputError, match="bit_depth='float' is not valid for flac"):
        save(tmp_path / "x.flac", np.zeros((1, 10), np.float32), sr=44100, bit_depth="float")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_destination_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a regular file where a folder should be")
    with pytest.raises(StorageError) as exc:
        save(blocker / "out" / "x.ogg", np.zeros((1, 100), np.float32), sr=44100)
    text = _one_line(exc)
    assert text.startswith(f"cannot write {blocker / 'out' / 'x.ogg'}: ")
    assert text.endswith("; choose another dest") and exc.value.fields == ("dest",)
    assert cli_message(exc.value) == text[: -len("dest")] + "--dest"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_destination_named_dest_stays_whole_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "dest").write_text("a file where the folder should be")
    target = tmp_path / "dest" / "x.wav"
    with pytest.raises(StorageError) as exc:
        save(target, np.zeros((1, 100), np.float32), sr=44100)
    assert exc.value.fields == ("dest",)
    cli = cli_message(exc.value)
    assert cli.startswith(f"cannot write {target}: ") and cli.endswith("; choose another --dest")


def test_failed_save_removes_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import loopmill.audio.io as audio_io

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audio_io, "write_loop_points", broken)
    with pytest.raises(StorageError, match="No space left on device; choose another dest"):
        save(tmp_path / "x.wav", np.zeros((1, 100), np.float32), sr=44100, loop=LoopPoints(0, 5))
    assert list(tmp_path.iterdir()) == []


def test_target_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "x.wav").mkdir()
    with pytest.raises(StorageError, match=r"cannot write .*x\.wav: "):
        save(tmp_path / "x.wav", np.zeros((1, 100), np.float32), sr=44100)
    assert [p.name for p in tmp_path.iterdir()] == ["x.wav"]


def test_bad_save_arguments(tmp_path: Path) -> None:
    y = np.zeros((2, 100), np.float32)
    with pytest.raises(BadInputError, match="runs past the 100 samples"):
        save(tmp_path / "a.wav", y, sr=44100, loop=LoopPoints(50, 51))
    with pytest.raises(BadInputError, match="MP3 takes 1-2 channels"):
        save(tmp_path / "a.mp3", y, sr=96000)
    with pytest.raises(BadInputError, match="tag name 'A=B' is invalid"):
        save(tmp_path / "a.wav", y, sr=44100, tags={"A=B": "x"})
    with pytest.raises(BadInputError, match="NaN"):
        save(tmp_path / "a.wav", y * np.nan, sr=44100)
    with pytest.raises(BadInputError, match="loop start=-1"):
        LoopPoints(-1, 5)
    with pytest.raises(BadInputError, match="reserved"):
        write_tags(save(tmp_path / "t.wav", y, sr=44100), {"LOOPSTART": "1"})


def test_m4a_without_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.m4a"
    path.write_bytes(b"\0\0\0\x20ftypM4A " + b"\0" * 100)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(UnsupportedFormatError) as exc:
        load(path)
    assert _one_line(exc) == (
        f"{path}: .m4a needs ffmpeg to decode; install it (apt-get install ffmpeg) "
        "or convert to wav/flac/ogg/mp3"
    )


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_m4a_with_ffmpeg(tmp_path: Path) -> None:
    import subprocess

    sr = 44100
    t = np.arange(sr) / sr
    y = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 660 * t)])
    src = save(tmp_path / "src.wav", y.astype(np.float32), sr=sr, bit_depth="float")
    dst = tmp_path / "x.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), str(dst)], check=True)
    meta = info(dst)
    assert (meta.format, meta.sr, meta.channels) == ("m4a", sr, 2)
    z, zsr = load(dst)
    assert zsr == sr and z.shape[0] == 2 and abs(z.shape[1] - sr) < 4096
    with pytest.raises(BadInputError, match=r"over the 0\.5 s limit"):
        load(dst, max_duration=0.5)
    (tmp_path / "junk.m4a").write_text("not audio")
    with pytest.raises(BadInputError, match=r"junk\.m4a: is not a readable audio file"):
        load(tmp_path / "junk.m4a")
