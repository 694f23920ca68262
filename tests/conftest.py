"""Every test keeps its data to itself: catalog, run folders and spool in a temp dir.

Without this, a test that uses the defaults would write into the user's real data
folder (~/.local/share/loopmill) and see what earlier runs left there.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("LOOPMILL_CATALOG", raising=False)
    monkeypatch.delenv("LOOPMILL_RUNS", raising=False)
    # model hubs: never a network attempt from a test, and no user cache either
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    return home
