"""The browser of the frontend suite: Debian's Chromium, driven by Playwright.

As in tests/docs/test_browser.py, Playwright launches /usr/bin/chromium (or the browser
BROWSER_EXECUTABLE names) and never downloads one of its own.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path(os.environ.get("BROWSER_EXECUTABLE", "/usr/bin/chromium"))
# Without the background-networking flags Chromium calls Google at start-up. The
# resolver rule keeps the page on this machine: any other host fails to resolve, so a
# request off 127.0.0.1 (which the flow reports) never leaves it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install chromium), or set BROWSER_EXECUTABLE to another "
            "Chromium or Chrome; .ci/run installs it on CI machines"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
