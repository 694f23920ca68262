"""Render composer parts through FluidSynth with a General MIDI SoundFont (.sf2/.sf3).

The parts are written as a Standard MIDI File (:func:`~loopmill.engines.composer.midi.
write_midi`) into a temporary folder and rendered offline by the ``fluidsynth``
command-line program (``fluidsynth -ni -q -g 1.0 -r SR -O float -F out.wav SF2 in.mid``);
the wav is read back with :func:`loopmill.audio.load` and its tails (release, reverb,
notes held past the loop end) are folded back onto the start, so the result is exactly
one seamless loop.

Why the program and not the ``pyfluidsynth`` binding: the program is one Debian package
(``apt-get install fluidsynth``) with no Python build step and no ABI coupling to a
particular ``libfluidsynth`` version; its file renderer is sample-exact and runs faster
than real time; a crash in the synthesiser cannot take the Python process down. The cost
(one process start and one SoundFont load per render, about 0.1-0.3 s for FluidR3_GM)
is small next to the rest of the pipeline.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from loopmill import settings
from loopmill.engines.composer.midi import Part, write_midi
from loopmill.engines.composer.synth import wrap_tail
from loopmill.errors import BadInputError, LoopmillError, MissingDependencyError

__all__ = [
    "FLUIDSYNTH_HINT",
    "SOUNDFONT_DIRS",
    "SOUNDFONT_HINT",
    "check_soundfont",
    "default_soundfont",
    "find_fluidsynth",
    "loop_samples",
    "render_soundfont",
    "render_soundfont_stems",
]

FLUIDSYNTH_HINT = (
    "soundfont needs FluidSynth: apt-get install fluidsynth "
    "(or pip install pyfluidsynth with libfluidsynth3)"
)
SOUNDFONT_HINT = (
    "pass a General MIDI SoundFont, e.g. /usr/share/sounds/sf2/FluidR3_GM.sf2 "
    "from Debian's fluid-soundfont-gm"
)
SOUNDFONT_DIRS = (
    Path("/usr/share/sounds/sf2"),
    Path("/usr/share/soundfonts"),
    Path("/usr/share/sounds/sf3"),
    Path("/usr/local/share/soundfonts"),
)
_SOUNDFONT_NAMES = (
    "FluidR3_GM.sf2",
    "default-GM.sf2",
    "FluidR3_GM.sf3",
    "default-GM.sf3",
    "default.sf2",
    "TimGM6mb.sf2",
)
# Seconds rendered past the last note (release and reverb), then folded onto the start.
TAIL_SECONDS = 3.0


def default_soundfont() -> Path | None:
    """The first General MIDI SoundFont found in the usual system folders, or None.

    Looks for FluidR3_GM / default-GM (.sf2, then .sf3) under ``/usr/share/sounds/sf2``,
    ``/usr/share/soundfonts``, ``/usr/share/sounds/sf3`` and ``/usr/local/share/
    soundfonts``; dangling links (e.g. an unset ``default-GM`` alternative) are skipped.
    """
    for name in _SOUNDFONT_NAMES:
        for folder in SOUNDFONT_DIRS:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def find_fluidsynth() -> str:
    """Path of the ``fluidsynth`` program; :class:`MissingDependencyError` when absent."""
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise MissingDependencyError(FLUIDSYNTH_HINT, field="soundfont")
    return exe


def check_soundfont(soundfont: str | Path) -> Path:
    """Check that ``soundfont`` is an existing .sf2/.sf3 file with a RIFF ``sfbk`` header.

    Raises
    ------
    BadInputError
        Missing, not a file, wrong suffix or not a SoundFont; the message says what to
        pass instead.
    """
    path = Path(soundfont).expanduser()
    if path.suffix.lower() not in (".sf2", ".sf3"):
        raise BadInputError(f"SoundFont {path} is not a .sf2/.sf3 file; {SOUNDFONT_HINT}")
    if not path.is_file():
        raise BadInputError(f"SoundFont {path} does not exist; {SOUNDFONT_HINT}")
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise BadInputError(
            f"SoundFont {path} cannot be read ({exc.strerror or exc}); {SOUNDFONT_HINT}"
        ) from exc
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise BadInputError(f"{path} is not a SoundFont (no RIFF sfbk header); {SOUNDFONT_HINT}")
    return path


def loop_samples(*, bpm: float, bars: int, beats_per_bar: int, sr: int) -> int:
    """Length of ``bars`` bars at ``bpm`` in samples, rounded to the nearest sample."""
    return round(bars * beats_per_bar * 60.0 / bpm * sr)


def render_soundfont(
    parts: Sequence[Part],
    *,
    soundfont: str | Path,
    bpm: float,
    bars: int,
    beats_per_bar: int = 4,
    sr: int = 44100,
    gain: float = 1.0,
) -> np.ndarray:
    """Render ``parts`` with FluidSynth and a SoundFont into one seamless loop.

    Parameters
    ----------
    parts : sequence of Part
        Notes in beats from the loop start; drum parts play GM drum keys on channel 10.
    soundfont : str or Path
        A General MIDI SoundFont (.sf2 or .sf3).
    bpm : float
        Tempo in beats per minute.
    bars, beats_per_bar : int
        Loop length in bars of ``beats_per_bar`` beats.
    sr : int
        Output sample rate.
    gain : float
        FluidSynth's master gain (its own default, 0.2, is quiet); the render is float,
        so nothing clips here; normalise loudness downstream.

    Returns
    -------
    np.ndarray, float32, shape [2, T]
        ``T = round(bars * beats_per_bar * 60 / bpm * sr)``; what sounds past the loop end
        (held notes, release, reverb) is added back onto the start.

    Raises
    ------
    MissingDependencyError
        The ``fluidsynth`` program is not installed.
    BadInputError
        The SoundFont is missing or invalid, or a parameter is out of range.
    LoopmillError
        FluidSynth failed while rendering.
    """
    _check_render_args(bpm=bpm, bars=bars, beats_per_bar=beats_per_bar, sr=sr, gain=gain)
    sf = check_soundfont(soundfont)
    n = loop_samples(bpm=bpm, bars=bars, beats_per_bar=beats_per_bar, sr=sr)
    loop_beats = bars * beats_per_bar
    last_beat = max(
        [loop_beats, *(note.start + note.duration for part in parts for note in part.notes)]
    )
    length_beats = last_beat + TAIL_SECONDS * bpm / 60.0
    y = _fluidsynth(parts, sf=sf, bpm=bpm, beats_per_bar=beats_per_bar,
                    length_beats=length_beats, sr=sr, gain=gain, effects=True)
    return np.ascontiguousarray(wrap_tail(y, n), dtype=np.float32)


def _check_render_args(*, bpm: float, bars: int, beats_per_bar: int, sr: int, gain: float
                       ) -> None:
    if not bpm > 0 or bpm == float("inf"):
        raise BadInputError(f"tempo {bpm} BPM must be a positive number")
    if bars < 1 or beats_per_bar < 1:
        raise BadInputError(f"loop of {bars} bars of {beats_per_bar} beats must be >= 1 bar")
    if not 8000 <= sr <= 192000:
        raise BadInputError(f"sample rate {sr} must be within 8000..192000 for FluidSynth")
    if not 0 < gain <= 10:
        raise BadInputError(f"FluidSynth gain {gain} must be within (0, 10]")


def _fluidsynth(
    parts: Sequence[Part], *, sf: Path, bpm: float, beats_per_bar: int, length_beats: float,
    sr: int, gain: float, effects: bool,
) -> np.ndarray:
    """``parts`` rendered by the fluidsynth program: float32 ``[2, T]`` (T as rendered).

    ``effects=False`` turns FluidSynth's own reverb and chorus off (``-R 0 -C 0``).
    """
    exe = find_fluidsynth()
    from loopmill.audio import load

    with tempfile.TemporaryDirectory(prefix="loopmill-sf-") as tmp:
        mid = write_midi(
            Path(tmp) / "parts.mid", parts, bpm=bpm, beats_per_bar=beats_per_bar,
            length_beats=length_beats,
        )
        wav = Path(tmp) / "render.wav"
        cmd = [
            exe, "-n", "-i", "-q", "-g", f"{gain:g}", "-r", str(sr),
            # Load only the samples the song's presets use: FluidR3_GM's 141 MB took
            # 0.23 CPU s to load whole, 0.08 s this way; the audio is bit-identical.
            "-o", "synth.dynamic-sample-loading=1",
            *([] if effects else ["-R", "0", "-C", "0"]),
            "-O", "float", "-T", "wav", "-F", str(wav), str(sf), str(mid),
        ]
        timeout = 120.0 + 4.0 * length_beats * 60.0 / bpm
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, check=False,
                env=settings.child_env(LC_ALL="C"),
            )
        except FileNotFoundError as exc:
            raise MissingDependencyError(FLUIDSYNTH_HINT, field="soundfont") from exc
        except subprocess.TimeoutExpired as exc:
            raise LoopmillError(
                f"FluidSynth took longer than {timeout:.0f} s to render {sf.name}"
            ) from exc
        err = (proc.stderr or "").strip()
        if "not a SoundFont" in err or "Failed to load SoundFont" in err:
            raise BadInputError(f"FluidSynth cannot load {sf}; {SOUNDFONT_HINT}")
        if proc.returncode != 0 or not wav.is_file() or wav.stat().st_size <= 44:
            last = err.splitlines()[-1] if err else f"exit status {proc.returncode}"
            raise LoopmillError(f"FluidSynth failed to render with {sf.name}: {last}")
        y, _ = load(wav, sr=sr)

    y = np.asarray(y, dtype=np.float32)
    if y.shape[0] == 1:
        y = np.repeat(y, 2, axis=0)
    elif y.shape[0] > 2:
        y = y[:2]
    return y


def render_soundfont_stems(
    parts: Sequence[Part],
    *,
    soundfont: str | Path,
    bpm: float,
    bars: int,
    beats_per_bar: int = 4,
    sr: int = 44100,
    gain: float = 1.0,
) -> dict[str, np.ndarray]:
    """Render each part separately, dry, with one FluidSynth run: one seamless stem each.

    The parts are laid out one after another in one MIDI file (each in its own slot
    of the loop's length plus :data:`TAIL_SECONDS`, on its own channel), rendered
    once with FluidSynth's reverb and chorus off (the composer's own effects follow),
    and cut apart again; each slot's tail is folded onto its start. One run loads the
    SoundFont once: FluidR3_GM (141 MB) takes most of a FluidSynth start.

    Parameters
    ----------
    parts : sequence of Part
        Pitched parts (``is_drums`` False) with distinct names, notes in beats from
        the loop start.
    soundfont, bpm, bars, beats_per_bar, sr, gain
        As for :func:`render_soundfont`.

    Returns
    -------
    dict
        Part name -> float32 ``[2, T]``, ``T`` the loop length in samples.

    Raises
    ------
    MissingDependencyError, BadInputError, LoopmillError
        As for :func:`render_soundfont`.
    """
    _check_render_args(bpm=bpm, bars=bars, beats_per_bar=beats_per_bar, sr=sr, gain=gain)
    sf = check_soundfont(soundfont)
    if not parts:
        return {}
    if len({p.name for p in parts}) != len(parts):
        raise BadInputError("parts rendered as stems need distinct names")
    if len(parts) > 15:
        raise BadInputError(f"{len(parts)} parts rendered as stems; at most 15 fit the "
                            "MIDI channels (10 is the drums')")
    n = loop_samples(bpm=bpm, bars=bars, beats_per_bar=beats_per_bar, sr=sr)
    loop_beats = bars * beats_per_bar
    last_beat = max(
        [loop_beats, *(note.start + note.duration for part in parts for note in part.notes)]
    )
    # Whole bars per slot, so every slot starts on the same tick grid as the loop.
    slot = beats_per_bar * -(-(last_beat + TAIL_SECONDS * bpm / 60.0) // beats_per_bar)
    laid = [
        dataclasses.replace(
            part, channel=i if i < 9 else i + 1, is_drums=False,
            notes=[dataclasses.replace(note, start=note.start + i * slot) for note in part.notes],
        )
        for i, part in enumerate(parts)
    ]
    y = _fluidsynth(laid, sf=sf, bpm=bpm, beats_per_bar=beats_per_bar,
                    length_beats=slot * len(parts), sr=sr, gain=gain, effects=False)
    spb = 60.0 / bpm * sr
    stems = {}
    for i, part in enumerate(parts):
        a, b = round(i * slot * spb), round((i + 1) * slot * spb)
        stems[part.name] = np.ascontiguousarray(wrap_tail(y[:, a:b], n), dtype=np.float32)
    return stems
