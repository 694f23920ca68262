"""Built-in synthesis against a General MIDI SoundFont, part by part (issue 13).

Each instrument plays the same phrase (six sustained notes of 1.6 s, 0.4 s apart, in
its register) twice: through the composer's own patch (``render_notes``) and through
the SoundFont (``render_soundfont_stems``: FluidSynth, dry). Both are measured on
four realism proxies, each a property recorded acoustic instruments have and simple
oscillators lack:

* ``fluct dB``: how much the partials' levels move during the sustain (std over
  STFT frames of each of the first 8 harmonics' level around its own straight-line
  decay in dB, mean over harmonics);
* ``centroid cv``: how much the brightness moves (std / mean of the spectral centroid
  over the sustain frames);
* ``attack dB``: how much noisier the attack (first 90 ms) is than the sustain
  (off-harmonic energy share, dB, attack minus sustain): bow, breath, hammer, pick;
* ``inharm c``: how far partials 2..10 sit from whole multiples of the fundamental,
  mean absolute cents (stiff strings stretch them; oscillators are exact).

A part *wins* for the SoundFont when the SoundFont scores higher on at least three of
the four; the last column says whether the composer uses the SoundFont for it by
default (``loopmill.engines.composer.sfparts.SOUNDFONT_PARTS``: the winners, less the
saw ``bass``, whose GM program is a synthesizer too). The table also gives each side's
CPU seconds for the phrase, the SoundFont stem's level relative to the patch's (the
gain the composer applies) and, with ``--png DIR``, a spectrogram pair per part
(matplotlib, optional).

Usage: ``python benchmarks/soundfont_parts.py [--soundfont PATH] [--png DIR]``
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from loopmill.engines.composer.engine import _GM_PROGRAM
from loopmill.engines.composer.midi import MidiNote, Part
from loopmill.engines.composer.sfparts import SOUNDFONT_PARTS
from loopmill.engines.composer.soundfont import default_soundfont, render_soundfont_stems
from loopmill.engines.composer.synth import NoteEvent, render_notes
from loopmill.engines.composer.theory import midi_to_hz

SR = 44100
BPM = 120.0
GATE = 1.6  # seconds per note
STEP = 2.0  # seconds from note to note
#: family -> (patches, register: six MIDI notes)
FAMILIES = {
    "strings": (("strings", "cello"), (55, 60, 62, 64, 67, 57)),
    "brass": (("brass", "horn"), (55, 58, 60, 62, 65, 57)),
    "piano": (("ep",), (60, 64, 67, 62, 65, 69)),
    "guitars": (("guitar", "lead_guitar"), (52, 55, 57, 59, 60, 64)),
    "bass": (("bass", "upright", "pluck_bass"), (36, 38, 40, 41, 43, 33)),
}
N_FFT = 4096
HOP = 1024


def _frames(y: np.ndarray) -> np.ndarray:
    win = np.hanning(N_FFT)
    idx = np.arange(0, y.size - N_FFT, HOP)
    return np.abs(np.fft.rfft(np.stack([y[i:i + N_FFT] * win for i in idx]), axis=1))


def _harmonic_mask(f: np.ndarray, f0: float, width: float = 0.03) -> np.ndarray:
    k = np.round(f / f0)
    return (k >= 1) & (np.abs(f - k * f0) <= width * f0 + 12.0)


def note_metrics(y: np.ndarray, midi: int) -> dict[str, float]:
    """The four proxies for one note ``y`` (mono, from its onset to its gate end)."""
    f0 = midi_to_hz(midi)
    f = np.fft.rfftfreq(N_FFT, 1 / SR)
    sus = y[int(0.25 * SR):]
    mag = _frames(sus) + 1e-9
    levels = []
    for k in range(1, 9):
        if k * f0 > 5000:
            break
        band = np.abs(f - k * f0) <= max(0.03 * k * f0, 15.0)
        levels.append(20 * np.log10(mag[:, band].max(axis=1)))
    tt = np.arange(mag.shape[0], dtype=np.float64)

    def wobble(lv: np.ndarray) -> float:  # std around the note's own decay (a line in dB)
        return float(np.std(lv - np.polyval(np.polyfit(tt, lv, 1), tt)))

    fluct = float(np.mean([wobble(lv) for lv in levels]))
    power = mag**2
    centroid = (power * f).sum(axis=1) / power.sum(axis=1)
    cv = float(centroid.std() / centroid.mean())
    harm = _harmonic_mask(f, f0)
    win = np.hanning(N_FFT)

    def off_share(seg: np.ndarray) -> float:
        p = np.abs(np.fft.rfft(seg[:N_FFT] * win)) ** 2 + 1e-20
        return float(10 * np.log10(p[~harm & (f > 0.5 * f0)].sum() / p.sum()))

    attack = off_share(y) - off_share(y[int(0.5 * SR):])
    big = 1 << 15
    seg = y[int(0.2 * SR):int(0.2 * SR) + big]
    seg = np.pad(seg, (0, big - seg.size))
    spec = np.abs(np.fft.rfft(seg * np.hanning(big)))
    fb = np.fft.rfftfreq(big, 1 / SR)

    def peak(fk: float) -> float | None:
        band = np.flatnonzero(np.abs(fb - fk) <= 0.02 * fk + 3)
        if band.size < 3:
            return None
        i = band[np.argmax(spec[band])]
        if spec[i] < 1e-3 * spec.max() or i in (band[0], band[-1]):
            return None
        a, b, c = np.log(spec[i - 1:i + 2] + 1e-12)
        return float(fb[i] + 0.5 * (a - c) / (a - 2 * b + c) * (fb[1] - fb[0]))

    f1 = peak(f0)
    cents = []
    if f1:
        for k in range(2, 11):
            fk = peak(k * f1)
            if fk:
                cents.append(abs(1200 * np.log2(fk / (k * f1))))
    return {"fluct": fluct, "cv": cv, "attack": float(attack),
            "inharm": float(np.mean(cents)) if cents else 0.0}


def phrase(midis: tuple[int, ...]) -> list[tuple[int, float]]:
    return [(m, i * STEP) for i, m in enumerate(midis)]


def render_both(patch: str, midis: tuple[int, ...], soundfont: Path
                ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(synth mono, SoundFont mono, synth CPU s, SoundFont CPU s incl. FluidSynth)."""
    notes = phrase(midis)
    n = round((len(notes) * STEP + 1.0) * SR)
    t = time.process_time()
    syn = render_notes([NoteEvent(m, s, GATE, 0.8) for m, s in notes], n=n, sr=SR,
                       patch=patch, rng=np.random.default_rng(0), loop=False)
    t_syn = time.process_time() - t
    beat = 60.0 / BPM
    part = Part(name=patch, program=_GM_PROGRAM[patch], notes=[
        MidiNote(note=m, start=s / beat, duration=GATE / beat, velocity=round(0.8 * 127))
        for m, s in notes])
    bars = int(np.ceil(n / SR / beat / 4))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.process_time()
    stems = render_soundfont_stems([part], soundfont=soundfont, bpm=BPM, bars=bars, sr=SR)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    t_sf = (time.process_time() - t + after.ru_utime - before.ru_utime
            + after.ru_stime - before.ru_stime)
    sf = stems[patch].mean(axis=0)[:n]
    return syn, sf, t_syn, t_sf


def measure(y: np.ndarray, midis: tuple[int, ...]) -> dict[str, float]:
    rows = [note_metrics(y[round(s * SR):round((s + GATE) * SR)], m)
            for m, s in phrase(midis)]
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def _png(path: Path, syn: np.ndarray, sf: np.ndarray, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    for ax, y, name in ((axes[0], syn, "built-in"), (axes[1], sf, "SoundFont")):
        ax.specgram(y + 1e-7, NFFT=2048, Fs=SR, noverlap=1536, cmap="magma", vmin=-120)
        ax.set_ylim(0, 6000)
        ax.set_ylabel(f"{name} Hz")
    axes[0].set_title(title)
    axes[1].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--soundfont", type=Path, default=None)
    ap.add_argument("--png", type=Path, default=None, help="write spectrograms here")
    args = ap.parse_args()
    sf = args.soundfont or default_soundfont()
    if sf is None:
        raise SystemExit("no SoundFont: pass --soundfont or apt-get install fluid-soundfont-gm")
    print(f"# Built-in synthesis vs {sf.name}, {time.strftime('%Y-%m-%d')}\n")
    print("| family | patch (GM) | fluct dB syn / SF | centroid cv syn / SF | "
          "attack dB syn / SF | inharm c syn / SF | SF higher on | winner | "
          "SF level dB | CPU s syn / SF | SoundFont by default |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|")
    for family, (patches, midis) in FAMILIES.items():
        for patch in patches:
            syn, sfy, t_syn, t_sf = render_both(patch, midis, sf)
            a, b = measure(syn, midis), measure(sfy, midis)
            wins = sum(b[k] > a[k] for k in ("fluct", "cv", "attack", "inharm"))
            level = 20 * np.log10(np.sqrt(np.mean(sfy**2)) / np.sqrt(np.mean(syn**2)))
            print(f"| {family} | {patch} ({_GM_PROGRAM[patch]}) | {a['fluct']:.2f} / "
                  f"{b['fluct']:.2f} | {a['cv']:.3f} / {b['cv']:.3f} | {a['attack']:+.1f} / "
                  f"{b['attack']:+.1f} | {a['inharm']:.1f} / {b['inharm']:.1f} | {wins}/4 | "
                  f"{'SoundFont' if wins >= 3 else 'built-in'} | {level:+.1f} | "
                  f"{t_syn:.2f} / {t_sf:.2f} | {'yes' if patch in SOUNDFONT_PARTS else 'no'} |")
            if args.png:
                args.png.mkdir(parents=True, exist_ok=True)
                _png(args.png / f"{family}-{patch}.png", syn, sfy,
                     f"{family}: {patch} (top: built-in, bottom: SoundFont)")


if __name__ == "__main__":
    main()
