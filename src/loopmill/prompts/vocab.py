"""Vocabularies that the prompt parser recognises: genres, moods, instruments, keys, tempo.

Every table maps a canonical name to its aliases. Aliases are written in lower case
with words separated by single spaces; the parser folds hyphens, underscores and
slashes in the prompt to spaces before it matches, so ``"lo-fi"`` and ``"lo fi"`` are
one alias.
"""

from __future__ import annotations

__all__ = [
    "ENERGY_WORDS",
    "GENRES",
    "GENRE_ALIASES",
    "INSTRUMENTS",
    "INSTRUMENT_ALIASES",
    "MODES",
    "MOODS",
    "MOOD_ALIASES",
    "SECTIONS",
    "SECTION_ALIASES",
    "TEMPO_WORDS",
    "TONICS",
    "WEAK_GENRE_ALIASES",
]

GENRE_ALIASES: dict[str, tuple[str, ...]] = {
    "synthwave": ("synthwave", "synth wave", "retrowave", "retro wave", "outrun", "80s synth"),
    "lofi": ("lofi", "lo fi", "lo fi hip hop", "lofi hip hop", "chillhop", "chill hop"),
    "ambient": ("ambient", "drone", "atmospheric"),
    "chiptune": ("chiptune", "chip tune", "8 bit", "8bit", "16 bit", "16bit", "nes", "gameboy",
                 "game boy"),
    "orchestral": ("orchestral", "orchestra", "cinematic", "epic orchestral", "symphonic",
                   "film score"),
    "house": ("house", "techno", "edm", "deep house", "electronic dance"),
    "rock": ("rock", "punk", "guitar rock", "hard rock"),
    "jazz": ("jazz", "lounge", "swing", "bossa nova", "smooth jazz"),
    "fantasy": ("fantasy", "medieval", "celtic", "tavern", "folk", "renaissance", "bardic"),
    "horror": ("horror", "creepy", "haunted", "survival horror"),
    "dnb": ("dnb", "drum and bass", "drum n bass", "jungle", "liquid dnb"),
    "trap": ("trap", "hip hop", "hiphop", "rap beat", "boom bap", "drill"),
    "metal": ("metal", "heavy metal", "thrash", "metalcore", "djent"),
    "world": ("world", "world music", "tribal", "afrobeat", "latin", "percussion",
              "world percussion"),
}
GENRES: tuple[str, ...] = tuple(GENRE_ALIASES)
# Adjective-like aliases: a genre named otherwise in the prompt wins over them
# ("atmospheric synthwave" is synthwave).
WEAK_GENRE_ALIASES: frozenset[str] = frozenset(
    {"atmospheric", "cinematic", "drone", "swing", "lounge", "nes", "tavern", "folk",
     "creepy", "haunted", "percussion", "tribal"}
)

MOOD_ALIASES: dict[str, tuple[str, ...]] = {
    "calm": ("calm", "calming", "relaxed", "relaxing", "chill", "chilled", "laid back",
             "mellow"),
    "happy": ("happy", "cheerful", "joyful", "joyous", "uplifting", "sunny"),
    "sad": ("sad", "sorrowful", "mournful", "somber", "sombre", "tearful", "heartbroken"),
    "tense": ("tense", "tension", "suspense", "suspenseful", "anxious", "nervous", "urgent"),
    "dark": ("dark", "ominous", "sinister", "gloomy", "brooding", "menacing", "spooky"),
    "epic": ("epic", "heroic", "majestic"),
    "mysterious": ("mysterious", "mystery", "enigmatic", "eerie", "mystical"),
    "playful": ("playful", "whimsical", "quirky", "fun", "bouncy", "silly", "cute"),
    "dreamy": ("dreamy", "dreamlike", "ethereal", "hazy", "floaty"),
    "energetic": ("energetic", "energizing", "energising", "lively", "high energy",
                  "exciting"),
    "melancholic": ("melancholic", "melancholy", "wistful", "bittersweet", "nostalgic",
                    "lonely"),
    "triumphant": ("triumphant", "victorious", "victory", "celebratory", "glorious",
                   "anthemic"),
    "contemplative": ("contemplative", "reflective", "thoughtful", "meditative",
                      "introspective", "pensive"),
    "aggressive": ("aggressive", "angry", "fierce", "furious", "brutal", "hard hitting"),
    "peaceful": ("peaceful", "serene", "tranquil", "soothing", "pastoral", "idyllic"),
}
MOODS: tuple[str, ...] = tuple(MOOD_ALIASES)

INSTRUMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "synth bass": ("synth bass", "synth bassline", "bass synth", "analog synth bass",
                   "analogue synth bass", "analog bass", "analogue bass", "sub bass"),
    "analog synth": ("analog synth", "analogue synth", "analog synthesizer",
                     "analogue synthesizer", "modular synth"),
    "synth": ("synth", "synthesizer", "synthesiser"),
    "pad": ("pad", "synth pad", "warm pad", "string pad"),
    "arpeggio": ("arpeggio", "arp", "arpeggiator", "arpeggiated synth", "arpeggios"),
    "lead": ("lead", "synth lead", "lead synth", "lead melody"),
    "pluck": ("pluck", "synth pluck", "plucked synth"),
    "piano": ("piano", "grand piano", "acoustic piano"),
    "electric piano": ("electric piano", "rhodes", "wurlitzer", "e piano", "epiano"),
    "strings": ("strings", "string", "string section", "string ensemble"),
    "brass": ("brass", "brass section", "horns", "horn section"),
    "choir": ("choir", "choral", "chorale"),
    "flute": ("flute",),
    "guitar": ("guitar", "acoustic guitar"),
    "electric guitar": ("electric guitar", "distorted guitar", "lead guitar"),
    "bass guitar": ("bass guitar", "electric bass"),
    "bass": ("bass", "bassline", "bass line"),
    "drums": ("drums", "drum", "drum kit", "live drums"),
    "drum machine": ("drum machine", "beat machine"),
    "808": ("808", "tr 808"),
    "kick": ("kick", "kick drum", "bass drum"),
    "hi-hat": ("hi hat", "hihat", "hats"),
    "snare": ("snare", "snare drum"),
    "percussion": ("percussion", "shaker", "tambourine", "congas"),
    "bells": ("bells", "bell", "glockenspiel", "chimes"),
    "marimba": ("marimba", "xylophone", "vibraphone"),
    "organ": ("organ", "hammond", "church organ"),
    "sax": ("sax", "saxophone"),
    "trumpet": ("trumpet",),
    "violin": ("violin", "fiddle"),
    "cello": ("cello",),
    "harp": ("harp",),
}
INSTRUMENTS: tuple[str, ...] = tuple(INSTRUMENT_ALIASES)

SECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "intro": ("intro", "introduction"),
    "build": ("build", "build up", "buildup", "riser"),
    "drop": ("drop",),
    "breakdown": ("breakdown", "break down"),
    "outro": ("outro",),
    "loop": ("loop", "loopable", "looping", "seamless loop"),
    "verse": ("verse",),
    "chorus": ("chorus", "refrain"),
}
SECTIONS: tuple[str, ...] = tuple(SECTION_ALIASES)

# Words that set ``energy`` (0..1) when the caller gives none; several words average.
ENERGY_WORDS: dict[str, float] = {
    "chill": 0.25, "chilled": 0.25, "soft": 0.25, "gentle": 0.25, "quiet": 0.2,
    "calm": 0.25, "relaxed": 0.25, "relaxing": 0.25, "mellow": 0.3, "laid back": 0.3,
    "sleepy": 0.15, "subdued": 0.25, "minimal": 0.3, "low energy": 0.2, "peaceful": 0.2,
    "serene": 0.2, "tranquil": 0.2, "medium energy": 0.5, "groovy": 0.6,
    "driving": 0.8, "intense": 0.85, "energetic": 0.85, "high energy": 0.9,
    "powerful": 0.85, "aggressive": 0.9, "pumping": 0.85, "explosive": 0.95,
    "frantic": 0.95, "hard hitting": 0.9, "heavy": 0.8, "loud": 0.8,
}

# Tempo words, used as ``bpm`` only when the prompt gives no number.
TEMPO_WORDS: dict[str, float] = {
    "very slow": 60.0, "slow": 70.0, "slow tempo": 70.0, "downtempo": 80.0,
    "moderate": 100.0, "mid tempo": 100.0, "midtempo": 100.0, "medium tempo": 100.0,
    "fast": 140.0, "upbeat": 140.0, "uptempo": 140.0, "up tempo": 140.0,
    "very fast": 170.0,
}

MODES: tuple[str, ...] = (
    "major", "minor", "ionian", "dorian", "phrygian", "lydian", "mixolydian", "aeolian",
    "locrian",
)
TONICS: tuple[str, ...] = tuple(f"{letter}{acc}" for letter in "CDEFGAB" for acc in ("", "#", "b"))
