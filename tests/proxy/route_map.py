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

MAP_BLOCK = re.compile(r"map \$uri \$backend \{(?P<body>.*?)\n    \}", re.DOTALL)
ENTRY = re.compile(r'^\s*(?P<key>"[^"]+"|\S+)\s+(?P<backend>\w+);\s*$')


@dataclass(frozen=True)
class RouteMap:
    """Exact paths, then regular expressions in order, then the default: the order
    in which nginx's `map` matches."""

    default: str
    exact: dict[str, str]
    patterns: list[tuple[re.Pattern[str], str]]

    def backend_for(self, path: str) -> str:
        if path in self.exact:
            return self.exact[path]
        for pattern, backend in self.patterns:
            if pattern.search(path):
                return backend
        return self.default

    def kept_on(self, backend: str) -> set[str]:
        """The exact paths the map names for `backend`."""
        return {path for path, named in self.exact.items() if named == backend}


def read_route_map(text: str | None = None) -> RouteMap:
    """Parse the template's map (or `text`, a template of the same shape)."""
    if text is None:
        text = TEMPLATE.read_text(encoding="utf-8")
    block = MAP_BLOCK.search(text)
    assert block is not None, f"{TEMPLATE.name} has no `map $uri $backend` block"
    default, exact, patterns = None, {}, []
    for line in block["body"].splitlines():
        line = line.split("#", 1)[0]
        if not line.strip():
            continue
        entry = ENTRY.match(line)
        assert entry is not None, f"unreadable map line: {line!r}"
        key, backend = entry["key"].strip('"'), entry["backend"]
        if key == "default":
            default = backend
        elif key.startswith("~"):
            patterns.append((re.compile(key[1:]), backend))
        else:
            assert key not in exact, f"{key} is mapped twice"
            exact[key] = backend
    assert default is not None, "the map has no default"
    return RouteMap(default, exact, patterns)


def inventory_paths() -> tuple[set[str], set[str]]:
    """Every path upstream serves, and those of them the twin serves."""
    inventory = json.loads(INVENTORY.read_text(encoding="utf-8"))

    def paths(key: str) -> set[str]:
        return {path for routes in inventory[key].values() for _, path in routes}

    return paths("upstream"), paths("python_backend")


def concrete_path(path: str) -> str:
    """An inventory path with a sample value in each `{parameter}`."""
    return PATH_PARAMETER.sub(SAMPLE_PARAMETER, path)
