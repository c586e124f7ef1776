"""The parallel-run map as nginx reads it: which backend answers a path.

The template is the one source of truth for routing. Tests read its `map $uri
$backend` block with this module to say what nginx will do without starting it, and
to tie the map to the contract suite's evidence.
"""

import json
import re
from dataclasses import dataclass

from contract.servers import ROOT

from .nginx import TEMPLATE

INVENTORY = ROOT / "docs" / "data" / "upstream-api.json"
PATH_PARAMETER = re.compile(r"\{[^}]*\}")
# Any value in a path parameter's place: none of upstream's fixed path segments.
SAMPLE_PARAMETER = "sample-7f3a"

MAP_BLOCK = re.compile(
    r"map \$(?P<source>\w+) \$(?P<name>\w+) \{(?P<body>.*?)\n    \}", re.DOTALL
)
ENTRY = re.compile(r'^\s*(?P<key>"[^"]+"|\S+)\s+(?P<value>\$?\w+);\s*$')
# A credential of each kind the map tells apart: the browser's session token (any
# value that is not an API key) and a script's API key.
BROWSER = {"authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"}
API_KEY_CLIENT = {"authorization": "Bearer sk-0123456789abcdef"}
CLIENTS = (BROWSER, API_KEY_CLIENT)


@dataclass(frozen=True)
class Map:
    """One `map` block: exact keys, then regular expressions in order, then the
    default, the order in which nginx's `map` matches its source variable."""

    source: str
    default: str
    exact: dict[str, str]
    patterns: list[tuple[re.Pattern[str], str]]

    def value_for(self, key: str) -> str:
        if key in self.exact:
            return self.exact[key]
        for pattern, value in self.patterns:
            if pattern.search(key):
                return value
        return self.default


@dataclass(frozen=True)
class RouteMap:
    """The `$backend` map on the path, and the maps its values name (`$name`), each
    on a request header."""

    paths: Map
    variables: dict[str, Map]

    def backend_for(self, path: str, headers: dict[str, str] | None = None) -> str:
        """The backend of a request to `path` with these (lower-case) headers."""
        value = self.paths.value_for(path)
        if value.startswith("$"):
            choice = self.variables[value[1:]]
            header = choice.source.removeprefix("http_").replace("_", "-")
            value = choice.value_for((headers or {}).get(header, ""))
        return value

    def backends_for(self, path: str) -> set[str]:
        """Every backend that answers `path`, across the kinds of client."""
        return {self.backend_for(path, client) for client in CLIENTS}


def parse_map(source: str, body: str) -> Map:
    default, exact, patterns = None, {}, []
    for line in body.splitlines():
        line = line.split("#", 1)[0]
        if not line.strip():
            continue
        entry = ENTRY.match(line)
        assert entry is not None, f"unreadable map line: {line!r}"
        key, value = entry["key"].strip('"'), entry["value"]
        if key == "default":
            default = value
        elif key.startswith("~"):
            patterns.append((re.compile(key[1:]), value))
        else:
            assert key not in exact, f"{key} is mapped twice"
            exact[key] = value
    assert default is not None, f"the map on ${source} has no default"
    return Map(source, default, exact, patterns)


def read_route_map(text: str | None = None) -> RouteMap:
    """Parse the template's maps (or `text`, a template of the same shape)."""
    if text is None:
        text = TEMPLATE.read_text(encoding="utf-8")
    maps = {
        block["name"]: parse_map(block["source"], block["body"])
        for block in MAP_BLOCK.finditer(text)
    }
    paths = maps.pop("backend", None)
    assert paths is not None, f"{TEMPLATE.name} has no `map $uri $backend` block"
    assert paths.source == "uri", "the $backend map must be on $uri"
    named = {
        value[1:]
        for value in (paths.default, *paths.exact.values())
        if value.startswith("$")
    } | {value[1:] for _, value in paths.patterns if value.startswith("$")}
    missing = named - maps.keys()
    assert not missing, f"the $backend map names undefined maps: {missing}"
    return RouteMap(paths, {name: maps[name] for name in named})


def inventory_paths() -> tuple[set[str], set[str]]:
    """Every path upstream serves, and those of them the twin serves."""
    inventory = json.loads(INVENTORY.read_text(encoding="utf-8"))

    def paths(key: str) -> set[str]:
        return {path for routes in inventory[key].values() for _, path in routes}

    return paths("upstream"), paths("python_backend")


def concrete_path(path: str) -> str:
    """An inventory path with a sample value in each `{parameter}`."""
    return PATH_PARAMETER.sub(SAMPLE_PARAMETER, path)
