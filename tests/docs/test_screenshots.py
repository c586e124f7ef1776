"""The parallel-run page shows exactly the screenshots that the browser flow takes."""

import re

from pages import ROOT

FLOW = ROOT / "tests" / "frontend" / "flow.py"
PAGE = ROOT / "docs" / "migration" / "parallel-run.md"
ASSETS = ROOT / "docs" / "assets" / "parallel-run"
TAKEN = re.compile(r'self\.screenshot\("(?P<name>[^"]+)"\)')
SHOWN = re.compile(r"!\[[^\]]*\]\(\.\./assets/parallel-run/(?P<name>[^)]+)\.png\)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_page_shows_each_screenshot_the_flow_takes() -> None:
    taken = {match["name"] for match in TAKEN.finditer(FLOW.read_text())}
    shown = [match["name"] for match in SHOWN.finditer(PAGE.read_text())]
    assert taken
    assert sorted(shown) == sorted(taken)


def test_each_shown_screenshot_is_a_committed_png() -> None:
    committed = {path.stem for path in ASSETS.glob("*.png")}
    shown = {match["name"] for match in SHOWN.finditer(PAGE.read_text())}
    assert committed == shown
    for name in committed:
        assert (ASSETS / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE)
