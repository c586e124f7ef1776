"""Upstream's whole HTTP API, per router, and how much of it the Python backend serves.

`--write` starts real Open WebUI 0.12.4 on 127.0.0.1, offline, reads its OpenAPI
document, reads the reference backend's from `create_app`, and rewrites
``docs/data/upstream-api.json`` if either changed. Run it with the tests venv, which
has the backend's dependencies and the contract suite's server helpers::

    python tools/api_inventory.py --write

`--backend-only` keeps the committed upstream inventory and reads only the backend's,
for a change to the backend on a machine without Open WebUI installed. Either way it
also rewrites the backend's whole document where the Rust twin compiles it in
(``examples/rust-backend/openapi.json``), if it changed.

The site shows the data through ``render_table``, which reads only the committed
file: building the site needs neither Open WebUI nor the backend's dependencies.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import secrets
import sys
import tempfile
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_FILE = ROOT / "docs/data/upstream-api.json"
# Compiled into the Rust twin, which serves it at /openapi.json as FastAPI does.
TWIN_DOCUMENT = ROOT / "examples/rust-backend/openapi.json"
REGENERATE = "python tools/api_inventory.py --write"
UPSTREAM_VENV = ROOT / ".nox/open-webui-0.12.4"
# Where the backend and the contract suite's helpers import from, as pytest sets it up.
IMPORT_PATHS = (ROOT / "examples/python-backend", ROOT / "tests")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Upstream serves /openapi.json only when ENV is "dev", its default (env.py, main.py).
UPSTREAM_DOCS_ENV = {"ENV": "dev"}
PATH_PARAMETER = re.compile(r"\{[^}]*\}")
ROUTE_PAIR = re.compile(r'\[\s*"([A-Z]+)",\s*"([^"\\]*)"\s*\]')

Route = tuple[str, str]


# --8<-- [start:grouping]
def router_of(path: str) -> str:
    """The path prefix a route is counted under.

    `/api/v1/<name>` for the versioned API, `/api` for the rest of `/api`, and the
    first segment elsewhere (`/ollama`, `/oauth`, `/health`). It is a prefix, not the
    Python router: upstream's main.py serves a few routes under its routers' prefixes.
    """
    segments = path.strip("/").split("/")
    if segments[:2] == ["api", "v1"] and len(segments) > 2:
        return "/" + "/".join(segments[:3])
    return "/" + segments[0]


def normalised(path: str) -> str:
    """The path with every parameter as `{}`: `{id}` and `{chat_id}` are one route."""
    return PATH_PARAMETER.sub("{}", path)


# --8<-- [end:grouping]


def routes_in(openapi: dict) -> list[Route]:
    """Every (METHOD, path) operation an OpenAPI document lists."""
    return sorted(
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    )


def by_router(routes: list[Route]) -> dict[str, list[list[str]]]:
    grouped: dict[str, list[list[str]]] = defaultdict(list)
    for method, path in sorted(routes, key=lambda route: (route[1], route[0])):
        grouped[router_of(path)].append([method, path])
    return dict(sorted(grouped.items()))


def backend_document() -> dict:
    """The reference backend's OpenAPI document, from an app with throwaway settings."""
    from reference_backend.env import Settings
    from reference_backend.main import create_app

    settings = Settings.from_environ(
        {"WEBUI_SECRET_KEY": secrets.token_hex(16), "DATA_DIR": tempfile.gettempdir()}
    )
    return create_app(settings).openapi()


def backend_routes() -> list[Route]:
    return routes_in(backend_document())


def twin_document_text() -> str:
    """The document as the Rust twin serves it: the twins serve one API, and the
    contract suite fuzzes each twin from the document it serves."""
    return json.dumps(backend_document(), indent=1, sort_keys=True) + "\n"


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def upstream_document(venv: Path) -> tuple[dict, str]:
    """Open WebUI's OpenAPI document and version, from a server started for it.

    The contract suite's `running_server` starts it: offline, a fresh DATA_DIR, a
    random secret, 127.0.0.1 and a free port.
    """
    from contract.servers import running_server
    from contract.targets import Target

    os.environ["CONTRACT_UPSTREAM_VENV"] = str(venv)
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_server(
            Target("upstream"),
            Path(workdir),
            secrets.token_hex(16),
            extra_env=UPSTREAM_DOCS_ENV,
        ) as server,
    ):
        document = fetch_json(f"{server.base_url}/openapi.json")
        version = fetch_json(f"{server.base_url}/api/version")["version"]
    return document, version


def load() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def write(venv: Path, backend_only: bool) -> bool:
    """Rewrite the data file if the routes changed; return whether it did."""
    current = load() if DATA_FILE.is_file() else None
    if backend_only:
        if current is None:
            raise SystemExit(f"{DATA_FILE.name} is missing: run `{REGENERATE}`")
        upstream, version = current["upstream"], current["open_webui_version"]
    else:
        document, version = upstream_document(venv)
        upstream = by_router(routes_in(document))
    backend = by_router(backend_routes())
    unchanged = current is not None and (
        current["upstream"],
        current["python_backend"],
        current["open_webui_version"],
    ) == (upstream, backend, version)
    if unchanged:
        return False
    data = {
        "command": REGENERATE,
        "date": datetime.date.today().isoformat(),
        "open_webui_version": version,
        "source": "GET /openapi.json of `open-webui serve` with ENV=dev, offline",
        "upstream": upstream,
        "python_backend": backend,
    }
    DATA_FILE.write_text(dumps(data), encoding="utf-8")
    return True


def write_twin_document() -> bool:
    """Rewrite the Rust twin's copy if the backend's changed; return whether it did."""
    document = twin_document_text()
    if TWIN_DOCUMENT.is_file() and TWIN_DOCUMENT.read_text() == document:
        return False
    TWIN_DOCUMENT.write_text(document, encoding="utf-8")
    return True


def dumps(data: dict) -> str:
    """Indented JSON with each (method, path) pair on one line, to keep diffs short."""
    text = json.dumps(data, indent=2)
    return ROUTE_PAIR.sub(r'["\1", "\2"]', text) + "\n"


def counts(data: dict) -> list[tuple[str, int, int]]:
    """Per router: upstream's endpoints, and how many of them the backend serves."""
    return [
        (router, len(routes), len(data["python_backend"].get(router, [])))
        for router, routes in data["upstream"].items()
    ]


def table_row(labels: tuple[str, ...], upstream: int, served: int) -> str:
    """One row: its label cells, then the counts; nothing served shows blanks."""
    share = f"{served / upstream:.0%}" if served else ""
    return f"| {' | '.join(labels)} | {upstream} | {served or ''} | {share} |"


def render_table(data: dict) -> str:
    """The Markdown table of the committed inventory, for the API inventory page."""
    rows = counts(data)
    total = sum(upstream for _, upstream, _ in rows)
    served = sum(backend for _, _, backend in rows)
    lines = [
        "| Path prefix | Upstream endpoints | Python backend serves | Share |",
        "| --- | ---: | ---: | ---: |",
        *(table_row((f"`{router}`",), *counted) for router, *counted in rows),
        table_row(("**All**",), total, served),
        "",
        f"Open WebUI {data['open_webui_version']}, read by `{data['command']}` on "
        f"{data['date']}; `tests/docs/test_api_inventory.py` fails when the backend's "
        "column is stale.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help=f"rewrite {DATA_FILE.name} if it is stale"
    )
    parser.add_argument(
        "--backend-only",
        action="store_true",
        help="with --write: keep the committed upstream inventory",
    )
    parser.add_argument(
        "--upstream-venv",
        type=Path,
        default=UPSTREAM_VENV,
        help="the venv Open WebUI is installed in (`nox -s upstream` makes it)",
    )
    args = parser.parse_args(argv)
    if args.write:
        sys.path[:0] = [str(path) for path in IMPORT_PATHS]
        for name, changed in (
            (DATA_FILE.name, write(args.upstream_venv, args.backend_only)),
            (TWIN_DOCUMENT.name, write_twin_document()),
        ):
            print(f"{name}: {'rewritten' if changed else 'already current'}")
    print(render_table(load()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
