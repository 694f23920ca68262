"""The offline prompt provider: a seedable grammar of genres, moods, instruments, keys.

It follows audio_loop_gen's prompt rules: a melody of 3–6 words, 2–3 instruments,
1–2 optional parts, a tempo of 30–150 BPM with most between 50 and 120, at most 160
characters. A use case ("space shooter", "cozy farming game", "horror") shifts the
odds of genres, moods and tempo; unknown use cases keep the default odds and lend
their words to the prompt.
"""

from __future__ import annotations

import numpy as np

from loopmill import settings
from loopmill.prompts.spec import MusicSpec

__all__ = ["MAX_CHARS", "USE_CASES", "TemplateProvider"]

MAX_CHARS = 160

_GENRE_WORDS = {
    "synthwave": "synthwave", "lofi": "lo-fi hip hop", "ambient": "ambient",
    "chiptune": "chiptune", "orchestral": "orchestral", "house": "house",
    "rock": "rock", "jazz": "jazz lounge",
}
_INSTRUMENTS = {
    "synthwave": ("analog synth bass", "gated drums", "lush pad", "arpeggiated synth",
                  "retro lead"),
    "lofi": ("dusty rhodes", "vinyl crackle", "mellow bass", "boom bap drums", "soft keys"),
    "ambient": ("warm pad", "soft drone", "glassy bells", "airy strings", "deep sub"),
    "chiptune": ("square lead", "triangle bass", "noise drums", "pulse arpeggio"),
    "orchestral": ("strings", "french horns", "timpani", "choir pad", "harp"),
    "house": ("four on the floor kick", "deep bass", "stab chords", "open hats",
              "plucky synth"),
    "rock": ("electric guitar", "bass guitar", "live drums", "power chords"),
    "jazz": ("electric piano", "upright bass", "brushed drums", "muted trumpet"),
}
_MELODY_ADJ = ("gentle", "soaring", "haunting", "bouncy", "simple", "wistful", "bold",
               "floating", "catchy", "slow", "driving", "playful", "sparse", "warm")
_MELODY_NOUN = ("melody", "motif", "theme", "hook", "riff", "line")
_MELODY_TAIL = ("that repeats", "over steady chords", "with call and response",
                "rising slowly", "in a low register", "with long notes")
_PARTS = ("with a soft arpeggio", "sparse percussion", "with a slow build",
          "light syncopation", "with a sub bass pulse", "a gentle counter melody",
          "with wide stereo pads", "a short drum fill")
_MOODS = ("calm", "happy", "tense", "dark", "epic", "mysterious", "playful", "dreamy",
          "energetic", "melancholic")
_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: use-case keyword -> (genre weights, mood weights, tempo centre)
USE_CASES: dict[str, tuple[dict[str, float], dict[str, float], float]] = {
    "space": ({"synthwave": 4, "ambient": 2, "chiptune": 1}, {"mysterious": 3, "epic": 2}, 100),
    "shooter": ({"synthwave": 3, "chiptune": 2, "rock": 2}, {"energetic": 3, "tense": 2}, 125),
    "horror": ({"ambient": 4, "orchestral": 2}, {"dark": 4, "tense": 3, "mysterious": 2}, 65),
    "racing": ({"house": 3, "rock": 3, "synthwave": 2}, {"energetic": 4, "epic": 1}, 135),
    "farming": ({"lofi": 3, "jazz": 2, "orchestral": 1}, {"calm": 3, "happy": 3}, 85),
    "cozy": ({"lofi": 4, "jazz": 2}, {"calm": 3, "happy": 2, "dreamy": 2}, 80),
    "puzzle": ({"lofi": 2, "jazz": 2, "ambient": 2}, {"calm": 3, "playful": 2}, 90),
    "platformer": ({"chiptune": 4, "house": 1}, {"happy": 3, "playful": 3}, 130),
    "retro": ({"chiptune": 4, "synthwave": 3}, {"playful": 2, "energetic": 2}, 120),
    "boss": ({"orchestral": 3, "rock": 3}, {"epic": 4, "tense": 2}, 140),
    "battle": ({"orchestral": 3, "rock": 2}, {"epic": 3, "energetic": 3}, 135),
    "fantasy": ({"orchestral": 4, "ambient": 1}, {"epic": 2, "mysterious": 2}, 95),
    "meditation": ({"ambient": 5}, {"calm": 4, "dreamy": 3}, 60),
    "study": ({"lofi": 5, "jazz": 1}, {"calm": 4, "melancholic": 1}, 80),
    "menu": ({"synthwave": 2, "lofi": 2, "ambient": 2}, {"calm": 2, "mysterious": 1}, 90),
    "city": ({"house": 2, "jazz": 2, "lofi": 2}, {"calm": 1, "energetic": 1}, 105),
    "stealth": ({"ambient": 3, "synthwave": 1}, {"tense": 4, "mysterious": 2}, 85),
}


def _pick(rng: np.random.Generator, weights: dict[str, float], names: tuple[str, ...]) -> str:
    w = np.array([1.0 + weights.get(n, 0.0) for n in names])
    return str(names[int(rng.choice(len(names), p=w / w.sum()))])


class TemplateProvider:
    """Prompts from the grammar; the same seed gives the same sequence, no duplicates.

    Parameters
    ----------
    use_case : str, optional
        Free text; its known keywords (see :data:`USE_CASES`) steer the odds.
    seed : int, optional
        None draws a fresh sequence.
    min_duration, max_duration : float
        Carried into every spec.
    """

    name = "template"

    def __init__(self, *, use_case: str | None = None, seed: int | None = None,
                 min_duration: float = settings.MIN_DURATION,
                 max_duration: float = settings.MAX_DURATION) -> None:
        self.use_case = (use_case or "").strip()
        self.min_duration, self.max_duration = min_duration, max_duration
        self._rng = np.random.default_rng(seed)
        self._seen: set[str] = set()
        self._genres: dict[str, float] = {}
        self._moods: dict[str, float] = {}
        centres = []
        for word, (g, m, c) in USE_CASES.items():
            if word in self.use_case.lower():
                for k, v in g.items():
                    self._genres[k] = self._genres.get(k, 0.0) + v
                for k, v in m.items():
                    self._moods[k] = self._moods.get(k, 0.0) + v
                centres.append(c)
        self._centre = float(np.mean(centres)) if centres else 90.0

    def _bpm(self) -> int:
        # most in 50-120 (a normal around the use case's centre), all within 30-150
        return int(np.clip(round(self._rng.normal(self._centre, 16.0)), 30, 150))

    def _one(self) -> MusicSpec:
        rng = self._rng
        genre = _pick(rng, self._genres, tuple(_GENRE_WORDS))
        moods = [_pick(rng, self._moods, _MOODS)]
        if rng.random() < 0.5:
            second = _pick(rng, self._moods, _MOODS)
            if second != moods[0]:
                moods.append(second)
        pool = _INSTRUMENTS[genre]
        instruments = [str(x) for x in rng.choice(pool, size=int(rng.integers(2, 4)),
                                                    replace=False)]
        adjectives = [str(a) for a in rng.choice(_MELODY_ADJ, size=2, replace=False)]
        melody = [adjectives[0], str(rng.choice(_MELODY_NOUN))]
        if rng.random() < 0.7:  # 3-6 words: a tail of 2-4, or a second adjective
            melody += str(rng.choice(_MELODY_TAIL)).split()
        else:
            melody.insert(0, adjectives[1])
        parts = [str(x) for x in rng.choice(_PARTS, size=int(rng.integers(1, 3)), replace=False)]
        mode = "minor" if ({"dark", "tense", "mysterious", "melancholic"} & set(moods)
                           or rng.random() < 0.4) else "major"
        tonic = str(rng.choice(_TONICS))
        bpm = self._bpm()
        lead = f"{' and '.join(moods)} {_GENRE_WORDS[genre]}"
        context = f" for a {self.use_case}" if self.use_case else ""
        pieces = [lead + context, " ".join(melody), ", ".join(instruments), *parts,
                  f"{tonic} {mode}", f"{bpm} BPM"]
        text = ", ".join(pieces)
        while len(text) > MAX_CHARS and len(pieces) > 5:  # drop optional parts first
            pieces.pop(3)
            text = ", ".join(pieces)
        if len(text) > MAX_CHARS:
            pieces[0] = lead
            text = ", ".join(pieces)[:MAX_CHARS]
        return MusicSpec(text, genre=genre, moods=tuple(moods), instruments=tuple(instruments),
                         bpm=float(bpm), key=tonic, mode=mode,
                         min_duration=self.min_duration, max_duration=self.max_duration)

    def batch(self, k: int) -> list[MusicSpec]:
        """``k`` new specs (never a text this provider gave before)."""
        out: list[MusicSpec] = []
        tries = 0
        while len(out) < k and tries < 100 * max(k, 1):
            tries += 1
            spec = self._one()
            if spec.text in self._seen:
                continue
            self._seen.add(spec.text)
            out.append(spec)
        return out
