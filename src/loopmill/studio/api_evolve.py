"""The evolve routes (filled in once the evolve session API is merged)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/evolve")
