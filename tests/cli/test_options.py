"""Options every command shares: ``--log-level`` and one meaning per short flag."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from loopmill.cli._options import SHORT_FLAGS
from loopmill.cli.main import app

runner = CliRunner()


# typer may bring its own copy of click: commands and options are told apart by what
# they have, not by click's classes.
def _commands() -> Iterator[tuple[str, Any]]:
    """Every leaf command of the app, with its full name (``catalog list``)."""
    def walk(prefix: str, cmd: Any) -> Iterator[tuple[str, Any]]:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                yield from walk(f"{prefix} {name}".strip(), sub)
        else:
            yield prefix, cmd

    return walk("", get_command(app))


def _options(cmd: Any) -> list[Any]:
    return [p for p in cmd.params if p.param_type_name == "option"]


def test_the_walk_sees_every_command() -> None:
    names = {name for name, _ in _commands()}
    assert {"generate", "loop", "inspect", "auto", "suite", "sample", "evolve", "studio",
            "catalog list", "catalog export", "dataset prepare", "train samplernn",
            "train lstm", "spool status", "spool deliver"} <= names


def test_every_command_takes_log_level() -> None:
    missing = [name for name, cmd in _commands()
               if not any("--log-level" in o.opts for o in _options(cmd))]
    assert not missing, f"add `log_level: LogLevel = settings.LOG_LEVEL` to {missing}"


def test_each_short_flag_means_one_long_flag_everywhere() -> None:
    seen: dict[str, set[str]] = {}
    for name, cmd in _commands():
        for opt in _options(cmd):
            shorts = [o for o in opt.opts if not o.startswith("--")]
            longs = [o for o in opt.opts if o.startswith("--")]
            for short in shorts:
                assert short in SHORT_FLAGS, f"{name}: {short} is not in SHORT_FLAGS"
                assert SHORT_FLAGS[short] in longs, (
                    f"{name}: {short} means {longs}, elsewhere {SHORT_FLAGS[short]}")
                seen.setdefault(short, set()).add(name)
            for short, long in SHORT_FLAGS.items():
                if long in longs:  # the long flag carries its short one wherever it is
                    assert short in shorts, f"{name}: {long} without {short}"
    assert set(seen) == set(SHORT_FLAGS)  # every documented short flag is in use
    assert {"generate", "auto", "sample"} <= seen["-n"]
    assert {"evolve", "train samplernn", "train lstm"} <= seen["-c"]
    assert {"dataset prepare", "catalog export"} <= seen["-o"]


@pytest.fixture
def root_level() -> Iterator[None]:
    root = logging.getLogger()
    before = root.level
    yield
    root.setLevel(before)


def test_log_level_parses_on_any_command(root_level: None) -> None:
    res = runner.invoke(app, ["auto", "--log-level", "debug", "--help"])
    assert res.exit_code == 0, res.output
    assert "--log-level" in res.output
    logging.getLogger().setLevel(logging.WARNING)
    res = runner.invoke(app, ["spool", "status", "--log-level", "INFO"])
    assert res.exit_code == 0, res.output
    assert logging.getLogger().level == logging.INFO


def test_a_bad_log_level_is_one_line_naming_the_option() -> None:
    res = runner.invoke(app, ["auto", "--log-level", "loud", "--count", "1"])
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert lines == ["error: --log-level loud is unknown; use debug, info, warning or error"]
    res = runner.invoke(app, ["--log-level", "verbose", "spool", "status"])
    assert res.exit_code == 2 and "--log-level verbose is unknown" in res.output


def test_the_root_option_is_kept_by_the_command_default(root_level: None) -> None:
    logging.getLogger().setLevel(logging.WARNING)
    res = runner.invoke(app, ["--log-level", "debug", "spool", "status"])
    assert res.exit_code == 0, res.output
    assert logging.getLogger().level == logging.DEBUG  # spool status's default left it
    res = runner.invoke(app, ["--log-level", "debug", "spool", "status", "--log-level",
                              "error"])
    assert logging.getLogger().level == logging.ERROR  # the nearer one wins
