"""Options every command shares: ``--log-level`` and one meaning per short flag."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from loopmill.cli._options import SHORT_FLAGS, OptionGroup, build
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


def _names(command: str) -> list[str]:
    return [p.name for p in dict(_commands())[command].params]


def test_a_group_is_listed_where_asked_and_passed_by_name() -> None:
    group = OptionGroup.of(alpha=(Annotated[int, typer.Option(help="A.")], 1),
                               beta=(Annotated[str, typer.Option(help="B.")], "b"))
    seen: dict[str, Any] = {}
    one = typer.Typer(add_completion=False)

    @one.command()
    @group.after("first")
    def cmd(first: Annotated[int, typer.Option()] = 0,
            last: Annotated[int, typer.Option()] = 0, **grouped: Any) -> None:
        seen.update(first=first, last=last, grouped=grouped)

    assert [p.name for p in get_command(one).params] == ["first", "alpha", "beta", "last"]
    res = runner.invoke(one, ["--beta", "x", "--last", "3"])
    assert res.exit_code == 0, res.output
    assert seen == {"first": 0, "last": 3, "grouped": {"alpha": 1, "beta": "x"}}


def test_the_shared_groups_stand_where_they_stood() -> None:
    sampling = ["temperature", "top_k", "top_p", "guidance"]
    for command in ("generate", "auto"):
        names = _names(command)
        at = names.index("sample_rate") + 1
        assert names[at:at + 4] == sampling, command
    tail = ["batch_size", "lr", "epochs", "max_steps", "resume", "seed", "device", "config",
            "log_level"]
    assert _names("train samplernn")[-len(tail):] == tail == _names("train lstm")[-len(tail):]
    assert _names("train samplernn")[-len(tail) - 1] == "seq_len"
    assert _names("train lstm")[-len(tail) - 1] == "n_layers"


@dataclass(frozen=True)
class _Made:
    path: str | None = None
    files: list[str] = field(default_factory=list)
    n: int = 0


def test_build_takes_the_parameters_named_as_fields_paths_as_text() -> None:
    made = build(_Made, {"path": Path("a/b"), "files": (Path("c"), Path("d")), "n": 1,
                             "not_a_field": 2}, n=5)
    assert made == _Made(path=str(Path("a/b")), files=["c", "d"], n=5)
    assert build(_Made, {"path": None, "files": ()}) == _Made()
