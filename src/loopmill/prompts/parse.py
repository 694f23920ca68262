"""Turn a free-text prompt into a `MusicSpec`, with keyword overrides that win.

The parser is a set of vocabularies and regular expressions (no model, no network):

- genre, moods, instruments, sections: aliases from `loopmill.prompts.vocab`, matched
  case-insensitively on whole words, longest alias first, with punctuation folded
  (``"Lo-Fi"``, ``"lo fi"`` and ``"lofi"`` are one genre); a trailing plural ``s`` is
  allowed. The genre is the first one named, but adjective-like aliases
  (``"atmospheric"``, ``"cinematic"``) lose to a genre named otherwise.
- key: ``"D minor"``, ``"Dm"``, ``"D min"``, ``"key of F#"``, ``"Bb major"``,
  ``"C# minor key"``, ``"E dorian"``, ``"F♯"``, and ``"in A"`` (capital letter, then
  the end, punctuation, a digit or "at"/"with"/"and"). A bare letter counts only
  next to "key", a mode word, or after "in"; a lower-case ``"a"`` is read as the
  article unless punctuation, a digit or the end follows it, so ``"in a minor key"``
  gives mode "minor" and no tonic (likewise ``"Am"`` before a word, as in "Am I").
  ``"minor key"`` or a church-mode name alone give a mode.
- tempo: ``"90 BPM"``, ``"90bpm"``, ``"120-130 bpm"`` (the middle), ``"tempo 120"``,
  ``"at 128 beats per minute"``. Without a number, tempo words are recorded as ``bpm``:
  "slow" 70, "moderate" 100, "fast"/"upbeat" 140 (see `TEMPO_WORDS`).
- energy: the mean of the energy words present (`ENERGY_WORDS`: "soft" 0.25,
  "driving" 0.8, ...), unless given.

Words the parser does not know stay in ``spec.text`` and are not an error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence

from loopmill import settings
from loopmill.errors import BadInputError
from loopmill.prompts.spec import (
    MusicSpec,
    check_bpm,
    check_duration,
    check_energy,
    normalize_tonic,
)
from loopmill.prompts.vocab import (
    ENERGY_WORDS,
    GENRE_ALIASES,
    INSTRUMENT_ALIASES,
    MODES,
    MOOD_ALIASES,
    SECTION_ALIASES,
    TEMPO_WORDS,
    WEAK_GENRE_ALIASES,
)

__all__ = ["parse_key", "parse_prompt"]

_MODE_ALIASES = {"maj": "major", "min": "minor", "m": "minor"}
_MODE_RE = "|".join(sorted((*MODES, "maj", "min"), key=len, reverse=True))
# A tonic: a letter, then #, b (not starting a word), or "sharp"/"flat".
_TONIC = r"([a-g](?:[#]|b(?![a-z])|[ -]?(?:sharp|flat)\b)?)"
_KEY_PATTERNS = (
    # "D minor", "C# minor key", "Bb-major", "E dorian", "F sharp min"
    re.compile(rf"(?<![\w#]){_TONIC}\s*-?\s*({_MODE_RE})\b", re.I),
    # "Dm", "F#m", "Ebmaj" (capital letter, no space)
    re.compile(r"(?<![\w#])([A-G][#b]?)(m|min|maj)(?![\w#])"),
    # "key of F#", "key: Eb minor", "key D"
    re.compile(rf"\bkey\s*(?:of\b|:|=|is\b|in\b)?\s*{_TONIC}(?![\w#])(?:\s*-?\s*({_MODE_RE})\b)?",
               re.I),
    # "F# key"
    re.compile(rf"(?<![\w#]){_TONIC}()\s+key\b", re.I),
    # "in A", "in F#, 90 bpm"
    re.compile(r"\b(?i:in)\s+([A-G](?:#|b(?![a-z]))?)()"
               r"(?=\s*(?:$|[,.;:!?)\]]|\d)|\s+(?:at|with|and)\b)"),
)
_MODE_ONLY = re.compile(
    rf"\b(major|minor)\s+(?:key|mode|scale|tonality)\b|\b({'|'.join(MODES[2:])})\b", re.I
)
_STRICT_KEY = re.compile(
    rf"\s*([a-g](?:[#b]|[ -]?(?:sharp|flat)\b)?)\s*-?\s*(?:({_MODE_RE}|m)\b)?\s*(?:key)?\s*",
    re.I,
)
_NUM = r"(\d+(?:\.\d+)?)"
_BPM_UNIT = r"(?:bpm|beats\s+(?:per|a)\s+minute)\b"
_TEMPO_RANGE = re.compile(rf"(?<![\w.]){_NUM}\s*(?:-|–|to)\s*{_NUM}\s*{_BPM_UNIT}", re.I)
_TEMPO_PATTERNS = (
    re.compile(rf"(?<![\w.]){_NUM}\s*-?\s*{_BPM_UNIT}", re.I),
    re.compile(rf"\b(?:tempo|bpm)\b\s*(?:[:=~]|of\b|is\b|at\b)?\s*(?:(?:around|about)\s+)?{_NUM}",
               re.I),
)


def _fold(text: str) -> str:
    """Lower case, punctuation to spaces, single-spaced, padded: the vocabulary's form."""
    text = text.lower().replace("'", "").replace("’", "")
    text = re.sub(r"[^\w#]+|_", " ", text)
    return f" {' '.join(text.split())} "


@functools.cache
def _alias_regex(table_id: int) -> tuple[re.Pattern[str], dict[str, str]]:
    table = _TABLES[table_id]
    lookup = {alias: canonical for canonical, aliases in table.items() for alias in aliases}
    alternatives = "|".join(re.escape(a) for a in sorted(lookup, key=len, reverse=True))
    return re.compile(rf"(?<![\w#])({alternatives})(?:e?s)?(?![\w#])"), lookup


_TABLES: tuple[Mapping[str, Sequence[str]], ...] = (
    GENRE_ALIASES,
    MOOD_ALIASES,
    INSTRUMENT_ALIASES,
    SECTION_ALIASES,
    {word: (word,) for word in ENERGY_WORDS},
    {word: (word,) for word in TEMPO_WORDS},
)
_GENRE, _MOOD, _INSTRUMENT, _SECTION, _ENERGY, _TEMPO = range(len(_TABLES))


def _find(folded: str, table: int) -> list[tuple[str, str]]:
    """(alias, canonical) for each match in prompt order, longest alias first."""
    pattern, lookup = _alias_regex(table)
    return [(m.group(1), lookup[m.group(1)]) for m in pattern.finditer(folded)]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _canonical(word: str, table: int) -> str:
    """The canonical name for one word or alias, else the word cleaned up."""
    folded = _fold(word).strip()
    pattern, lookup = _alias_regex(table)
    m = pattern.fullmatch(folded)
    return lookup[m.group(1)] if m else folded


def _norm_mode(word: str) -> str:
    lower = word.lower()
    return _MODE_ALIASES.get(lower, lower)


def parse_key(text: str) -> tuple[str, str | None]:
    """Read a key written on its own: ``"D minor"``, ``"F#"``, ``"Bbm"``, ``"E dorian"``.

    Parameters
    ----------
    text : str
        The key on its own, e.g. the ``key`` a request gives.

    Returns
    -------
    tuple of (str, str or None)
        The tonic (``"D"``, ``"F#"``, ``"Bb"``) and the mode, if one was written.

    Raises
    ------
    BadInputError
        ``text`` is not a key.
    """
    m = _STRICT_KEY.fullmatch(text.replace("♯", "#").replace("♭", "b")) if isinstance(
        text, str
    ) else None
    tonic = normalize_tonic(m.group(1)) if m else None
    if m is None or tonic is None:
        raise BadInputError(
            f"unknown key {text!r}; use a tonic A-G with #/b and major/minor, "
            'e.g. "D minor"'
        )
    return tonic, _norm_mode(m.group(2)) if m.group(2) else None


def _word_follows(rest: str) -> bool:
    """True unless ``rest`` is empty or starts with punctuation or a digit."""
    return bool(rest.strip()) and not re.match(r"\s*[,.;:!?)\]\d]", rest)


def _key_from_text(text: str) -> tuple[str | None, str | None]:
    text = text.replace("♯", "#").replace("♭", "b")
    best: tuple[int, str, str | None] | None = None
    article_mode: str | None = None
    for pattern in _KEY_PATTERNS:
        for m in pattern.finditer(text):
            raw, mode = m.group(1), m.group(2) or None
            rest = text[m.end():]
            if (raw == "a" or m.group(0) == "Am") and _word_follows(rest):
                if raw == "a":
                    article_mode = article_mode or (mode and _norm_mode(mode))
                continue  # "in a minor key", "a dorian melody", "Am I": English, not a key
            tonic = normalize_tonic(raw)
            if tonic is not None and (best is None or m.start() < best[0]):
                best = (m.start(), tonic, _norm_mode(mode) if mode else None)
            break
    alone = _MODE_ONLY.search(text)
    mode_only = _norm_mode(alone.group(1) or alone.group(2)) if alone else article_mode
    if best is not None:
        return best[1], best[2] or mode_only
    return None, mode_only


def _tempo_from_text(text: str, folded: str) -> float | None:
    candidates: list[tuple[int, float]] = []
    span = _TEMPO_RANGE.search(text)
    if span:
        candidates.append((span.start(), (float(span.group(1)) + float(span.group(2))) / 2))
    for pattern in _TEMPO_PATTERNS:
        m = pattern.search(text)
        if m:
            candidates.append((m.start(), float(m.group(1))))
    if candidates:
        return check_bpm(min(candidates)[1], name="the prompt's tempo")
    words = _find(folded, _TEMPO)
    return TEMPO_WORDS[words[0][1]] if words else None


def _genre_from_text(folded: str) -> str | None:
    found = _find(folded, _GENRE)
    strong = [canonical for alias, canonical in found if alias not in WEAK_GENRE_ALIASES]
    ranked = strong or [canonical for _, canonical in found]
    return ranked[0] if ranked else None


def _word_list(value: str | Sequence[str], name: str, table: int) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not all(isinstance(i, str) for i in items):
        raise BadInputError(f"{name} {value!r} is not a list of words; use e.g. 'calm, dark'")
    return _unique(_canonical(i, table) for i in items if i.strip())


def parse_prompt(
    text: str,
    *,
    bpm: float | None = None,
    key: str | None = None,
    mode: str | None = None,
    genre: str | None = None,
    moods: str | Sequence[str] | None = None,
    instruments: str | Sequence[str] | None = None,
    sections: str | Sequence[str] | None = None,
    energy: float | None = None,
    min_duration: float | None = None,
    max_duration: float | None = None,
    seed: int | None = None,
) -> MusicSpec:
    """Read genre, moods, instruments, key, tempo, energy and sections from a prompt.

    Parameters
    ----------
    text : str
        The prompt, e.g. ``"Synthwave, D minor, 90 BPM, warm analog synth bass"``.
    bpm, key, mode, genre, moods, instruments, sections, energy, min_duration, \
max_duration, seed
        Overrides; each one given (not None) wins over the text. ``key`` may hold a
        mode (``"D minor"``); a ``key`` without one keeps the mode from the text, and
        ``mode`` wins over both. ``genre``, ``moods``, ``instruments`` and ``sections``
        map aliases to canonical names and keep unknown words; the lists may be
        comma-separated strings. Errors name the parameter (``bpm``) and declare it as
        the error's field, so the CLI says ``--bpm``.

    Returns
    -------
    MusicSpec
        ``spec.text`` is ``text`` unchanged; ``min_duration``/``max_duration`` default
        to 8 and 30 seconds.

    Raises
    ------
    BadInputError
        An override is invalid, or the prompt's numeric tempo is outside 24..240.
    """
    if not isinstance(text, str):
        raise BadInputError(f"the prompt must be text, got {text!r}")
    folded = _fold(text)
    tonic, text_mode = _key_from_text(text)
    if key is not None:
        tonic, key_mode = parse_key(key)
        text_mode = key_mode or text_mode
    if mode is not None:
        text_mode = _norm_mode(mode.strip()) if isinstance(mode, str) else None
        if text_mode not in MODES:
            raise BadInputError(f"mode {mode!r} is not a mode; use one of {', '.join(MODES)}")

    if bpm is not None:
        tempo: float | None = check_bpm(bpm, name="bpm")
    else:
        tempo = _tempo_from_text(text, folded)

    if energy is not None:
        level: float | None = check_energy(energy, name="energy")
    else:
        values = [ENERGY_WORDS[word] for _, word in _find(folded, _ENERGY)]
        level = round(sum(values) / len(values), 3) if values else None

    if genre is not None:
        if not isinstance(genre, str) or not genre.strip():
            raise BadInputError(f"genre {genre!r} is empty; use e.g. 'synthwave'", field="genre")
        style: str | None = _canonical(genre, _GENRE)
    else:
        style = _genre_from_text(folded)

    lo, hi = settings.MIN_DURATION, settings.MAX_DURATION
    if min_duration is not None:
        lo = check_duration(min_duration, name="min_duration")
    if max_duration is not None:
        hi = check_duration(max_duration, name="max_duration")
    if lo > hi:
        lo_name = "min_duration" if min_duration is not None else "the default min duration"
        hi_name = "max_duration" if max_duration is not None else "the default max duration"
        raise BadInputError(
            f"{lo_name} {lo:g} is longer than {hi_name} {hi:g}; "
            "give a min duration <= the max duration",
            field=tuple(n for n in (lo_name, hi_name) if n.isidentifier()),
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise BadInputError(f"seed {seed!r} is not valid; use an integer >= 0", field="seed")

    def words(value: str | Sequence[str] | None, name: str, table: int) -> tuple[str, ...]:
        if value is not None:
            return _word_list(value, name, table)
        return _unique(canonical for _, canonical in _find(folded, table))

    return MusicSpec(
        text, genre=style, bpm=tempo, key=tonic, mode=text_mode, energy=level,
        moods=words(moods, "moods", _MOOD),
        instruments=words(instruments, "instruments", _INSTRUMENT),
        sections=words(sections, "sections", _SECTION),
        min_duration=lo, max_duration=hi, seed=seed,
    )
