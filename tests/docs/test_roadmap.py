"""The roadmap: its phases split the API inventory's prefixes exactly, and the page
shows what the inventory says about each phase."""

import re
from collections import Counter
from pathlib import Path

import pytest

import api_inventory
import roadmap
from block_audit import ROOT

DATA = api_inventory.load()
PAGE = ROOT / "docs/migration/roadmap.md"
PLACED = Counter(router for phase in roadmap.PHASES for router in phase.routers)
TABLE_ROW = re.compile(
    r"^\| \*\*\d+\. (?P<phase>[^*|]+)\*\*: [^|]+ \| [^|]+ "
    r"\| (?P<upstream>\d+) \| (?P<backend>\d*) \|"
)


def endpoints(side: str, routers) -> int:
    return sum(len(DATA[side].get(router, [])) for router in routers)


def test_every_inventory_router_is_in_exactly_one_phase():
    phases_per_router = {router: PLACED[router] for router in DATA["upstream"]}
    assert {router: n for router, n in phases_per_router.items() if n != 1} == {}


def test_no_phase_names_a_router_outside_the_inventory():
    assert set(PLACED) - set(DATA["upstream"]) == set()


def test_a_router_without_a_phase_stops_the_table():
    new_router = {"/api/v1/new": [["GET", "/api/v1/new"]]}
    data = {**DATA, "upstream": {**DATA["upstream"], **new_router}}
    with pytest.raises(ValueError, match="/api/v1/new is in no phase"):
        roadmap.render_table(data)


def test_the_backend_serves_core_and_the_openai_path_of_the_completions_phase():
    """Core whole, and of the completions phase only its OpenAI-compatible routers,
    which the page says were taken ahead of their phase."""
    core, completions = roadmap.PHASES[0], roadmap.PHASES[3]
    assert (core.name, completions.name) == ("Core", "Model proxies and completions")
    served = set(DATA["python_backend"])
    assert served - set(core.routers) == {"/openai", "/api/v1/chat"}
    assert served - set(core.routers) <= set(completions.routers)


def test_the_rendered_counts_equal_the_data():
    table = roadmap.render_table(DATA)
    rendered = [
        (m["phase"], int(m["upstream"]), int(m["backend"] or 0))
        for m in map(TABLE_ROW.match, table.splitlines())
        if m
    ]
    expected = [
        (
            phase.name,
            endpoints("upstream", phase.routers),
            endpoints("python_backend", phase.routers),
        )
        for phase in roadmap.PHASES
    ]
    assert rendered == expected


def test_the_total_equals_the_inventory_total():
    total = endpoints("upstream", DATA["upstream"])
    served = endpoints("python_backend", DATA["python_backend"])
    assert f"| **All** |  | {total} | {served} |" in roadmap.render_table(DATA)


def test_the_page_explains_every_phase_in_order():
    headings = re.findall(r"^### (.+)$", PAGE.read_text("utf-8"), flags=re.MULTILINE)
    assert headings == [phase.name for phase in roadmap.PHASES]


def test_the_page_shows_the_table(built_site: Path):
    html = (built_site / "migration/roadmap/index.html").read_text("utf-8")
    for number, phase in enumerate(roadmap.PHASES, start=1):
        assert f"<td><strong>{number}. {phase.name}</strong>: " in html, phase.name
    for router in DATA["upstream"]:
        assert f"<code>{router}</code>" in html, router
