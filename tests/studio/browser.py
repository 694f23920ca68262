"""Debian's chromium driven by Playwright for Python (its own browser download cannot
work here): one launcher for the studio's browser tests, screenshots and benchmark."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = os.environ.get("LOOPMILL_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]


def chromium_path() -> str | None:
    """The chromium binary, or None when it is not installed."""
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


@contextmanager
def browser_page(*, width: int = 1440, height: int = 900) -> Iterator[Any]:
    """A fresh chromium (own user-data-dir, deleted after) and one page in it."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError("chromium is not installed; apt-get install chromium")
    profile = tempfile.mkdtemp(prefix="loopmill-chromium-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=path, headless=True,
                args=[a for a in ARGS if a != "--headless"],
                viewport={"width": width, "height": height})
            try:
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                yield page
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
