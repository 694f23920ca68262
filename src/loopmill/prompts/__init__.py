"""loopmill.prompts: what to make, as a `MusicSpec`, read from a prompt or given directly."""

from loopmill.prompts.parse import parse_key, parse_prompt
from loopmill.prompts.spec import MusicSpec
from loopmill.prompts.vocab import GENRES, INSTRUMENTS, MODES, MOODS, SECTIONS, TONICS

__all__ = [
    "GENRES",
    "INSTRUMENTS",
    "MODES",
    "MOODS",
    "SECTIONS",
    "TONICS",
    "MusicSpec",
    "parse_key",
    "parse_prompt",
]
