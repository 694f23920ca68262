"""A small catalog of synthetic loops with known loop points, and a test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio needs the studio extra (fastapi)")

SR = 44100
#: name, genre, bpm, key, created, loop start, loop length (samples), formats
LOOPS = [
    ("alpha", "synthwave", 100.0, "D minor", "2026-11-20T10:00:00+00:00", 11025, 88200, "ogg,wav"),
    ("beta", "lofi", 80.0, "F major", "2026-11-21T10:00:00+00:00", 0, 132300, "ogg"),
    ("gamma", "synthwave", 128.0, "D minor", "2026-11-22T10:00:00+00:00", 0, 82688, "flac"),
    ("delta", "ambient", 60.0, "C major", "2026-11-23T10:00:00+00:00", 12345, 67891, "ogg"),
]


def tone(n: int, *, hz: float, seed: int, amp: float = 0.4) -> np.ndarray:
    """A decaying-pluck tone pattern [2, n], float32, seeded."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    env = np.exp(-6 * (t % 0.5))
    y = amp * env * np.sin(2 * np.pi * hz * t) + 0.01 * rng.standard_normal(n)
    return np.stack([y, y]).astype(np.float32)


_ENCODED: dict[tuple[str, str], bytes] = {}


def _encoded(i: int, name: str, fmt: str, start: int, length: int, tmp: Path) -> bytes:
    """The file's bytes, encoded once per test session (encoding is the slow part)."""
    from loopmill.audio import LoopPoints, save

    if (name, fmt) not in _ENCODED:
        y = tone(start + length + SR // 4, hz=220 * (i + 1), seed=i)
        path = save(tmp / f".enc-{name}.{fmt}", y, sr=SR, format=fmt,
                    loop=LoopPoints(start=start, length=length))
        _ENCODED[name, fmt] = path.read_bytes()
        path.unlink()
    return _ENCODED[name, fmt]


def make_catalog(root: Path, loops: list[tuple[Any, ...]] = LOOPS) -> tuple[Path, list[int]]:
    """Write each loop's files (with loop points) under ``root`` and catalog them."""
    from loopmill.storage.catalog import Catalog

    cat_path = root / "catalog.sqlite"
    ids = []
    (root / "loops").mkdir(parents=True, exist_ok=True)
    with Catalog(cat_path) as cat:
        for i, (name, genre, bpm, key, created, start, length, fmts) in enumerate(loops):
            uris = []
            for fmt in fmts.split(","):
                path = root / "loops" / f"{name}.{fmt}"
                path.write_bytes(_encoded(i, name, fmt, start, length, root))
                uris.append(str(path.resolve()))
            ids.append(cat.add({
                "name": name, "prompt": f"{genre} loop {name}", "genre": genre, "bpm": bpm,
                "key": key, "bars": 4, "duration": length / SR, "loudness_lufs": -14.0 - i,
                "seam_score": 0.01 * (i + 1), "uris": uris, "created": created,
                "run_id": "run-a" if i < 2 else "run-b", "engine": "composer", "seed": i,
            }))
    return cat_path, ids


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, list[int]]:
    return make_catalog(tmp_path)


def config(tmp_path: Path, **over: Any) -> Any:
    from loopmill.studio import StudioConfig

    return StudioConfig(**({"catalog": tmp_path / "catalog.sqlite", "dest": tmp_path / "made",
                            "roots": (tmp_path,), "port": 0, "measure": False} | over))


@pytest.fixture
def client(tmp_path: Path, library: tuple[Path, list[int]]) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from loopmill.studio import create_app

    with TestClient(create_app(config(tmp_path)), base_url="http://127.0.0.1:8765") as c:
        yield c
