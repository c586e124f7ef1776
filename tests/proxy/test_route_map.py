"""The map ties to the evidence: the twin gets a route only where it answers as Open
WebUI does, and every route kept back has a contract test that says why.

The contract suite marks each test of Open WebUI's behaviour on a route the map keeps
on Open WebUI with `kept_on_open_webui`; on a twin such a test is a strict xfail. So a
route the twin gets wrong stays on Open WebUI, and the day the twin gets it right, its
xfail passes, the run fails, and the route moves (one line in the template).
"""

import re

from contract.servers import ROOT

from .route_map import (
    API_KEY_CLIENT,
    BROWSER,
    concrete_path,
    inventory_paths,
    read_route_map,
)

CONTRACT = ROOT / "tests" / "contract"
KEPT_MARKER = re.compile(r"@pytest\.mark\.kept_on_open_webui\((?P<paths>[^)]*)\)")


def paths_kept_by_contract_tests() -> set[str]:
    """Every path named by a `kept_on_open_webui` marker in the contract suite."""
    kept = set()
    for module in CONTRACT.glob("test_*.py"):
        for marker in KEPT_MARKER.finditer(module.read_text(encoding="utf-8")):
            kept |= set(re.findall(r'"([^"]+)"', marker["paths"]))
    return kept


def test_the_twin_gets_only_routes_it_serves() -> None:
    upstream, twin = inventory_paths()
    route_map = read_route_map()
    to_twin = {
        p for p in upstream if "twin" in route_map.backends_for(concrete_path(p))
    }
    assert to_twin
    assert to_twin - twin == set()


# --8<-- [start:kept]
def test_routes_kept_on_open_webui_are_those_the_contract_shows_differ() -> None:
    """A route the twin serves goes to Open WebUI for every client exactly when a
    contract test shows Open WebUI's answer there, which the twin does not give."""
    _, twin = inventory_paths()
    route_map = read_route_map()
    kept = {
        p for p in twin if route_map.backends_for(concrete_path(p)) == {"open_webui"}
    }
    assert kept == paths_kept_by_contract_tests()


# --8<-- [end:kept]


def test_the_marker_scan_finds_the_markers() -> None:
    """The scan above reads the markers as they are written, not an empty set."""
    assert {
        "/api/config",
        "/api/v1/auths/admin/config",
    } <= paths_kept_by_contract_tests()


def test_completions_split_by_credential() -> None:
    """The browser's completions stay on Open WebUI (Socket.IO carries the reply); a
    script's, with an API key, go to the twin."""
    route_map = read_route_map()
    assert route_map.backend_for("/api/chat/completions", BROWSER) == "open_webui"
    assert route_map.backend_for("/api/chat/completions", API_KEY_CLIENT) == "twin"
    assert route_map.backend_for("/api/chat/completions") == "open_webui"
