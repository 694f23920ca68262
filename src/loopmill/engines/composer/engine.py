"""The built-in composer engine: a spec becomes a seamless loop, offline, in seconds."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
from pedalboard import Pedalboard

from loopmill._threads import max_threads
from loopmill.engines.base import Capabilities, EngineBase, EngineOutput
from loopmill.engines.composer import theory
from loopmill.engines.composer.arrange import STYLES, Arrangement, Brief, arrange
from loopmill.engines.composer.controls import ComposerControls
from loopmill.engines.composer.effects import bus_reverb, chain_for, process_loop, split_send
from loopmill.engines.composer.midi import MidiNote, Part
from loopmill.engines.composer.mixer import render_stem
from loopmill.engines.composer.resolve import controls_from_extra, resolve_controls
from loopmill.engines.composer.sfparts import NONE, auto_soundfont, render_parts, soundfont_roles
from loopmill.engines.composer.synth import PATCHES
from loopmill.engines.composer.tape import wow_flutter
from loopmill.engines.composer.tone import tilt, tune_board
from loopmill.engines.params import GenerationParams
from loopmill.errors import BadInputError
from loopmill.loops.length import choose_bars
from loopmill.prompts.spec import MusicSpec

_EFFECT_ROLE = {"chords": "pad", "drone": "pad", "counter": "arp", "texture": "pad",
                "ostinato": "pad", "musicbox": "lead"}
_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_TEXTURE_WORDS = {"vinyl": "vinyl", "crackle": "vinyl", "tape": "tape", "wind": "wind"}
#: words that ask for a worn, wobbling texture (the style's tape wow and flutter)
_WOBBLE_WORDS = frozenset({"tape", "cassette", "vinyl", "crackle", "lofi", "lo-fi", "wobble",
                           "wow", "flutter", "warped"})

#: patch -> General MIDI program, for --midi and --soundfont.
_GM_PROGRAM = {
    "pad": 89, "bass": 38, "pluck": 45, "lead": 80, "chip_square": 80, "chip_pulse": 81,
    "ep": 4, "strings": 48, "drone": 89, "cello": 42, "pizz": 45, "brass": 61, "horn": 60,
    "upright": 32, "vibes": 11, "lute": 24, "harp": 46, "flute": 73, "recorder": 74,
    "bell": 14, "choir": 52, "reese": 38, "sub": 38, "guitar": 30, "lead_guitar": 29,
    "marimba": 12, "kalimba": 108, "pluck_bass": 33, "spiccato": 48, "music_box": 10,
}
#: drum piece -> General MIDI percussion note.
_GM_DRUM = {
    "kick": 36, "snare": 38, "clap": 39, "closed_hat": 42, "open_hat": 46, "tom": 45,
    "rim": 37, "chip_noise": 38, "crash": 49, "ride": 51, "swell": 57, "timpani": 41,
    "timpani5": 43, "taiko": 35, "frame": 64, "conga": 63, "bongo": 60, "shaker": 70,
    "tambourine": 54, "tom_hi": 48, "tom_lo": 41,
}


def midi_parts(arr: Arrangement) -> list[Part]:
    """The arrangement as General MIDI parts (notes in beats), drums on channel 10."""
    parts = []
    pitched = [(r, n) for r, n in sorted(arr.parts.items()) if arr.patches[r] in PATCHES]
    for ch, (role, notes) in enumerate(pitched):
        program = _GM_PROGRAM.get(arr.patches[role], 0)
        parts.append(
            Part(
                name=role,
                program=program,
                channel=ch if ch < 9 else ch + 1,
                notes=[
                    MidiNote(
                        note=int(m),
                        start=float(s),
                        duration=float(d),
                        velocity=max(1, min(127, round(v * 127))),
                    )
                    for m, s, d, v in notes
                ],
            )
        )
    if arr.drums:
        hits = [
            MidiNote(
                note=_GM_DRUM.get(piece, 38),
                start=float(b),
                duration=0.25,
                velocity=max(1, min(127, round(v * 127))),
            )
            for piece, pattern in arr.drums.items()
            for b, v in pattern
        ]
        parts.append(Part(name="drums", program=0, is_drums=True, notes=hits))
    return parts


def _cost(arr: Arrangement, role: str) -> float:
    """Rough synthesis cost of a part: sounding beats times unison voices."""
    patch = PATCHES.get(arr.patches.get(role, ""))
    if patch is None:
        return 1.0
    voices = patch.voices if patch is not None else 1
    doubled = 2 if role in arr.style.spread else 1
    return sum(d for _, _, d, _ in arr.parts[role]) * max(voices, 1) * doubled


class ComposerEngine(EngineBase):
    """Procedural arranger + synthesizer (no weights, no network)."""

    name = "composer"
    capabilities = Capabilities(seamless=True, controls=True, soundfont=True)

    def check_spec(self, spec: MusicSpec) -> None:
        """Refuse a genre the composer has no style for (instead of quietly another).

        Raises
        ------
        BadInputError
            The genre, and the genres that exist.
        """
        if spec.genre is not None and spec.genre not in STYLES:
            raise BadInputError(
                f"the composer has no genre {spec.genre!r}; choose one of "
                f"{', '.join(sorted(STYLES))} (or engine musicgen for any genre)", field="engine"
            )

    def plan(
        self, spec: MusicSpec, *, seed: int, controls: ComposerControls | None = None
    ) -> Arrangement:
        """Choose genre, tempo, key, length and write the arrangement for ``spec``.

        ``controls`` (``None``: all the genre's choices) are resolved first; the
        arrangement carries the resolved ones in ``arr.controls``.
        """
        self.check_spec(spec)
        rng = np.random.default_rng(seed)
        genre = spec.genre if spec.genre is not None else str(rng.choice(sorted(STYLES)))
        style = STYLES[genre]
        bpm = float(spec.bpm) if spec.bpm else float(rng.integers(*style.bpm_range))
        mode = spec.mode or theory.suggest_mode(genre=genre, moods=spec.moods)
        if mode not in ("major", "minor"):
            mode = theory.mode_quality(mode)  # modal flavours are rendered major/minor
        tonic = spec.key or str(rng.choice(_TONICS))
        resolved = resolve_controls(
            controls or ComposerControls(), defaults=style.defaults, moods=spec.moods,
            energy=spec.energy,
        )
        energy = float(resolved.energy or 0.0)
        for role, patch in resolved.instruments.items():
            if patch not in PATCHES:
                raise BadInputError(f"control instruments.{role}: unknown instrument {patch!r}; "
                                    f"use one of {', '.join(sorted(PATCHES))}")
        bars = choose_bars(bpm=bpm, min_duration=spec.min_duration, max_duration=spec.max_duration)
        brief = Brief(genre=genre, bpm=bpm, bars=bars, tonic=tonic, mode=mode,
                      moods=spec.moods, energy=energy)
        arr = arrange(brief, rng=rng, controls=resolved)
        words = {w.strip(".,;:!").lower() for w in spec.text.split()}
        kind = next((_TEXTURE_WORDS[w] for w in sorted(words) if w in _TEXTURE_WORDS),
                    style.texture)
        if kind is not None and resolved.levels.get("texture", 1.0) > 0:
            arr.parts["texture"], arr.patches["texture"] = [], kind
        if words & _WOBBLE_WORDS:
            arr.wobble = style.wobble
        return arr

    def render(self, arr: Arrangement, *, sr: int, seed: int,
               soundfont: Path | None = None) -> np.ndarray:
        """Render an arrangement to a seamless stereo loop ``[2, T]``.

        On two threads (the synthesis and pedalboard's effects release the GIL): every
        part is synthesised, and every effect group (parts sharing an effect role, e.g.
        the chords and their drone) runs its chain as soon as its parts are done. The reverbs of
        all groups become sends to one shared reverb bus. Each part draws from its own
        generator seeded from ``seed`` and its name, and stems are summed in a fixed
        order, so the result does not depend on the threads' order.
        With ``soundfont``, the parts :func:`~.sfparts.soundfont_roles` names are
        rendered by it (one FluidSynth run on a thread of its own, started first), the
        rest synthesised; each is placed and processed alike.
        """
        beat = 60.0 / arr.bpm
        n = round(arr.beats * beat * sr)
        ctl = arr.controls
        bright = 0.5 if ctl.brightness is None else ctl.brightness
        space = 0.5 if ctl.space is None else ctl.space

        sf_roles = soundfont_roles(arr) if soundfont is not None else []
        sf_pool = ThreadPoolExecutor(max_workers=1) if sf_roles else None
        sf_stems = (sf_pool.submit(render_parts, arr, sf_roles, soundfont=soundfont, sr=sr)
                    if sf_pool is not None and soundfont is not None else None)

        def synth(role: str) -> np.ndarray:
            if sf_stems is not None and role in sf_roles:
                return render_stem(arr, role, n=n, sr=sr, seed=seed,
                                   mono=sf_stems.result()[role][:n])
            return render_stem(arr, role, n=n, sr=sr, seed=seed)

        roles = sorted(arr.parts) + (["drums"] if arr.drums else [])
        groups: dict[str, list[str]] = {}
        for role in roles:
            groups.setdefault(_EFFECT_ROLE.get(role, role), []).append(role)
        boards = {
            g: split_send(tune_board(chain_for(arr.genre, moods=arr.moods, role=g, bpm=arr.bpm),
                                     brightness=bright, space=space))
            for g in groups
        }

        def effects(group: str) -> tuple[np.ndarray, np.ndarray | None]:
            # taken out of the dict: their memory can serve the next stems, and y is
            # this thread's alone (scaled in place below)
            first, *rest = (stems.pop(role) for role in groups[group])
            y = first
            for more in rest:
                y = y + more
            board, send = boards[group]
            if len(board):
                y = process_loop(y, sr=sr, board=board, channels=2)
            if send is None:
                return y, None
            wet = y * np.float32(send.wet)
            y *= np.float32(send.dry)
            return y, wet

        mix = np.zeros((2, n), dtype=np.float32)
        bus = np.zeros((2, n), dtype=np.float32)
        stems: dict[str, np.ndarray] = {}
        try:
            with ThreadPoolExecutor(max_workers=max_threads()) as pool:
                # Longest first keeps both threads busy to the end: the noise texture
                # (FFTs over the whole loop, as costly as the densest part: 0.75 CPU s
                # of lofi's vinyl) leads; the SoundFont's parts last, so that
                # FluidSynth has had the most time.
                order = sorted(roles, key=lambda r: (r in sf_roles, r != "texture",
                                                     -_cost(arr, r)))
                parts = {pool.submit(synth, role): role for role in order}
                # A group's effects start as soon as its parts are synthesised (no
                # barrier: one thread runs effects while the other still synthesises);
                # the groups are summed in a fixed order all the same.
                missing = {g: set(members) for g, members in groups.items()}
                chains: dict[str, Future[tuple[np.ndarray, np.ndarray | None]]] = {}
                for done in as_completed(parts):
                    stems[parts[done]] = done.result()
                    for g, left in missing.items():
                        left.discard(parts[done])
                        if not left and g not in chains:
                            chains[g] = pool.submit(effects, g)
                for g in sorted(groups):
                    dry, wet = chains[g].result()
                    mix += dry
                    if wet is not None:
                        bus += wet
        finally:
            if sf_pool is not None:
                sf_pool.shutdown()
        used = [send for _, send in boards.values() if send is not None and send.wet > 0]
        if used:
            mix += process_loop(bus, sr=sr, board=bus_reverb(used), channels=2,
                                make=lambda: bus_reverb(used))
        if arr.wobble > 0:  # the mix played off a worn tape (periodic: still seamless)
            mix = wow_flutter(y=mix, sr=sr, depth=arr.wobble, seed=seed)
        return self._effects(mix, arr, role="master", sr=sr)

    @staticmethod
    def _effects(y: np.ndarray, arr: Arrangement, *, role: str, sr: int) -> np.ndarray:
        """The genre's effect chain for ``role``, with tails wrapped around the loop."""
        ctl = arr.controls

        def make() -> Pedalboard:
            board = chain_for(arr.genre, moods=arr.moods, role=_EFFECT_ROLE.get(role, role),
                              bpm=arr.bpm)
            bright = 0.5 if ctl.brightness is None else ctl.brightness
            board = tune_board(board, brightness=bright,
                               space=0.5 if ctl.space is None else ctl.space)
            if role == "master" and abs(bright - 0.5) > 1e-6:
                board = Pedalboard([*tilt(bright), *board])
            return board

        board = make()
        if len(board) == 0:
            return y
        return process_loop(y, sr=sr, board=board, channels=2, make=make)

    def generate(self, spec: MusicSpec, params: GenerationParams, *, sr: int) -> EngineOutput:
        """Compose and render a seamless loop for ``spec``.

        ``params.extra["controls"]`` (a :class:`ComposerControls` or a dict) sets the
        controls; the resolved ones are recorded in ``info["controls"]``, so passing
        them back with the same spec and seed makes the same audio.
        """
        seed = spec.seed if spec.seed is not None else int(np.random.default_rng().integers(2**31))
        arr = self.plan(spec, seed=seed, controls=controls_from_extra(params.extra))
        parts = tuple(midi_parts(arr))
        soundfont = params.extra.get("soundfont")
        if soundfont is not None and str(soundfont).strip().lower() == NONE:
            soundfont, auto = None, None
        else:
            auto = None if soundfont else auto_soundfont()
        sf_roles = soundfont_roles(arr) if auto is not None else []
        if soundfont:
            from loopmill.engines.composer.soundfont import render_soundfont

            audio = render_soundfont(
                list(parts), soundfont=Path(str(soundfont)), bpm=arr.bpm, bars=arr.bars, sr=sr
            )
            audio = self._effects(audio, arr, role="master", sr=sr)
        else:
            audio = self.render(arr, sr=sr, seed=seed, soundfont=auto if sf_roles else None)
        info: dict[str, Any] = {
            "genre": arr.genre,
            "progression": arr.progression,
            "parts": sorted(arr.parts) + (["drums"] if arr.drums else []),
            "form": arr.form,
            "renderer": "soundfont" if soundfont else "synth+soundfont" if sf_roles else "synth",
            "soundfont_parts": sf_roles,
            # which bank made them: the same seed remakes the loop only with the same file
            "soundfont": str(soundfont or (auto if sf_roles else "")) or None,
            "controls": arr.controls.to_dict(),
        }
        return EngineOutput(
            audio=audio,
            sr=sr,
            seamless=True,
            bpm=arr.bpm,
            bars=arr.bars,
            beats_per_bar=arr.beats_per_bar,
            key=f"{arr.tonic} {arr.mode}",
            seed=seed,
            info=info,
            midi_parts=parts,
        )
