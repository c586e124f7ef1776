"""POST /api/v1/auths/signup once users exist: gated by the admin, then validated.

The first signup of an empty server (it becomes the admin) is in test_first_run.py.
"""

from collections.abc import Callable

import httpx
import pytest

from . import messages, shapes
from .api import Account, signin, signup, unique_email
from .cookies import set_cookies
from .targets import Target


def user_count(client: httpx.Client, admin: Account, email: str) -> int:
    response = client.get(
        "/api/v1/users/", headers=admin.headers, params={"query": email}
    )
    return response.json()["total"]


def test_signup_is_closed_after_the_first_user(
    client: httpx.Client, admin: Account
) -> None:
    email = unique_email("late")
    response = signup(client, email, "password-1")
    assert response.status_code == 403
    assert response.json() == {"detail": messages.ACCESS_PROHIBITED}
    assert response.headers["cache-control"] == "no-store"
    assert user_count(client, admin, email) == 0


def test_open_signup_creates_a_pending_user(
    client: httpx.Client, admin: Account, configure: Callable[..., dict]
) -> None:
    configure(ENABLE_SIGNUP=True)
    email = unique_email("Joiner")
    response = signup(client, email, "password-1", name="Joiner")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.SESSION
    assert body["email"] == email.lower()
    assert body["name"] == "Joiner"
    # DEFAULT_USER_ROLE is "pending": an admin must approve newcomers.
    assert body["role"] == "pending"
    assert body["profile_image_url"] == f"/api/v1/users/{body['id']}/profile/image"
    assert set_cookies(response)["token"].value == body["token"]
    assert signin(client, email, "password-1").json()["id"] == body["id"]


def test_signup_follows_the_default_role(
    client: httpx.Client, configure: Callable[..., dict]
) -> None:
    configure(ENABLE_SIGNUP=True, DEFAULT_USER_ROLE="user")
    response = signup(client, unique_email("member"), "password-1")
    assert response.json()["role"] == "user"


def test_signup_needs_the_login_form(
    client: httpx.Client, admin: Account, configure: Callable[..., dict]
) -> None:
    """Without the login form nobody can sign up, even with signup enabled."""
    configure(ENABLE_SIGNUP=True, ENABLE_LOGIN_FORM=False)
    email = unique_email("formless")
    response = signup(client, email, "password-1")
    assert response.status_code == 403
    assert response.json() == {"detail": messages.ACCESS_PROHIBITED}
    assert user_count(client, admin, email) == 0


@pytest.mark.parametrize(
    "email", ["not-an-email", "someone@example", "two@@example.com", "@example.com"]
)
def test_signup_rejects_an_invalid_email(
    client: httpx.Client, admin: Account, configure: Callable[..., dict], email: str
) -> None:
    configure(ENABLE_SIGNUP=True)
    response = signup(client, email, "password-1")
    assert response.status_code == 400
    assert response.json() == {"detail": messages.INVALID_EMAIL_FORMAT}


def test_signup_accepts_a_localhost_email(
    client: httpx.Client, configure: Callable[..., dict]
) -> None:
    """Addresses at localhost pass, for installs without a mail domain."""
    configure(ENABLE_SIGNUP=True)
    email = unique_email("local").replace("@example.com", "@localhost")
    response = signup(client, email, "password-1")
    assert response.status_code == 200
    assert response.json()["email"] == email


def test_signup_rejects_a_taken_email_in_any_case(
    client: httpx.Client, user: Account, configure: Callable[..., dict]
) -> None:
    configure(ENABLE_SIGNUP=True)
    response = signup(client, user.email.upper(), "password-1")
    assert response.status_code == 400
    assert response.json() == {"detail": messages.EMAIL_TAKEN}
    # The existing account is untouched: its password still works.
    assert signin(client, user.email, user.password).status_code == 200


def test_signup_limits_passwords_to_72_bytes(
    client: httpx.Client,
    admin: Account,
    configure: Callable[..., dict],
    target: Target,
) -> None:
    """bcrypt reads 72 bytes: 37 'é' are 74 bytes, though only 37 characters. argon2,
    which a `+hardened` twin hashes with, has no such limit."""
    configure(ENABLE_SIGNUP=True)
    rejected = unique_email("long")
    response = signup(client, rejected, "é" * 37)
    if target.hardened:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 400
    assert response.json() == {"detail": messages.PASSWORD_TOO_LONG}
    assert user_count(client, admin, rejected) == 0
    accepted = signup(client, unique_email("edge"), "x" * 72)
    assert accepted.status_code == 200


def test_signup_requires_every_field(
    client: httpx.Client, configure: Callable[..., dict]
) -> None:
    configure(ENABLE_SIGNUP=True)
    response = client.post(
        "/api/v1/auths/signup", json={"name": "No Password", "email": unique_email()}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}
