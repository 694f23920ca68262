"""The field → flag table: library errors name fields, the CLI prints flags."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from loopmill.cli._flags import FIELD_FLAGS, cli_message
from loopmill.errors import BadInputError, LoopmillError, StorageError

SRC = Path(__file__).resolve().parents[2] / "src" / "loopmill"


def test_declared_field_becomes_its_flag() -> None:
    exc = BadInputError("bpm 500 is out of range; use 24 to 240", field="bpm")
    assert cli_message(exc) == "--bpm 500 is out of range; use 24 to 240"


def test_only_whole_words_of_declared_fields_change() -> None:
    exc = BadInputError("min_duration 2 is below 8; key and keyboard stay", field="min_duration")
    assert cli_message(exc) == "--min-duration 2 is below 8; key and keyboard stay"


def test_every_use_of_a_declared_field_is_a_reference() -> None:
    exc = BadInputError("dest 'a' is not the run's; resume it without dest", field="dest")
    assert cli_message(exc) == "--dest 'a' is not the run's; resume it without --dest"


def test_several_fields_and_undeclared_ones() -> None:
    exc = BadInputError("min_duration 40 is above max_duration 30; bpm stays",
                        field=("min_duration", "max_duration"))
    assert cli_message(exc) == "--min-duration 40 is above --max-duration 30; bpm stays"
    assert cli_message(LoopmillError("bpm is fine")) == "bpm is fine"


def test_fields_survive_pickling_between_processes() -> None:
    exc = StorageError("dest s3://x is unreachable", field="dest")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is StorageError and str(back) == str(exc)
    assert back.fields == ("dest",) and back.exit_code == 2


def test_every_declared_field_in_the_library_has_a_flag() -> None:
    """A field the library declares but the table lacks would reach the user unmapped."""
    declared: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts[:1]:
            continue
        text = path.read_text()
        for m in re.finditer(r"field=\(?((?:\"[a-z_]+\",?\s*)+)\)?", text):
            declared.update(re.findall(r"\"([a-z_]+)\"", m.group(1)))
    missing = sorted(declared - set(FIELD_FLAGS))
    assert not missing, f"fields without a flag in FIELD_FLAGS: {missing}"


def test_table_flags_exist_on_some_command() -> None:
    """Every flag in the table is one a command really takes (no stale entries)."""
    from typing import Any

    import typer.main

    from loopmill.cli.main import app

    flags: set[str] = set()

    def walk(cmd: Any) -> None:  # typer may vendor click: walk by attributes
        for p in cmd.params:
            opts = list(getattr(p, "opts", []))
            flags.update(o if o.startswith("-") else o.upper() for o in opts)
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    stale = sorted(f for f in set(FIELD_FLAGS.values()) if f not in flags)
    assert not stale, f"flags no command takes: {stale}"


@pytest.mark.parametrize("bad", ["--bpm", "-x"])
def test_flags_in_table_look_like_flags(bad: str) -> None:
    assert all(f.startswith("--") or f.isupper() for f in FIELD_FLAGS.values())
    assert bad not in FIELD_FLAGS  # keys are field names, never flags
