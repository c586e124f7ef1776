"""Debian's Chromium, driven by Playwright, for the suites that open pages.

Playwright launches /usr/bin/chromium, or the browser BROWSER_EXECUTABLE names
(GitHub's runners ship Google Chrome too); it never downloads a browser of its own.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path(os.environ.get("BROWSER_EXECUTABLE", "/usr/bin/chromium"))
# Without the background-networking flags Chromium calls Google at start-up.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@contextmanager
def launched_chromium(*extra_args: str) -> Iterator[Browser]:
    """Headless Chromium with the flags above and `extra_args`; closed afterwards."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install chromium), or set BROWSER_EXECUTABLE to another "
            "Chromium or Chrome; .ci/run installs it on CI machines"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()
