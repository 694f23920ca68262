"""The engines, by name: one line each, and one per-process cache of loaded engines.

Adding an engine is one module (a class following :class:`~loopmill.engines.base.Engine`,
usually an :class:`~loopmill.engines.base.EngineBase` subclass) plus one
:func:`register` line below. Every caller — ``generate``, ``suite``, ``auto``'s workers,
``evolve``, the studio — gets engines from :func:`get_engine`, so a model loads once
per process however many loops it makes. Other packages can add engines through the
``loopmill.engines`` entry-point group (``name = "pkg.module:Class"``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from loopmill import settings
from loopmill.engines.base import Capabilities, Engine
from loopmill.errors import BadInputError

__all__ = ["EngineEntry", "clear_cache", "describe_engines", "engine_class", "engine_names",
           "entries", "entry", "get_engine", "register", "restore", "unregister"]


@dataclass(frozen=True)
class EngineEntry:
    """One registered engine.

    Attributes
    ----------
    name : str
        What ``engine=`` says.
    target : str or type
        ``"package.module:Class"`` (imported on first use, so listing engines imports
        no torch) or the class itself. The class's ``from_model(model, **options)``
        makes an instance.
    options : Mapping
        Keyword arguments for ``from_model`` (e.g. the checkpoint kind).
    summary : str
        One line for ``loopmill engines``.
    extra : str or None
        The pip extra it needs (``loopmill[musicgen]``), None for none.
    requires : tuple of str
        Importable modules it needs, checked without importing them.
    default_model : str or None
        The model used when none is given (part of the cache key).
    """

    name: str
    target: str | type
    options: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""
    extra: str | None = None
    requires: tuple[str, ...] = ()
    default_model: str | None = None

    def cls(self) -> Any:
        """The engine class (imported now)."""
        if isinstance(self.target, str):
            module, _, attr = self.target.partition(":")
            return getattr(import_module(module), attr)
        return self.target

    @property
    def capabilities(self) -> Capabilities:
        caps = getattr(self.cls(), "capabilities", None)
        return caps if isinstance(caps, Capabilities) else Capabilities()

    def installed(self) -> bool:
        """Whether every module it needs can be imported (nothing is imported)."""
        from importlib.util import find_spec

        return all(find_spec(m) is not None for m in self.requires)


_REGISTRY: dict[str, EngineEntry] = {}
_CACHE: dict[tuple[str, str | None, tuple[tuple[str, Any], ...]], Engine] = {}
_LOCK = threading.Lock()  # the studio's job threads share the cache


def register(name: str, target: str | type, **fields: Any) -> EngineEntry:
    """Add (or replace) the engine ``name``; returns its entry.

    ``fields`` are :class:`EngineEntry`'s (``options``, ``summary``, ``extra``,
    ``requires``, ``default_model``).
    """
    entry = EngineEntry(name=name, target=target, **fields)
    _REGISTRY[name] = entry
    clear_cache(name)
    return entry


def unregister(name: str) -> None:
    """Remove ``name`` (and its cached instances)."""
    _REGISTRY.pop(name, None)
    clear_cache(name)


def clear_cache(name: str | None = None) -> None:
    """Forget loaded engines (all, or those of ``name``): the next call loads again."""
    with _LOCK:
        for key in [k for k in _CACHE if name is None or k[0] == name]:
            del _CACHE[key]


def _plugins() -> None:
    """Engines other packages declare in the ``loopmill.engines`` entry-point group."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="loopmill.engines"):
        if ep.name not in _REGISTRY:
            register(ep.name, ep.value, summary=f"plugin from {ep.value}")


def entries() -> list[EngineEntry]:
    """Every engine, built-in first, then plugins."""
    _plugins()
    return list(_REGISTRY.values())


def describe_engines() -> list[dict[str, Any]]:
    """One row per engine for ``loopmill engines``: name, summary, capabilities, the
    install line it needs and whether that is installed (nothing heavy is imported)."""
    rows = []
    for e in entries():
        try:
            caps = e.capabilities.names()
        except ImportError as exc:  # a plugin whose module is gone
            caps, problem = [], f"cannot import {e.target}: {exc}"
        else:
            problem = ""
        rows.append({"name": e.name, "summary": problem or e.summary, "capabilities": caps,
                     "install": f"pip install 'loopmill[{e.extra}]'" if e.extra else "",
                     "installed": e.installed() and not problem,
                     "default_model": e.default_model})
    return rows


def restore(snapshot: list[EngineEntry]) -> None:
    """Register every entry of ``snapshot`` (``entries()`` of another process) that
    this process lacks: auto's workers learn the engines their coordinator knows."""
    for e in snapshot:
        if _REGISTRY.get(e.name) != e:
            _REGISTRY[e.name] = e
            clear_cache(e.name)


def engine_names() -> tuple[str, ...]:
    """The names ``engine=`` accepts."""
    return tuple(_REGISTRY)


def entry(name: str) -> EngineEntry:
    """The registered entry of ``name`` (BadInputError naming the choices if none)."""
    return _entry(name)


def _entry(name: str) -> EngineEntry:
    if name not in _REGISTRY:
        _plugins()
    if name not in _REGISTRY:
        raise BadInputError(f"unknown engine {name!r}; choose one of "
                            f"{', '.join(engine_names())}", field="engine")
    return _REGISTRY[name]


def engine_class(name: str) -> Any:
    """The class of engine ``name`` (its capabilities, without making one)."""
    return _entry(name).cls()


def get_engine(name: str, *, model: str | None = None, **options: Any) -> Engine:
    """The engine ``name`` for ``model`` (a hub id, folder or checkpoint), from the
    per-process cache: made once, then reused by every caller.

    ``options`` (hashable values, e.g. ``device="cpu"`` for a trained checkpoint) go to
    the engine's ``from_model`` after the entry's own, and are part of the cache key: a
    call without them gets the engine every other caller gets.

    Raises
    ------
    BadInputError
        An unknown engine, or a model engine without a model (fields ``engine``,
        ``model``).
    """
    entry = _entry(name)
    key = (name, model or entry.default_model, tuple(sorted(options.items())))
    with _LOCK:
        eng = _CACHE.get(key)
        if eng is None:
            eng = entry.cls().from_model(key[1], **{**entry.options, **options})
            _CACHE[key] = eng
    return eng


# --- the built-in engines: one line each ------------------------------------------------
register("composer", "loopmill.engines.composer.engine:ComposerEngine",
         summary="built-in arranger and synthesizer: offline, seamless, any seed")
register("musicgen", "loopmill.engines.musicgen:MusicGenEngine",
         summary="Meta's MusicGen through transformers (a hub id or a local folder)",
         extra="musicgen", requires=("torch", "transformers"),
         default_model=settings.MUSICGEN_MODEL)
register("samplernn", "loopmill.engines.trained:TrainedEngine", options={"kind": "samplernn"},
         summary="your SampleRNN checkpoint from `loopmill train samplernn`",
         extra="train", requires=("torch",))
register("lstm", "loopmill.engines.trained:TrainedEngine", options={"kind": "lstm"},
         summary="your LSTM checkpoint from `loopmill train lstm`",
         extra="train", requires=("torch",))
