"""What every command prints: whole messages, whole file names, consistent help."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from loopmill._extras import require
from loopmill.cli._common import FORMATS_RULE, fail, print_table
from loopmill.cli.main import app
from loopmill.errors import MissingDependencyError
from loopmill.storage.catalog import Catalog

runner = CliRunner()
COMMANDS = (["generate"], ["loop"], ["inspect"], ["auto"], ["suite"], ["catalog", "list"],
            ["catalog", "show"], ["catalog", "export"], ["dataset", "prepare"],
            ["train", "samplernn"], ["train", "lstm"], ["sample"], ["catalog", "check"],
            ["catalog", "rebuild"], ["spool", "status"], ["spool", "deliver"], ["evolve"],
            ["studio"])


def test_square_brackets_survive_in_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit):
        raise fail("the musicgen engine needs torch; pip install 'loopmill[musicgen]'")
    assert "pip install 'loopmill[musicgen]'" in capsys.readouterr().err


def test_a_file_name_with_brackets_is_printed_whole(tmp_path: Path) -> None:
    res = runner.invoke(app, ["inspect", str(tmp_path / "take[draft].wav")])
    assert res.exit_code == 1
    assert "take[draft].wav: file not found" in res.output


def test_tables_print_markup_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    print_table("t", ("file", "x"), [["[bold]a[/].ogg", "[red]1[/]"]])  # not a terminal
    assert capsys.readouterr().out.splitlines() == ["file\tx", "[bold]a[/].ogg\t[red]1[/]"]


def test_piped_output_is_plain_lines_with_whole_names(tmp_path: Path) -> None:
    prefix = "a_rather_long_prefix_for_a_level_theme_that_would_wrap"
    res = runner.invoke(app, ["generate", "calm lofi", "--seed", "3", "--max-duration", "10",
                              "--file-prefix", prefix, "-d", str(tmp_path),
                              "--catalog", str(tmp_path / "c.db")])
    assert res.exit_code == 0, res.output
    (written,) = tmp_path.glob(f"{prefix}_*.ogg")
    lines = res.stdout.splitlines()
    assert lines[0].split("\t") == ["file", "genre", "bpm", "key", "bars", "length s", "LUFS",
                                    "seam", "seed"]
    assert lines[1].split("\t")[0] == written.name
    assert "│" not in res.stdout  # no box drawing when piped

    res = runner.invoke(app, ["catalog", "list", "--catalog", str(tmp_path / "c.db")])
    assert res.exit_code == 0
    assert res.stdout.splitlines()[1].split("\t")[1] == written.name


def test_catalog_list_and_show_speak_format(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with Catalog(db) as cat:
        cat.add({"prompt": "x", "genre": "jazz", "uris": ["/a/b.ogg"]})
    res = runner.invoke(app, ["catalog", "list", "--catalog", str(db), "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout)[0]["genre"] == "jazz"
    res = runner.invoke(app, ["catalog", "list", "--catalog", str(db), "-f", "csv"])
    assert res.stdout.splitlines()[0].startswith("id,created,")
    res = runner.invoke(app, ["catalog", "list", "--catalog", str(db), "--json"])  # shorthand
    assert json.loads(res.stdout)[0]["genre"] == "jazz"
    res = runner.invoke(app, ["catalog", "show", "1", "--catalog", str(db), "-f", "json"])
    assert json.loads(res.stdout)["uris"] == ["/a/b.ogg"]
    res = runner.invoke(app, ["catalog", "list", "--catalog", str(db), "--format", "xml"])
    assert res.exit_code == 2 and "--format xml is unknown; use table, json or csv" in res.output


def test_an_error_comes_alone_without_an_empty_table(tmp_path: Path) -> None:
    res = runner.invoke(app, ["generate", "x", "--bpm", "90", "--min-duration", "20",
                              "--max-duration", "21", "-d", str(tmp_path)])
    assert res.exit_code != 0
    assert res.stdout == ""
    (line,) = [x for x in res.stderr.splitlines() if x.strip()]
    assert line.startswith("error: ") and "no whole number of bars at 90 BPM" in line


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_no_empty_type_words(command: list[str]) -> None:
    res = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert res.exit_code == 0
    assert not re.search(r"<(str|bool|path)>", res.output), res.output
    assert "--help" in res.output


@pytest.mark.parametrize("command", [c for c in COMMANDS
                                     if c[0] in ("generate", "loop", "auto", "suite",
                                                 "sample")], ids=" ".join)
def test_every_writer_has_the_same_short_flags_and_format_rule(command: list[str]) -> None:
    res = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "300"})
    assert re.search(r"--dest\s+-d", res.output), res.output
    assert re.search(r"--format\s+-f", res.output)
    flat = " ".join(res.output.replace("│", " ").split())
    assert " ".join(FORMATS_RULE.split()[:8]) in flat


def test_a_missing_extra_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    with pytest.raises(MissingDependencyError,
                       match=r"^x needs nosuchmod, which is not installed; pip install nosuchmod$"):
        require("nosuchmod", what="x")
    # As a machine without torch: the import fails the way it does there.
    monkeypatch.setitem(sys.modules, "torch", None)
    for mod in [m for m in sys.modules if m.startswith("loopmill.models")]:
        monkeypatch.delitem(sys.modules, mod)
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "manifest.json").write_text(json.dumps(
        {"sample_rate": 8000, "chunk_seconds": 2, "splits": {"train": [], "val": [],
                                                             "test": []}}))
    res = runner.invoke(app, ["train", "samplernn", "--dataset", str(tmp_path / "ds"),
                              "--run", str(tmp_path / "run")])
    assert res.exit_code == 1, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1, res.output
    assert "needs torch, which is not installed; pip install 'loopmill[train]'" in lines[0]
    res = runner.invoke(app, ["sample", str(tmp_path / "run")])
    assert res.exit_code != 0 and "Traceback" not in res.output
