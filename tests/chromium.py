"""Debian's chromium driven by Playwright, launched the one way every browser test needs here
(no sandbox as root, no calls to a network that refuses them, never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@contextmanager
def launched(*extra: str) -> Iterator[Any]:
    """A headless chromium with :data:`ARGS` and ``extra``; fails the test when chromium is missing."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command, which installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra], headless=True)
        try:
            yield browser
        finally:
            browser.close()
