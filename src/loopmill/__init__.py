"""loopmill: an unlimited source of seamless, loopable music.

The public entry points, and the types that appear in their signatures, are imported
lazily (one table, :data:`_LAZY`) so that ``import loopmill`` and the CLI's start stay
fast: nothing here imports numpy or torch until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopmill._lazy import lazy_exports

# The single source of the version (pyproject reads it): a literal, because
# importlib.metadata costs ~50 ms of every CLI start.
__version__ = "0.1.0"

if TYPE_CHECKING:  # the same names as _LAZY, for type checkers (loopmill ships py.typed)
    from loopmill.analysis import analyze as analyze
    from loopmill.analysis.summary import Analysis as Analysis
    from loopmill.audio import load as load
    from loopmill.audio import save as save
    from loopmill.audio.looptags import LoopPoints as LoopPoints
    from loopmill.engines.composer.controls import ComposerControls as ComposerControls
    from loopmill.engines.params import GenerationParams as GenerationParams
    from loopmill.errors import BadInputError as BadInputError
    from loopmill.errors import Failure as Failure
    from loopmill.errors import LoopmillError as LoopmillError
    from loopmill.errors import MissingDependencyError as MissingDependencyError
    from loopmill.errors import MissingModelError as MissingModelError
    from loopmill.errors import NoLoopFoundError as NoLoopFoundError
    from loopmill.errors import ProviderError as ProviderError
    from loopmill.errors import StorageError as StorageError
    from loopmill.errors import UnsupportedFormatError as UnsupportedFormatError
    from loopmill.loops.make import LoopPlan as LoopPlan
    from loopmill.loops.make import make_loop as make_loop
    from loopmill.loops.make import plan_loop as plan_loop
    from loopmill.loops.types import Loop as Loop
    from loopmill.pipeline.generate import generate as generate
    from loopmill.pipeline.inspect import inspect_file as inspect_file
    from loopmill.pipeline.loop_files import BatchReport as BatchReport
    from loopmill.pipeline.loop_files import ItemResult as ItemResult
    from loopmill.pipeline.loop_files import LoopOptions as LoopOptions
    from loopmill.pipeline.loop_files import loop_files as loop_files
    from loopmill.pipeline.request import GenerateRequest as GenerateRequest
    from loopmill.prompts.spec import MusicSpec as MusicSpec

#: public name -> the module that defines it
_LAZY = {
    # entry points
    "generate": "loopmill.pipeline.generate",
    "make_loop": "loopmill.loops.make",
    "plan_loop": "loopmill.loops.make",
    "loop_files": "loopmill.pipeline.loop_files",
    "inspect_file": "loopmill.pipeline.inspect",
    "analyze": "loopmill.analysis",
    "load": "loopmill.audio",
    "save": "loopmill.audio",
    # what they take and give; GenerateRequest is the one typed request that generate,
    # suite, auto, evolve and the studio build (loopmill/pipeline/request.py)
    "GenerateRequest": "loopmill.pipeline.request",
    "MusicSpec": "loopmill.prompts.spec",
    "GenerationParams": "loopmill.engines.params",
    "ComposerControls": "loopmill.engines.composer.controls",
    "Loop": "loopmill.loops.types",
    "LoopPlan": "loopmill.loops.make",
    "LoopPoints": "loopmill.audio.looptags",
    "LoopOptions": "loopmill.pipeline.loop_files",
    "BatchReport": "loopmill.pipeline.loop_files",
    "ItemResult": "loopmill.pipeline.loop_files",
    "Analysis": "loopmill.analysis.summary",
    # the errors (loopmill.errors)
    "LoopmillError": "loopmill.errors",
    "BadInputError": "loopmill.errors",
    "UnsupportedFormatError": "loopmill.errors",
    "NoLoopFoundError": "loopmill.errors",
    "MissingDependencyError": "loopmill.errors",
    "MissingModelError": "loopmill.errors",
    "StorageError": "loopmill.errors",
    "ProviderError": "loopmill.errors",
    "Failure": "loopmill.errors",  # one failed item of a report (BatchReport, ...)
}

__all__ = ["__version__", *_LAZY]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
