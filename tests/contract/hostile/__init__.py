"""The hostile catalogues, `tokens.json` and `bad_input.json`, and the checks of a row.

A row states the status both twins must answer and the one Open WebUI 0.12.4 answered
when it was run; the tests send the row to every target and hold it to the status of
that target. A row whose answer changes when the twins' hardening options are on states
that answer too (`hardened`). Whatever the status, a refusal is a JSON `detail` with no
internals in it, the server still answers `/health`, and a row that must change nothing
leaves the database's fingerprint as it was.
"""

import json
import re
from pathlib import Path

import httpx

from ..api import http_client
from ..snapshot import Fingerprint
from ..targets import Target

HERE = Path(__file__).parent
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REQUIRED = {"id", "why", "twins", "upstream", "changes_nothing"}
# The keys of a row that describe it rather than build its request.
PROSE = {"why", "differs", "on_postgres", "hardened"}
# The tables whose rows every fingerprint must hold: a fingerprint of the wrong
# database, or of none, would otherwise compare two empty dicts and pass.
FINGERPRINTED = ("user", "auth", "chat")

# What a body must never show: a stack trace, the database layer, a panic, source
# paths, SQL. `load` checks that no row's request holds one, so a hit in an answer
# is the server's own and not an echo of the input.
LEAK_MARKERS = (
    "Traceback",
    "sqlalchemy",
    "psycopg",
    "sqlx",
    "panicked",
    "site-packages",
    'File "',
    ".py:",
    ".rs:",
    "/home/",
    "/usr/",
    "/work/",
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
)


def load(name: str) -> list[dict]:
    """The rows of a catalogue, checked against the agreed format."""
    catalogue = json.loads((HERE / name).read_text())
    assert catalogue["about"].strip(), f"{name}: an 'about' paragraph is required"
    rows = catalogue["cases"]
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), f"{name}: duplicate ids"
    for row in rows:
        assert set(row) >= REQUIRED, f"{row['id']}: missing {REQUIRED - set(row)}"
        assert KEBAB.match(row["id"]), f"{row['id']}: ids are kebab-case"
        assert row["twins"] < 500, f"{row['id']}: a twin never answers 5xx"
        if "on_postgres" in row:
            assert row["on_postgres"]["twins"] < 500, f"{row['id']}: on PostgreSQL"
            assert row["on_postgres"]["why"].strip(), f"{row['id']}: say why"
        if "hardened" in row:
            hardened = row["hardened"]
            assert set(hardened) == {"twins", "changes_nothing", "why"}, row["id"]
            assert hardened["twins"] < 500, f"{row['id']}: hardened"
            assert hardened["twins"] != row["twins"], f"{row['id']}: nothing changes"
            assert hardened["why"].strip(), f"{row['id']}: say why"
        request = json.dumps({k: v for k, v in row.items() if k not in PROSE})
        echoed = [marker for marker in LEAK_MARKERS if marker in request]
        assert not echoed, f"{row['id']}: the request holds {echoed}"
        assert (row["twins"] != row["upstream"]) == ("differs" in row), (
            f"{row['id']}: 'differs' says why, exactly when twins != upstream"
        )
    return rows


def expected_status(row: dict, target: Target) -> int:
    if target.impl == "upstream":
        return row["upstream"]
    if target.hardened and "hardened" in row:
        return row["hardened"]["twins"]
    if target.postgres and "on_postgres" in row:
        return row["on_postgres"]["twins"]
    return row["twins"]


def must_change_nothing(row: dict, target: Target) -> bool:
    """`changes_nothing`, or for Open WebUI its own flag where the row has one: its
    recorded answer to a row that differs may store what the twins refuse. A hardened
    twin's refusal changes nothing where the default twin stores."""
    if target.impl == "upstream":
        return row.get("upstream_changes_nothing", row["changes_nothing"])
    if target.hardened and "hardened" in row:
        return row["hardened"]["changes_nothing"]
    return row["changes_nothing"]


def expand(parts: str | list) -> str:
    """A text written as parts: a string as it is, `[text, n]` as text repeated n
    times, so a catalogue can hold a 10 MB body in one line."""
    if isinstance(parts, str):
        return parts
    return "".join(
        part if isinstance(part, str) else part[0] * part[1] for part in parts
    )


def fill(value: object, names: dict[str, str]) -> object:
    """A row's value with its placeholders filled in: `{name}` in a string for each
    of `names` (other braces stay), `"$null"` as None (a plain null in a header
    change removes the key), `{"$text": parts}` as the expanded text."""
    if value == "$null":
        return None
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda match: names.get(match[1], match[0]), value)
    if isinstance(value, dict) and set(value) == {"$text"}:
        return expand(value["$text"])
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    return value


def assert_clean_answer(response: httpx.Response, status: int, secret: str) -> None:
    """The expected status; a refusal says why in JSON; nothing internal shows.

    A 5xx can only be expected of Open WebUI, as a recorded defect: its body is then
    Starlette's plain-text "Internal Server Error", which the status already pins.
    """
    text = response.text
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {text[:300]}"
    )
    if not response.is_success and status < 500:
        body = response.json()
        assert isinstance(body, dict), text[:300]
        assert "detail" in body, text[:300]
    leaked = [marker for marker in LEAK_MARKERS if marker in text]
    assert not leaked, f"the body shows {leaked}: {text[:300]}"
    assert secret not in text, "the body shows the server's secret"


def assert_healthy(base_url: str) -> None:
    """On a new connection: the question is whether the server is up, and a server
    may close the row's connection after a 5xx."""
    with http_client(base_url) as client:
        response = client.get("/health")
    assert response.status_code == 200, "the server is not healthy after the row"


def assert_meaningful(fingerprint: Fingerprint) -> None:
    """A fingerprint worth comparing: the core tables, and rows in them."""
    missing = [table for table in FINGERPRINTED if table not in fingerprint]
    assert not missing, f"the fingerprint lacks {missing}: {sorted(fingerprint)}"
    assert all(fingerprint[table][0] > 0 for table in FINGERPRINTED), fingerprint
