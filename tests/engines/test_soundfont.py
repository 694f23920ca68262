"""FluidSynth + General MIDI SoundFont rendering: pitch, exact loop length, tail wrap, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from loopmill.cli._flags import cli_message
from loopmill.engines.composer import soundfont as sfmod
from loopmill.engines.composer.midi import PIANO, STRINGS, MidiNote, Part
from loopmill.engines.composer.soundfont import (
    check_soundfont,
    default_soundfont,
    loop_samples,
    render_soundfont,
)
from loopmill.errors import BadInputError, MissingDependencyError

SR = 22050
SOUNDFONT = default_soundfont()
needs_fluidsynth = pytest.mark.skipif(
    shutil.which("fluidsynth") is None or SOUNDFONT is None,
    reason="needs the fluidsynth program and a GM SoundFont "
    "(apt-get install fluidsynth fluid-soundfont-gm)",
)


def _peak_hz(x: np.ndarray) -> float:
    x = x.astype(np.float64) * np.hanning(x.size)
    spec = np.abs(np.fft.rfft(x, n=4 * x.size))
    f = np.fft.rfftfreq(4 * x.size, 1 / SR)
    band = f > 50
    return float(f[band][np.argmax(spec[band])])


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@needs_fluidsynth
def test_a4_piano_pitch_and_exact_length() -> None:
    assert SOUNDFONT is not None
    part = Part("piano", PIANO, notes=[MidiNote(69, 0.0, 4.0, 100)])
    y = render_soundfont([part], soundfont=SOUNDFONT, bpm=120, bars=1, sr=SR)
    n = loop_samples(bpm=120, bars=1, beats_per_bar=4, sr=SR)
    assert y.shape == (2, n) and n == 2 * SR and y.dtype == np.float32
    assert np.isfinite(y).all() and _rms(y) > 1e-3
    peak = _peak_hz(y.mean(axis=0)[: SR])
    assert abs(peak - 440.0) / 440.0 < 0.02, peak


@needs_fluidsynth
def test_exact_length_odd_tempo_and_drums() -> None:
    assert SOUNDFONT is not None
    drums = Part("drums", 0, is_drums=True, notes=[MidiNote(36, b, 0.25) for b in range(3)])
    y = render_soundfont([drums], soundfont=SOUNDFONT, bpm=97.3, bars=1, beats_per_bar=3,
                         sr=SR)
    assert y.shape == (2, round(3 * 60 / 97.3 * SR))
    assert _rms(y) > 1e-3


@needs_fluidsynth
def test_note_held_past_loop_end_wraps_to_start() -> None:
    assert SOUNDFONT is not None
    # 2 beats at 120 BPM = 1 s loop; a strings A4 from beat 1.5 held for 2 beats
    held = Part("strings", STRINGS, notes=[MidiNote(69, 1.5, 2.0)])
    short = Part("strings", STRINGS, notes=[MidiNote(69, 1.5, 0.25)])
    y_held = render_soundfont([held], soundfont=SOUNDFONT, bpm=120, bars=1, beats_per_bar=2,
                              sr=SR)
    y_short = render_soundfont([short], soundfont=SOUNDFONT, bpm=120, bars=1,
                               beats_per_bar=2, sr=SR)
    head = slice(int(0.1 * SR), int(0.6 * SR))  # well inside the wrapped part, beats 0.2-1.2
    sounding = slice(int(0.85 * SR), int(0.99 * SR))  # beats 1.7-2.0, before the loop end
    assert _rms(y_held[:, head]) > 0.3 * _rms(y_held[:, sounding])
    # a short note ends long before the loop end: only its release and reverb wrap
    assert _rms(y_held[:, head]) > 3 * _rms(y_short[:, head])
    assert abs(_peak_hz(y_held[0, head]) - 440.0) / 440.0 < 0.02


def test_missing_or_wrong_soundfont(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"does not exist; pass a General MIDI SoundFont"):
        render_soundfont([], soundfont=tmp_path / "nope.sf2", bpm=120, bars=1)
    txt = tmp_path / "font.txt"
    txt.write_text("x")
    with pytest.raises(BadInputError, match=r"not a \.sf2/\.sf3 file.*FluidR3_GM\.sf2"):
        check_soundfont(txt)
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"not a soundfont at all")
    with pytest.raises(BadInputError, match="not a SoundFont"):
        check_soundfont(fake)


def test_missing_fluidsynth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "font.sf2"
    fake.write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError) as err:
        render_soundfont([], soundfont=fake, bpm=120, bars=1)
    assert str(err.value) == (
        "soundfont needs FluidSynth: apt-get install fluidsynth "
        "(or pip install pyfluidsynth with libfluidsynth3)"
    )
    assert cli_message(err.value).startswith("--soundfont needs FluidSynth: ")
    monkeypatch.setattr(sfmod.shutil, "which", lambda _name: None)
    with pytest.raises(MissingDependencyError, match="apt-get install fluidsynth"):
        sfmod.find_fluidsynth()


def test_default_soundfont_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sf2 = tmp_path / "sf2"
    sf2.mkdir()
    (sf2 / "default-GM.sf2").symlink_to(tmp_path / "dangling")
    monkeypatch.setattr(sfmod, "SOUNDFONT_DIRS", (tmp_path / "none", sf2))
    assert sfmod.default_soundfont() is None
    (sf2 / "FluidR3_GM.sf2").write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    assert sfmod.default_soundfont() == sf2 / "FluidR3_GM.sf2"


# --- the default mix: chosen parts by the SoundFont, the rest synthesised ------------------


def _avg_spectrum(y: np.ndarray, sr: int) -> np.ndarray:
    """Long-term average magnitude spectrum in dB, 40 Hz..8 kHz (2048-point frames)."""
    mono = y.mean(axis=0) if y.ndim == 2 else y
    frames = np.lib.stride_tricks.sliding_window_view(mono, 2048)[::1024]
    spec = np.abs(np.fft.rfft(frames * np.hanning(2048), axis=1)).mean(axis=0)
    f = np.fft.rfftfreq(2048, 1 / sr)
    return 20 * np.log10(spec[(f > 40) & (f < 8000)] + 1e-9)


@needs_fluidsynth
def test_stems_are_one_render_cut_apart_deterministic() -> None:
    from loopmill.engines.composer.soundfont import render_soundfont_stems

    assert SOUNDFONT is not None
    brass = Part(name="brass", program=PIANO, notes=[MidiNote(note=60, start=0.0,
                                                              duration=3.0, velocity=100)])
    low = Part(name="low", program=33, notes=[MidiNote(note=40, start=6.5, duration=3.0,
                                                       velocity=100)])  # wraps
    stems = render_soundfont_stems([brass, low], soundfont=SOUNDFONT, bpm=120, bars=2, sr=SR)
    n = loop_samples(bpm=120, bars=2, beats_per_bar=4, sr=SR)
    assert set(stems) == {"brass", "low"} and all(s.shape == (2, n) for s in stems.values())
    # each stem holds its own part only: C4 in one, E2 (wrapped onto the start) in the other
    assert abs(_peak_hz(stems["brass"][0, SR // 2:SR]) - 261.6) < 4
    assert _rms(stems["low"][:, : SR // 2]) > 0.01 and _rms(stems["low"][:, SR:2 * SR]) < 1e-4
    assert _rms(stems["brass"][:, 3 * SR + SR // 2:]) < 1e-3  # no bleed of the next slot
    again = render_soundfont_stems([brass, low], soundfont=SOUNDFONT, bpm=120, bars=2, sr=SR)
    assert all(np.array_equal(stems[k], again[k]) for k in stems)
    with pytest.raises(BadInputError, match="distinct names"):
        render_soundfont_stems([brass, brass], soundfont=SOUNDFONT, bpm=120, bars=2, sr=SR)


@needs_fluidsynth
def test_default_mix_renders_the_chosen_parts_by_the_soundfont(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from loopmill.engines.composer.engine import ComposerEngine
    from loopmill.engines.composer.sfparts import (
        SOUNDFONT_PARTS,
        auto_soundfont,
        render_parts,
        soundfont_roles,
    )
    from loopmill.engines.composer.synth import NoteEvent, render_notes
    from loopmill.engines.params import GenerationParams
    from loopmill.loops.seam import seam_score
    from loopmill.prompts import parse_prompt

    monkeypatch.delenv("LOOPMILL_SOUNDFONT", raising=False)
    assert auto_soundfont() == SOUNDFONT
    spec = parse_prompt("epic orchestral, C minor, 100 BPM", seed=3, min_duration=8,
                        max_duration=10)
    eng = ComposerEngine()
    arr = eng.plan(spec, seed=3)
    roles = soundfont_roles(arr)
    assert roles and {arr.patches[r] for r in roles} <= set(SOUNDFONT_PARTS)
    assert "lead" in roles and arr.patches["lead"] == "brass"
    out = eng.generate(spec, GenerationParams(), sr=SR)
    assert out.info["renderer"] == "synth+soundfont" and out.info["soundfont_parts"] == roles
    again = eng.generate(spec, GenerationParams(), sr=SR)
    assert np.array_equal(out.audio, again.audio)  # deterministic per seed
    assert seam_score(out.audio, sr=SR, start=0, end=out.audio.shape[1]) < 0.15
    # The lead alone through the engine: its spectrum is the SoundFont's, not the synth's.
    solo = eng.plan(spec, seed=3)
    solo.parts = {"lead": solo.parts["lead"]}
    solo.drums = {}
    mixed = eng.render(solo, sr=SR, seed=3, soundfont=SOUNDFONT)
    n = mixed.shape[1]
    sf_lead = render_parts(solo, ["lead"], soundfont=SOUNDFONT, sr=SR)["lead"]
    beat = 60.0 / solo.bpm
    syn_lead = render_notes([NoteEvent(m, s * beat, d * beat, v) for m, s, d, v in
                             solo.parts["lead"]], n=n, sr=SR, patch="brass",
                            rng=np.random.default_rng(0))
    target = _avg_spectrum(mixed, SR)
    to_sf = np.corrcoef(target, _avg_spectrum(sf_lead, SR))[0, 1]
    to_synth = np.corrcoef(target, _avg_spectrum(syn_lead, SR))[0, 1]
    assert to_sf > 0.9 and to_sf > to_synth + 0.05, (to_sf, to_synth)


@needs_fluidsynth
def test_soundfont_none_and_env_turn_it_off(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    from loopmill.engines.composer.engine import ComposerEngine
    from loopmill.engines.composer.sfparts import auto_soundfont
    from loopmill.engines.params import GenerationParams
    from loopmill.prompts import parse_prompt

    spec = parse_prompt("epic orchestral, C minor, 100 BPM", seed=3, min_duration=8,
                        max_duration=10)
    eng = ComposerEngine()
    off = eng.generate(spec, GenerationParams(extra={"soundfont": "none"}), sr=SR)
    assert off.info["renderer"] == "synth" and off.info["soundfont_parts"] == []
    plain = eng.render(eng.plan(spec, seed=3), sr=SR, seed=3)
    assert np.array_equal(off.audio, plain)  # unchanged: the synth alone, as before
    monkeypatch.setenv("LOOPMILL_SOUNDFONT", "none")
    assert auto_soundfont() is None
    assert eng.generate(spec, GenerationParams(), sr=SR).info["renderer"] == "synth"
    monkeypatch.setenv("LOOPMILL_SOUNDFONT", str(tmp_path / "missing.sf2"))
    assert auto_soundfont() is None  # a bad path: synthesise, do not fail
    monkeypatch.delenv("LOOPMILL_SOUNDFONT")
    monkeypatch.setattr(sfmod, "default_soundfont", lambda: None)
    assert auto_soundfont() is None  # no SoundFont installed: behaviour unchanged
