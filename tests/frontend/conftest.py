"""The browser of the frontend suite: Debian's Chromium, kept on this machine."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from support.browser import launched_chromium

# The resolver rule keeps the page on this machine: any other host fails to resolve,
# so a request off 127.0.0.1 (which the flow reports) never leaves it.
LOCAL_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(LOCAL_ONLY) as launched:
        yield launched
