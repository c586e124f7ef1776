"""The API inventory: its data parses, the backend's routes are upstream's, and the
page shows what the data says."""

import re
from pathlib import Path

import pytest

import api_inventory

DATA = api_inventory.load()
SIDES = ("upstream", "python_backend")
TABLE_ROW = re.compile(
    r"^\| `(?P<router>[^`]+)` \| (?P<upstream>\d+) \| (?P<backend>\d*) \|"
)


def routes(side: str) -> list[tuple[str, str]]:
    return [(method, path) for group in DATA[side].values() for method, path in group]


def test_the_data_names_its_command_and_version():
    assert DATA["command"] == api_inventory.REGENERATE
    assert DATA["open_webui_version"] == "0.12.4"


@pytest.mark.parametrize("side", SIDES)
def test_every_route_parses_and_sits_under_its_router(side: str):
    for router, group in DATA[side].items():
        for method, path in group:
            assert method.lower() in api_inventory.HTTP_METHODS, (method, path)
            assert path.startswith("/"), path
            assert api_inventory.router_of(path) == router, path
    assert len(set(routes(side))) == len(routes(side)), "a route is listed twice"


def test_the_backend_column_is_current():
    current = api_inventory.by_router(api_inventory.backend_routes())
    assert DATA["python_backend"] == current, (
        "docs/data/upstream-api.json is stale: run "
        "`python tools/api_inventory.py --write --backend-only`"
    )


def test_the_rust_twin_serves_the_backends_document():
    assert (
        api_inventory.TWIN_DOCUMENT.read_text() == api_inventory.twin_document_text()
    ), (
        "examples/rust-backend/openapi.json is stale: run "
        "`python tools/api_inventory.py --write --backend-only`"
    )


def test_every_route_the_backend_serves_exists_upstream():
    def normalised(side: str) -> set[tuple[str, str]]:
        return {(m, api_inventory.normalised(p)) for m, p in routes(side)}

    assert not normalised("python_backend") - normalised("upstream")


def test_the_rendered_counts_equal_the_data():
    table = api_inventory.render_table(DATA)
    rendered = {
        m["router"]: (int(m["upstream"]), int(m["backend"] or 0))
        for m in map(TABLE_ROW.match, table.splitlines())
        if m
    }
    expected = {
        router: (len(group), len(DATA["python_backend"].get(router, [])))
        for router, group in DATA["upstream"].items()
    }
    assert rendered == expected
    totals = (
        f"| **All** | {len(routes('upstream'))} | {len(routes('python_backend'))} |"
    )
    assert totals in table


def test_the_page_shows_the_table(built_site: Path):
    html = (built_site / "architecture/api-inventory/index.html").read_text("utf-8")
    for router in DATA["upstream"]:
        assert f"<td><code>{router}</code></td>" in html, router
