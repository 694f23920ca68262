"""Options every command that runs a model engine shares (``generate``, ``auto``)."""

from __future__ import annotations

from typing import Annotated

import typer

Temperature = Annotated[float, typer.Option(help="Model engines: sampling temperature (> 0).")]
TopK = Annotated[int, typer.Option(help="Model engines: top-k sampling (0 = off).")]
TopP = Annotated[float, typer.Option(help="Model engines: nucleus mass (0 = off).")]
Guidance = Annotated[float, typer.Option(help="Model engines: classifier-free guidance scale.")]
MaxAttempts = Annotated[
    int, typer.Option(help="Model engines: tries while the tempo is > 6 % off.")
]
BatchSize = Annotated[
    int | None,
    typer.Option(help="Model engines: loops per batched call (default 8; the GPU's sweet spot)."),
]
