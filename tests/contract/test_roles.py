"""Role gates: pending users wait, users use, admins administer.

Upstream answers every role failure with 401 ACCESS_PROHIBITED, not 403; clients
treat both alike, and a compatible server keeps upstream's code.
"""

from collections.abc import Callable

import httpx

from . import messages
from .api import Account, body_of

# Verified-user routes: a pending account may not use any of them.
VERIFIED_ROUTES = [
    ("GET", "/api/v1/chats/"),
    ("POST", "/api/v1/chats/new"),
    ("GET", "/api/v1/users/user/settings"),
    ("GET", "/api/v1/models/list"),
    ("GET", "/api/models"),
]
# Admin routes: neither a pending account nor a user may use them.
ADMIN_ROUTES = [
    ("GET", "/api/v1/users/"),
    ("GET", "/api/v1/users/{id}"),
    ("POST", "/api/v1/users/{id}/update"),
    ("DELETE", "/api/v1/users/{id}"),
    ("POST", "/api/v1/users/{id}/sessions/revoke"),
    ("GET", "/api/v1/auths/admin/config"),
]
BODIES = {"/api/v1/chats/new": {"chat": {}}, "/api/v1/users/{id}/update": {}}
REFUSED = {"detail": messages.ACCESS_PROHIBITED}


def call(
    client: httpx.Client, caller: Account, method: str, route: str, subject: Account
) -> httpx.Response:
    return client.request(
        method,
        route.format(id=subject.id),
        headers=caller.headers,
        json=BODIES.get(route),
    )


def refusals(
    client: httpx.Client, caller: Account, routes: list, subject: Account
) -> list[str]:
    """Each route that does not refuse `caller` as upstream does, with its answer.

    One test walks all routes with one caller: a user per route would cost a bcrypt
    hash each, and the list of misfits reads as well as separate failures would."""
    misfits = []
    for method, route in routes:
        response = call(client, caller, method, route, subject)
        if (response.status_code, body_of(response)) != (401, REFUSED):
            misfits.append(f"{method} {route}: {response.status_code} {response.text}")
    return misfits


def test_pending_user_is_refused(
    client: httpx.Client, make_user: Callable[..., Account]
) -> None:
    pending = make_user(role="pending")
    assert refusals(client, pending, VERIFIED_ROUTES + ADMIN_ROUTES, pending) == []


def test_user_is_refused_admin_routes(
    client: httpx.Client, make_user: Callable[..., Account], user: Account
) -> None:
    other = make_user()
    assert refusals(client, user, ADMIN_ROUTES, other) == []
    # The subject is untouched: still there, still a user, its session still valid.
    assert client.get("/api/v1/auths/", headers=other.headers).json()["role"] == "user"


def test_approval_opens_the_app(
    client: httpx.Client, admin: Account, make_user: Callable[..., Account]
) -> None:
    """The admin panel approves a pending user by setting its role; the user's
    existing session then works everywhere a user may go."""
    pending = make_user(role="pending")
    response = client.post(
        f"/api/v1/users/{pending.id}/update",
        headers=admin.headers,
        json={"role": "user"},
    )
    assert response.status_code == 200
    assert response.json()["role"] == "user"
    chats = client.get("/api/v1/chats/", headers=pending.headers)
    assert chats.status_code == 200
    assert chats.json() == []
