"""Malformed, oversized and out-of-place input, from `hostile/bad_input.json`, on every
route the twins serve and on every target.

Each row is one request, sent byte for byte as the row writes it (the path is not
normalised, so `../` and `%00` reach the server as written), by the account the row
names. Rows that need a connected model provider run only on `+provider` targets,
and rows about a server without one only on the others.
"""

import json
import re
import uuid

import httpx
import pytest

from reference_backend.env import Settings
from reference_backend.main import create_app

from . import hostile, snapshot
from .api import Account, add_user, http_client, new_chat
from .servers import Server
from .targets import Target

ROWS = hostile.load("bad_input.json")
PROVIDER_MARKS = {True: pytest.mark.needs_provider, False: pytest.mark.no_provider}


def marks(row: dict) -> list:
    return [PROVIDER_MARKS[row["provider"]]] if "provider" in row else []


@pytest.fixture(scope="module")
def cast(client: httpx.Client, admin: Account) -> dict:
    """Who sends the rows, and the ids they aim at: the user's own chat, and the
    admin's chat, model and account, which the user must not reach."""
    user = add_user(client, admin, label="hostile")
    other = add_user(client, admin, label="other")
    model_id = f"hostile-{uuid.uuid4().hex[:8]}"
    created = client.post(
        "/api/v1/models/create",
        headers=admin.headers,
        json={"id": model_id, "name": "Hostile", "meta": {}, "params": {}},
    )
    assert created.status_code == 200, created.text
    return {
        "accounts": {"user": user, "admin": admin},
        "names": {
            "user_id": user.id,
            "user_email": user.email,
            "admin_id": admin.id,
            "other_user": other.id,
            "own_chat": new_chat(client, user, {"title": "Own"})["id"],
            "other_chat": new_chat(client, admin, {"title": "Admin's"})["id"],
            "model": model_id,
        },
    }


def request_of(row: dict, cast: dict) -> tuple[str, str, dict[str, str], bytes | None]:
    """The method, raw target, headers and body a row describes."""
    names = cast["names"] | {"unique": uuid.uuid4().hex[:12]}
    headers = dict(hostile.fill(row.get("headers", {}), names))
    sender = cast["accounts"].get(row.get("as", "user"))
    if sender is not None:
        headers.setdefault("Authorization", f"Bearer {sender.token}")
    content = None
    if "json" in row:
        content = json.dumps(hostile.fill(row["json"], names)).encode()
    elif "raw" in row:
        content = hostile.fill(hostile.expand(row["raw"]), names).encode()
    if content is not None:
        content_type = row.get("content_type", "application/json")
        if content_type is not None:
            headers.setdefault("Content-Type", content_type)
    path = hostile.fill(hostile.expand(row["path"]), names)
    return row["method"], path, headers, content


def assert_server_owned(response: httpx.Response, row: dict, sent: bytes) -> None:
    """On an accepted row, the server kept its own fields and took the row's others."""
    if not response.is_success or not ({"ignores", "expect"} & set(row)):
        return
    body, request = response.json(), json.loads(sent)
    for field in row.get("ignores", []):
        assert body[field] != request[field], f"{field} was taken from the client"
    for field, value in row.get("expect", {}).items():
        assert body[field] == value, f"{field}: {body[field]!r}"


@pytest.mark.parametrize(
    "row", [pytest.param(row, id=row["id"], marks=marks(row)) for row in ROWS]
)
def test_bad_input(target: Target, server: Server, cast: dict, row: dict) -> None:
    method, path, headers, content = request_of(row, cast)
    before = snapshot.fingerprint(server)
    hostile.assert_meaningful(before)
    # A connection of its own, so that no row reads an answer on a connection that
    # an earlier row's answer left broken.
    with http_client(server.base_url) as client:
        # The raw target goes out as written; the URL only names the server.
        target_bytes = {"target": path.encode()}
        response = client.request(
            method, "/", headers=headers, content=content, extensions=target_bytes
        )
        hostile.assert_clean_answer(
            response, hostile.expected_status(row, target), server.secret
        )
        assert_server_owned(response, row, content)
    hostile.assert_healthy(server.base_url)
    if hostile.must_change_nothing(row, target):
        assert snapshot.fingerprint(server) == before


def test_every_route_has_a_row(tmp_path) -> None:
    """Every method and path the twins serve (the Python twin's OpenAPI document,
    which the Rust twin mirrors) is the target of at least one row."""
    # A secret of its own: without one, the settings would write the generated key
    # into the working directory, the repository's root.
    environ = {"DATA_DIR": str(tmp_path), "WEBUI_SECRET_KEY": "route-inventory"}
    app = create_app(Settings.from_environ(environ))
    sent = set()
    for row in ROWS:
        path = hostile.PLACEHOLDER.sub("x", hostile.expand(row["path"]))
        sent.add((row["method"], path.partition("?")[0]))
    missing = []
    for template, operations in app.openapi()["paths"].items():
        pattern = re.compile(re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)))
        for method in map(str.upper, operations):
            if not any(m == method and pattern.fullmatch(p) for m, p in sent):
                missing.append(f"{method} {template}")
    assert not missing, f"routes without a row: {missing}"
