"""GET/POST /api/v1/auths/admin/config: the auth settings an admin changes at runtime.

Upstream's settings carry many more keys (channels, notes, MFA, ...); these tests
check the ones that govern signup, sessions and API keys. A client posts back what it
read, with its changes, so every server must accept its own GET body as a POST body.
"""

from collections.abc import Callable

import httpx
import pytest

from . import messages, shapes, tokens
from .api import Account, signin
from .cookies import set_cookies

PATH = "/api/v1/auths/admin/config"
# The settings this slice owns, with their values on a server after its first signup.
DEFAULTS = {
    "SHOW_ADMIN_DETAILS": True,
    "ENABLE_LOGIN_FORM": True,
    "ENABLE_SIGNUP": False,
    "ENABLE_API_KEYS": True,
    "DEFAULT_USER_ROLE": "pending",
    "JWT_EXPIRES_IN": "4w",
}


def read(client: httpx.Client, admin: Account) -> dict:
    response = client.get(PATH, headers=admin.headers)
    assert response.status_code == 200
    return response.json()


def test_admin_config_defaults(client: httpx.Client, admin: Account) -> None:
    response = client.get(PATH, headers=admin.headers)
    assert response.headers["cache-control"] == "no-store"
    config = response.json()
    assert {key: config.get(key) for key in DEFAULTS} == DEFAULTS


@pytest.mark.kept_on_open_webui("/api/v1/auths/admin/config")
def test_admin_config_has_every_setting_of_the_admin_panel(
    client: httpx.Client, admin: Account
) -> None:
    """The admin panel shows what this returns and posts all of it back on save: a
    server that knows fewer settings shows fewer, and drops the rest on save."""
    assert set(read(client, admin)) == shapes.ADMIN_CONFIG


def test_admin_config_round_trip(
    client: httpx.Client, admin: Account, configure: Callable[..., dict]
) -> None:
    changes = {
        "SHOW_ADMIN_DETAILS": False,
        "ENABLE_SIGNUP": True,
        "ENABLE_API_KEYS": False,
        "DEFAULT_USER_ROLE": "user",
        "JWT_EXPIRES_IN": "1h",
    }
    answered = configure(**changes)
    assert {key: answered[key] for key in changes} == changes
    stored = read(client, admin)
    assert {key: stored[key] for key in changes} == changes
    assert client.get("/api/config").json()["features"]["enable_signup"] is True


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JWT_EXPIRES_IN", "forever"),
        ("JWT_EXPIRES_IN", "4 weeks"),
        ("DEFAULT_USER_ROLE", "superuser"),
    ],
)
def test_invalid_values_are_ignored(
    client: httpx.Client,
    admin: Account,
    configure: Callable[..., dict],
    key: str,
    value: str,
) -> None:
    """An invalid value keeps the old one; the rest of the post still applies."""
    answered = configure(**{key: value, "ENABLE_SIGNUP": True})
    assert answered[key] == DEFAULTS[key]
    assert answered["ENABLE_SIGNUP"] is True
    assert read(client, admin)[key] == DEFAULTS[key]


def test_token_lifetime_follows_jwt_expires_in(
    client: httpx.Client,
    admin: Account,
    user: Account,
    secret: str,
    configure: Callable[..., dict],
) -> None:
    configure(JWT_EXPIRES_IN="1h")
    response = signin(client, user.email, user.password)
    claims = tokens.claims(response.json()["token"], secret)
    assert abs(claims["exp"] - claims["iat"] - 3600) <= 1
    assert set_cookies(response)["token"].attributes["max-age"] == "3600"


def test_admin_details_follow_show_admin_details(
    client: httpx.Client,
    admin: Account,
    user: Account,
    configure: Callable[..., dict],
) -> None:
    shown = client.get("/api/v1/auths/admin/details", headers=user.headers)
    assert shown.status_code == 200
    assert shown.json() == {"name": admin.name, "email": admin.email}
    configure(SHOW_ADMIN_DETAILS=False)
    hidden = client.get("/api/v1/auths/admin/details", headers=user.headers)
    assert hidden.status_code == 400
    assert hidden.json() == {"detail": messages.ACTION_PROHIBITED}


def test_incomplete_admin_config_changes_nothing(
    client: httpx.Client, admin: Account
) -> None:
    before = read(client, admin)
    response = client.post(PATH, headers=admin.headers, json={"ENABLE_SIGNUP": True})
    assert response.status_code == 422
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}
    assert read(client, admin) == before


def test_only_admins_see_admin_config(
    client: httpx.Client, admin: Account, user: Account
) -> None:
    complete = read(client, admin) | {"ENABLE_SIGNUP": True}
    for response in (
        client.get(PATH, headers=user.headers),
        client.post(PATH, headers=user.headers, json=complete),
    ):
        assert response.status_code == 401
        assert response.json() == {"detail": messages.ACCESS_PROHIBITED}
    assert read(client, admin)["ENABLE_SIGNUP"] is False
