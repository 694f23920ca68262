"""Every test keeps its data to itself: catalog, run folders and spool in a temp dir.

Without this, a test that uses the defaults would write into the user's real data
folder (~/.local/share/loopmill) and see what earlier runs left there. The folders
are redirected twice:

- for the whole session, when pytest loads this file — before any fixture of any
  scope runs, so module- and session-scoped fixtures are private too;
- per test (the autouse fixture), so no test sees what another one left.

At the end, the session fails if the real user folders changed while it ran.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import platformdirs
import pytest

_REAL = [Path(platformdirs.user_data_dir("loopmill")),
         Path(platformdirs.user_cache_dir("loopmill"))]
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="loopmill-tests-"))


def _private_env(home: Path) -> dict[str, str]:
    return {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        # model hubs: never a network attempt from a test, and no user cache either
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(home / "hf"),
    }


def _snapshot(roots: list[Path]) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime) of everything under ``roots``."""
    out: dict[str, tuple[int, int]] = {}
    for root in roots:
        if root.exists():
            for p in [root, *root.rglob("*")]:
                st = p.stat()
                out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


_BEFORE = _snapshot(_REAL)
os.environ.update(_private_env(_SESSION_HOME))
for _name in ("LOOPMILL_CATALOG", "LOOPMILL_RUNS"):
    os.environ.pop(_name, None)


def real_user_dirs() -> list[Path]:
    """The user's own loopmill folders, as they were before the redirection."""
    return list(_REAL)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    after = _snapshot(_REAL)
    if after != _BEFORE:
        changed = sorted(set(after) ^ set(_BEFORE)
                         | {k for k in after if after[k] != _BEFORE.get(k)})
        session.config.get_terminal_writer().line(
            "error: the tests touched the real user data folder: " + ", ".join(changed[:5]),
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


#: Optional packages that only an extra brings (the README's install line does not).
_EXTRA = re.compile(
    r"importorskip\(\s*[\"'](torch|transformers|evotorch|fastapi|uvicorn|playwright)\b"
)


def _top(src: str) -> str:
    """The top-level statements of a source (not the bodies of its functions)."""
    return "\n".join(line for line in src.splitlines() if line[:1] not in (" ", "\t"))


def _needs_extra(obj: object, *, top_level: bool) -> bool:
    try:
        src = inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    return _EXTRA.search(_top(src) if top_level else src) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``extra`` every test that needs a package only an extra brings.

    ``.ci/run`` first runs the suite exactly as the README installs it (these tests
    skip), then installs the extras and runs ``-m extra`` (these tests run).
    """
    seen: dict[str, bool] = {}
    for item in items:
        module = getattr(item, "module", None)
        if module is None:
            continue
        if module.__name__ not in seen:
            seen[module.__name__] = _needs_extra(module, top_level=True)
        function = getattr(item, "function", None)
        info = getattr(item, "_fixtureinfo", None)
        fixtures = [fd.func for defs in (info.name2fixturedefs.values() if info else ())
                    for fd in defs if getattr(fd.func, "__module__", "").startswith("tests")]
        conftests = [p / "conftest.py" for p in Path(str(item.path)).parents
                     if (p / "conftest.py").is_file()]
        if (seen[module.__name__]
                or (function is not None and _needs_extra(function, top_level=False))
                or any(_needs_extra(f, top_level=False) for f in fixtures)
                or any(_EXTRA.search(_top(c.read_text(encoding="utf-8"))) for c in conftests)):
            item.add_marker(pytest.mark.extra)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    missing = sorted({m for rep in skipped
                      for m in re.findall(r"No module named '([\w.]+)'", str(rep.longrepr))})
    if missing:
        terminalreporter.write_line(
            f"{len(skipped)} skipped; {', '.join(missing)} not installed: the tests of the "
            "extras run after pip install torch==2.13.0 -e '.[dev,musicgen,train,evolve,studio]'"
        )


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("userdirs")
    for name, value in _private_env(home).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LOOPMILL_CATALOG", raising=False)
    monkeypatch.delenv("LOOPMILL_RUNS", raising=False)
    return home


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Every file the encoder (``loopmill.audio.save``) finishes: its path and inode."""
    import loopmill.audio

    seen: dict[str, int] = {}
    real = loopmill.audio.save

    def spy(path: str | Path, *args: Any, **kwargs: Any) -> Path:
        out = real(path, *args, **kwargs)
        seen[str(out)] = os.stat(out).st_ino
        return out

    monkeypatch.setattr(loopmill.audio, "save", spy)
    return seen


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that :mod:`tempfile` uses: a test can check nothing was left in it."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    return folder
