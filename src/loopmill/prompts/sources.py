"""Prompt providers that read what a person wrote: a file, or the terminal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from loopmill import settings
from loopmill.errors import BadInputError, LoopmillError
from loopmill.prompts.parse import parse_prompt
from loopmill.prompts.spec import MusicSpec

__all__ = ["FileProvider", "ManualProvider"]


class FileProvider:
    """Specs from a file: plain text (a prompt a line; ``#`` comments) or JSONL.

    JSONL (``.jsonl``) holds one :meth:`MusicSpec.to_dict`-style object a line;
    ``text`` is required, everything else optional.

    Raises
    ------
    BadInputError
        A missing file, or a bad line (named as ``file:line``), when it is read.
    """

    name = "file"

    def __init__(self, path: str | Path, *, min_duration: float = settings.MIN_DURATION,
                 max_duration: float = settings.MAX_DURATION) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise BadInputError(f"prompt_file {self.path} does not exist; pass a .txt or "
                                ".jsonl file with one prompt a line", field="prompt_file")
        self._durations = {"min_duration": min_duration, "max_duration": max_duration}
        self._specs = self._read()
        self._next = 0

    def _read(self) -> list[MusicSpec]:
        jsonl = self.path.suffix.lower() == ".jsonl"
        specs = []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            where = f"{self.path}:{number}"
            try:
                if jsonl:
                    data = json.loads(text)
                    if not isinstance(data, dict):
                        raise BadInputError("expected a JSON object")
                    specs.append(MusicSpec.from_dict({**self._durations, **data}))
                else:
                    specs.append(parse_prompt(text, **self._durations))  # type: ignore[arg-type]
            except json.JSONDecodeError as exc:
                raise BadInputError(f"{where}: not JSON ({exc.msg}); write one object a "
                                    "line") from None
            except LoopmillError as exc:
                raise BadInputError(f"{where}: {exc}") from None
        return specs

    def batch(self, k: int) -> list[MusicSpec]:
        """The next ``k`` specs; an empty list at the end of the file."""
        out = self._specs[self._next:self._next + k]
        self._next += len(out)
        return out


class ManualProvider:
    """Prompts typed at the terminal, one a line; an empty line or end of input stops."""

    name = "manual"

    def __init__(self, *, input_fn: Callable[[str], str] = input,
                 min_duration: float = settings.MIN_DURATION,
                 max_duration: float = settings.MAX_DURATION) -> None:
        self._input = input_fn
        self._durations = (min_duration, max_duration)
        self._done = False

    def batch(self, k: int) -> list[MusicSpec]:
        """Read one prompt (a person types one at a time); [] when they stop."""
        if self._done:
            return []
        try:
            text = self._input("prompt (empty line to stop): ").strip()
        except EOFError:
            text = ""
        if not text:
            self._done = True
            return []
        lo, hi = self._durations
        return [parse_prompt(text, min_duration=lo, max_duration=hi)]
