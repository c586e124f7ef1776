"""Forged, damaged and misplaced credentials from `hostile/tokens.json`, on each target.

Each row builds one credential from a recipe (whose genuine claims it starts from, what
it changes, how it signs, how it is damaged afterwards) and sends it on the routes the
row names: a user route and an admin route, so a token that would pass as the admin
is caught where it matters. Whatever the answer, nothing may change in the database.
"""

import time
import uuid
from dataclasses import dataclass

import httpx
import jwt
import pytest

from . import hostile, snapshot
from .api import Account, add_user, http_client, new_chat
from .servers import Server
from .targets import Target
from .tokens import claims, segment, sign_raw

ROWS = hostile.load("tokens.json")
DEFAULT_HEADERS = {"Authorization": "Bearer {token}"}
JWT_HEADER = {"alg": "HS256", "typ": "JWT"}
# The route that says who a token was taken for: a 2xx there must name the subject.
WHOAMI = "GET /api/v1/auths/"


@dataclass
class Subject:
    """An account whose genuine credentials a recipe starts from."""

    account: Account
    api_key: str | None = None


def api_key_of(client: httpx.Client, account: Account) -> str:
    response = client.post("/api/v1/auths/api_key", headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()["api_key"]


def delete(client: httpx.Client, admin: Account, account: Account) -> None:
    response = client.delete(f"/api/v1/users/{account.id}", headers=admin.headers)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def subjects(client: httpx.Client, admin: Account) -> dict[str, Subject]:
    """The accounts the rows name, each in the state its name says.

    `stale` changed its password after its token was issued; `deleted` and
    `deleted-admin` were removed after theirs (and its API key) were. Made once per
    target, before any row takes its fingerprint.
    """
    stale = add_user(client, admin, label="stale")
    changed = client.post(
        "/api/v1/auths/update/password",
        headers=stale.headers,
        json={"password": stale.password, "new_password": "changed-password-1"},
    )
    assert changed.status_code == 200, changed.text
    deleted = add_user(client, admin, label="deleted")
    deleted_admin = add_user(client, admin, role="admin", label="gone")
    deleted_key = api_key_of(client, deleted_admin)
    for account in (deleted, deleted_admin):
        delete(client, admin, account)
    # The chat table must hold a row for the fingerprint to cover it.
    new_chat(client, admin, {"title": "Hostile tokens"})
    return {
        "admin": Subject(admin, api_key_of(client, admin)),
        "user": Subject(add_user(client, admin)),
        "stale": Subject(stale),
        "deleted": Subject(deleted),
        "deleted-admin": Subject(deleted_admin, deleted_key),
    }


def merged(base: dict, changes: dict) -> dict:
    """`base` with `changes` applied; a change to None removes the key."""
    result = {**base, **changes}
    return {key: value for key, value in result.items() if value is not None}


def damaged(token: str, recipe: dict) -> str:
    """The token after the damage a recipe asks for, once it is signed."""
    head, payload, signature = token.split(".")
    if "tamper" in recipe:
        signed = jwt.decode(token, options={"verify_signature": False})
        payload = segment(signed | recipe["tamper"])
    match recipe.get("signature"):
        case "flip":
            signature = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
        case "strip":
            signature = ""
    token = f"{head}.{payload}.{signature}"
    if recipe.get("signature") == "drop-dot":
        token = f"{head}.{payload}"
    token = token[: len(token) - recipe.get("truncate", 0)]
    return token + hostile.expand(recipe.get("suffix", ""))


def credential(recipe: dict, subject: Subject, secret: str, names: dict) -> str:
    """The credential a row's recipe describes."""
    kind = recipe.get("kind", "forged")
    if kind == "literal":
        return hostile.expand(recipe["literal"])
    if kind == "api-key":
        assert subject.api_key, "this subject holds no API key"
        return subject.api_key
    if kind == "genuine":
        token = subject.account.token
    else:
        now = int(time.time())
        payload = claims(subject.account.token, secret)
        payload |= {"jti": str(uuid.uuid4()), "iat": now}
        payload |= hostile.fill(recipe.get("claims", {}), names)
        payload |= {
            name: now + delta for name, delta in recipe.get("times", {}).items()
        }
        for name in recipe.get("drop", []):
            del payload[name]
        header = hostile.fill(merged(JWT_HEADER, recipe.get("header", {})), names)
        key = recipe.get("key", secret)
        token = sign_raw(header, payload, key, recipe.get("sign", "HS256"))
    return damaged(token, hostile.fill(recipe, names))


def send(client: httpx.Client, route: str, headers: dict[str, str]) -> httpx.Response:
    method, path = route.split(" ", 1)
    # Raw bytes: a header may carry a non-ASCII credential, which httpx would not
    # encode from a str.
    raw = {name: value.encode() for name, value in headers.items()}
    return client.request(method, path, headers=raw)


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_token(
    target: Target, server: Server, subjects: dict[str, Subject], row: dict
) -> None:
    subject = subjects[row.get("subject", "admin")]
    names = {
        "admin_id": subjects["admin"].account.id,
        "user_id": subjects["user"].account.id,
    }
    token = credential(row.get("token", {}), subject, server.secret, names)
    credentials = names | {"token": token, "genuine": subject.account.token}
    headers = hostile.fill(row.get("headers", DEFAULT_HEADERS), credentials)
    before = snapshot.fingerprint(server)
    hostile.assert_meaningful(before)
    status = hostile.expected_status(row, target)
    # A connection of its own, so that no row reads an answer on a connection that
    # an earlier row's answer left broken.
    with http_client(server.base_url) as client:
        for route in row["routes"]:
            response = send(client, route, headers)
            hostile.assert_clean_answer(response, status, server.secret)
            if route == WHOAMI and response.is_success:
                assert response.json()["id"] == subject.account.id, response.text
    hostile.assert_healthy(server.base_url)
    if hostile.must_change_nothing(row, target):
        assert snapshot.fingerprint(server) == before
