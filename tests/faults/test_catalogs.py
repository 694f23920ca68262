"""The real commands against a damaged catalog and someone else's database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults import runs
from tests.faults.catalogs import damage, digest, foreign, healthy

COMMANDS = {
    "generate": ["generate", "calm lofi", "--seed", "5", "--max-duration", "10"],
    "auto": ["auto", "--count", "2", "--workers", "1", "--max-duration", "12"],
    "list": ["catalog", "list"],
}


@pytest.mark.parametrize("kind,command", [
    ("damaged", "generate"), ("damaged", "auto"), ("damaged", "list"), ("foreign", "generate"),
    pytest.param("foreign", "auto", marks=pytest.mark.slow),
    pytest.param("foreign", "list", marks=pytest.mark.slow),
])
def test_a_bad_catalog_stops_every_command_before_any_work(
        tmp_path: Path, kind: str, command: str) -> None:
    cat = tmp_path / "cat.sqlite"
    damage(healthy(cat)) if kind == "damaged" else foreign(cat)
    before = digest(cat)
    args = [*COMMANDS[command], "--catalog", str(cat)]
    if command != "list":
        args += ["--dest", str(tmp_path / "out")]
    res = runs.run(tmp_path, *args)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert ("is damaged" if kind == "damaged" else "left untouched") in lines[0]
    assert digest(cat) == before  # not one byte written to it
    out = tmp_path / "out"
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]  # no audio made
