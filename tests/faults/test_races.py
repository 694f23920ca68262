"""Two ``loopmill generate`` runs with the same seed, finishing together."""

from __future__ import annotations

import json
from pathlib import Path

from tests.faults import runs


def test_racing_generate_processes_keep_every_file(tmp_path: Path) -> None:
    dest, cat = tmp_path / "out", tmp_path / "cat.sqlite"
    args = ["generate", "calm lofi", "--seed", "5", "--min-duration", "8", "--max-duration",
            "10", "--dest", str(dest), "--catalog", str(cat), "--format", "ogg,wav"]
    procs = [runs.start(tmp_path, *args) for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    oggs = sorted(dest.glob("*.ogg"))
    assert len(oggs) == 3 and len(list(dest.glob("*.wav"))) == 3
    rows = runs.rows(cat)
    assert len(rows) == 3
    uris = sorted(json.loads(r["uris"])[0] for r in rows)
    assert uris == sorted(str(p.resolve()) for p in oggs)  # each row: the file really written
    assert sorted(r["name"] for r in rows) == sorted(p.stem for p in oggs)
    assert not list(dest.glob(".*"))
