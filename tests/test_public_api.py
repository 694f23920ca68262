"""The public API: what ``loopmill`` exports, that it stays light, and that it is typed."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import shutil
import subprocess
import sys
import typing
import zipfile
from pathlib import Path

import pytest

import loopmill

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "loopmill"
#: the packages whose names load on first use, each from one table
LAZY_PACKAGES = ("loopmill", "loopmill.loops", "loopmill.evolve")


def _pending(name: str) -> bool:
    """``name`` lives in a module not written yet (the typed request, issue 12)."""
    return (name == "GenerateRequest"
            and importlib.util.find_spec("loopmill.pipeline.request") is None)


def test_every_exported_name_resolves() -> None:
    for package in LAZY_PACKAGES:
        mod = importlib.import_module(package)
        for name in mod.__all__:
            if _pending(name):
                continue
            value = getattr(mod, name)
            assert value is not None, (package, name)
            assert name in dir(mod)
        with pytest.raises(AttributeError, match=r"has no attribute 'nope'"):
            mod.nope  # noqa: B018
    from loopmill.audio.looptags import LoopPoints
    from loopmill.errors import BadInputError, LoopmillError

    assert loopmill.LoopPoints is LoopPoints and loopmill.BadInputError is BadInputError
    assert issubclass(loopmill.StorageError, LoopmillError)


def test_the_types_in_public_signatures_are_exported() -> None:
    exported = {name: getattr(loopmill, name) for name in loopmill.__all__
                if name != "__version__" and not _pending(name)}
    own = {id(v) for v in exported.values()}
    missing: set[str] = set()

    def visit(tp: object) -> None:
        # Callable[[A], B] holds its arguments as a list
        for arg in tp if isinstance(tp, list) else typing.get_args(tp):
            visit(arg)
        if (isinstance(tp, type) and tp.__module__.startswith("loopmill.")
                and id(tp) not in own):
            missing.add(f"{tp.__module__}.{tp.__qualname__}")

    functions = [v for v in exported.values() if inspect.isfunction(v)]
    assert len(functions) >= 8
    for fn in functions:
        # names a module imports for type checking only resolve against the exports
        for hint in typing.get_type_hints(fn, localns=exported).values():
            visit(hint)
    assert not missing, f"export these from loopmill: {sorted(missing)}"


def test_import_loopmill_stays_light() -> None:
    code = ("import sys, loopmill, loopmill.loops, loopmill.evolve, loopmill.settings; "
            "loopmill.LoopmillError; loopmill.settings.catalog_path(); "
            "print(sorted(m for m in ('numpy', 'torch', 'pydantic', 'typer', 'soundfile')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


def _type_checking_names(path: Path, package: str) -> dict[str, str]:
    """``name -> module`` of the imports under ``if TYPE_CHECKING:`` in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module
                for alias in imp.names:
                    assert alias.asname == alias.name, "re-export as `import X as X`"
                    names[alias.name] = imp.module
    return names


def test_type_checkers_see_the_same_names_as_the_table() -> None:
    for package in LAZY_PACKAGES:
        mod = importlib.import_module(package)
        table = {name: importlib.util.resolve_name(where, package)
                 for name, where in mod._LAZY.items()}
        seen = _type_checking_names(Path(mod.__file__ or ""), package)
        assert seen == table, package


def test_py_typed_ships_in_the_wheel(tmp_path: Path) -> None:
    assert (SRC / "py.typed").is_file()
    work = tmp_path / "project"
    work.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, work / name)
    shutil.copytree(ROOT / "src", work / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    # pip builds it as a user's install would: in isolation, with the build backend
    # pyproject asks for (a venv's own setuptools may be too old for its metadata)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           "dist", "."], cwd=work, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (work / "dist").glob("loopmill-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "loopmill/py.typed" in names
    assert "loopmill/settings.py" in names and "loopmill/studio/static/index.html" in names
