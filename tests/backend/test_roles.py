"""`WEBUI_AUTH_STRICT_ROLES`: an admin may set only upstream's three roles."""

import pytest

from reference_backend.constants import ACTION_PROHIBITED, INVALID_ROLE

from .conftest import account, auth

FORM = {"name": "N", "email": "new@example.com", "password": "pw"}


def add(client, admin: dict, role):
    form = FORM | {"role": role}
    return client.post("/api/v1/auths/add", headers=auth(admin), json=form)


def update(client, admin: dict, user: dict, **changes):
    path = f"/api/v1/users/{user['id']}/update"
    return client.post(path, headers=auth(admin), json=changes)


def test_by_default_any_role_is_stored_as_upstream_does(client):
    admin = account(client, "admin")
    assert add(client, admin, "superadmin").json()["role"] == "superadmin"
    user = account(client, "user", admin)
    assert update(client, admin, user, role="owner").json()["role"] == "owner"


@pytest.mark.parametrize("role", ["superadmin", "Admin", ""])
def test_strict_refuses_another_role_before_writing(client, client_with, role):
    admin = account(client, "admin")
    strict = client_with(strict_roles=True)
    user = account(strict, "user", admin)
    for refused in (add(strict, admin, role), update(strict, admin, user, role=role)):
        assert (refused.status_code, refused.json()) == (400, {"detail": INVALID_ROLE})
    listed = strict.get("/api/v1/users/", headers=auth(admin)).json()["users"]
    assert {user["email"]: user["role"] for user in listed} == {
        "admin@example.com": "admin",
        "user@example.com": "user",
    }


@pytest.mark.parametrize("role", ["pending", "user", "admin"])
def test_strict_stores_upstreams_roles(client, client_with, role):
    admin = account(client, "admin")
    strict = client_with(strict_roles=True)
    assert add(strict, admin, role).json()["role"] == role
    user = account(strict, "user", admin)
    assert update(strict, admin, user, role=role).json()["role"] == role


def test_strict_leaves_an_update_without_a_role_alone(client, client_with):
    admin = account(client, "admin")
    strict = client_with(strict_roles=True)
    user = account(strict, "user", admin)
    updated = update(strict, admin, user, name="Renamed")
    assert (updated.json()["name"], updated.json()["role"]) == ("Renamed", "user")


def test_strict_checks_the_role_first(client, client_with):
    """Before the first account's protection, which would answer 403."""
    admin = account(client, "admin")
    protected = update(client, admin, admin, role="superadmin")
    assert (protected.status_code, protected.json()["detail"]) == (
        403,
        ACTION_PROHIBITED,
    )
    strict = client_with(strict_roles=True)
    refused = update(strict, admin, admin, role="superadmin")
    assert (refused.status_code, refused.json()["detail"]) == (400, INVALID_ROLE)
