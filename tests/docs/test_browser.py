"""The built site in Debian's headless Chromium (`support.browser`), served on
127.0.0.1."""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Route
from support.browser import launched_chromium

from bench.plan import ENDPOINTS
from pages import PAGES, SCREENSHOTS, TABS, url_path

PATTERN_PAGE = "migration/patterns/durations/"
COMPARISON_PAGE = "comparison/endpoints/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


@dataclass
class Visit:
    """What a page did while it loaded: its errors and its requests off this host."""

    page: Page
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


# --8<-- [start:visit]
@pytest.fixture
def visit(browser: Browser, site_url: str) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    record = Visit(context.new_page())

    def keep_local(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            record.foreign.append(request.url)
            route.abort()

    context.route("**/*", keep_local)
    record.page.on(
        "console", lambda m: record.errors.append(m.text) if m.type == "error" else None
    )
    record.page.on("pageerror", lambda error: record.errors.append(str(error)))
    yield record
    context.close()


# --8<-- [end:visit]


def open_page(visit: Visit, site_url: str, path: str) -> Page:
    visit.page.goto(site_url + path, wait_until="networkidle")
    return visit.page


def attributes(node: dict) -> dict[str, str]:
    """CDP lists a node's attributes flat: name, value, name, value."""
    flat = node.get("attributes", [])
    return dict(zip(flat[::2], flat[1::2], strict=True))


def rendered_diagrams(page: Page) -> list[dict]:
    """The SVG in each diagram's shadow root (closed by Material, so read over CDP)."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    diagrams = []

    def walk(node: dict) -> None:
        classes = attributes(node).get("class", "").split()
        if node.get("nodeName") == "DIV" and "mermaid" in classes:
            shadow = node.get("shadowRoots", [{}])[0]
            diagrams.append(
                next(
                    (c for c in shadow.get("children", []) if c["nodeName"] == "svg"),
                    {},
                )
            )
        for child in node.get("children", []) + node.get("shadowRoots", []):
            walk(child)

    walk(root)
    cdp.detach()
    return diagrams


@pytest.mark.parametrize("page_file", PAGES, ids=url_path)
def test_page_loads_cleanly_and_renders_its_diagrams(
    page_file: Path, visit: Visit, site_url: str, built_site: Path
):
    path = url_path(page_file)
    page = open_page(visit, site_url, path)
    expected = (
        (built_site / path / "index.html")
        .read_text(encoding="utf-8")
        .count('<pre class="mermaid')
    )
    deadline = time.monotonic() + 20
    while (
        len(diagrams := rendered_diagrams(page)) < expected
        and time.monotonic() < deadline
    ):
        page.wait_for_timeout(200)

    assert visit.foreign == []
    assert visit.errors == []
    assert len(diagrams) == expected
    for svg in diagrams:
        kind = attributes(svg).get("aria-roledescription")
        assert kind not in (None, "error"), attributes(svg)
        assert svg.get("childNodeCount", 0) > 0


def test_linked_tabs_switch_together(visit: Visit, site_url: str):
    page = open_page(visit, site_url, PATTERN_PAGE)
    tab_sets = page.locator(".tabbed-set")
    assert tab_sets.count() >= 2

    def selected() -> set[str]:
        return set(
            page.eval_on_selector_all(
                ".tabbed-set",
                """sets => sets.map(set => {
                    const input = set.querySelector(':scope > input:checked');
                    const label = set.querySelector(`label[for="${input.id}"]`);
                    return label.innerText.trim();
                })""",
            )
        )

    assert selected() == {TABS[0]}
    tab_sets.first.get_by_text(TABS[1], exact=True).click()
    assert selected() == {TABS[1]}
    tab_sets.last.get_by_text(TABS[0], exact=True).click()
    assert selected() == {TABS[0]}
    assert visit.errors == []


def test_the_nav_reaches_the_rust_twins_rustdoc(visit: Visit, site_url: str):
    """The Reference section links to rustdoc, served from the site like every page."""
    page = open_page(visit, site_url, "")
    page.get_by_role("link", name="Rust twin (rustdoc)").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/reference/rustdoc/reference_backend/")
    assert "reference_backend" in page.title()
    assert page.locator("a", has_text="routers").count() > 0
    assert visit.foreign == []
    assert visit.errors == []


def test_search_finds_a_known_word(visit: Visit, site_url: str):
    page = open_page(visit, site_url, "")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("timedelta", delay=20)  # Material searches on key events
    result = page.locator(f'.md-search-result__item a[href*="{PATTERN_PAGE}"]').first
    result.wait_for(state="visible", timeout=10_000)
    assert visit.errors == []


def test_the_comparison_charts_load_from_the_site(visit: Visit, site_url: str):
    """Each endpoint's chart is an SVG the site serves, drawn by the harness."""
    page = open_page(visit, site_url, COMPARISON_PAGE)
    charts = page.locator('img[src*="charts/endpoint-"]')
    assert charts.count() == len(ENDPOINTS)
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    assert visit.foreign == []
    assert visit.errors == []


@pytest.mark.parametrize(
    ("name", "path"),
    [("home", ""), ("pattern-tabs", PATTERN_PAGE), ("comparison", COMPARISON_PAGE)],
)
def test_screenshot(name: str, path: str, visit: Visit, site_url: str):
    """Saved for CI and reviewers under artifacts/screenshots/."""
    page = open_page(visit, site_url, path)
    page.wait_for_timeout(500)  # let Mermaid finish painting
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=target, full_page=True)
    assert target.stat().st_size > 10_000
