"""/api/v1/users: the admin's view of accounts, and the first admin's protections."""

import uuid
from collections.abc import Callable

import httpx
import pytest

from . import messages, shapes
from .api import Account, add_user, new_chat, signin

PAGE_SIZE = 30


def list_users(client: httpx.Client, admin: Account, **params: object) -> dict:
    response = client.get("/api/v1/users/", headers=admin.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_user_list_shape(client: httpx.Client, admin: Account, user: Account) -> None:
    body = list_users(client, admin, query=user.email)
    assert set(body) == {"users", "total"}
    assert body["total"] == 1
    [listed] = body["users"]
    assert set(listed) == shapes.USER_LIST_ITEM
    assert listed["id"] == user.id
    assert listed["email"] == user.email
    assert listed["role"] == "user"
    assert listed["profile_image_url"] == "/user.png"
    assert listed["group_ids"] == []
    assert listed["settings"] is None
    for stamp in ("last_active_at", "updated_at", "created_at"):
        assert isinstance(listed[stamp], int)


def test_query_matches_name_and_email_in_any_case(
    client: httpx.Client, admin: Account, make_user: Callable[..., Account]
) -> None:
    label = f"q{uuid.uuid4().hex[:8]}"
    members = [make_user(label=label) for _ in range(2)]
    by_email = list_users(client, admin, query=label.upper())
    assert by_email["total"] == 2
    assert {item["id"] for item in by_email["users"]} == {m.id for m in members}
    # Names are "<Label> <hex>"; a query on the name alone finds one user.
    by_name = list_users(client, admin, query=members[0].name.lower())
    assert [item["id"] for item in by_name["users"]] == [members[0].id]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_order_by_email(
    client: httpx.Client,
    admin: Account,
    make_user: Callable[..., Account],
    direction: str,
) -> None:
    label = f"o{uuid.uuid4().hex[:8]}"
    emails = sorted(make_user(label=label).email for _ in range(3))
    body = list_users(client, admin, query=label, order_by="email", direction=direction)
    listed = [item["email"] for item in body["users"]]
    assert listed == (emails if direction == "asc" else emails[::-1])


def test_pages_hold_thirty_users(client: httpx.Client, admin: Account) -> None:
    total = list_users(client, admin)["total"]
    for _ in range(PAGE_SIZE + 1 - total):
        add_user(client, admin, label="filler")
    total = max(total, PAGE_SIZE + 1)
    ordered = {"order_by": "email", "direction": "asc"}
    first = list_users(client, admin, page=1, **ordered)
    second = list_users(client, admin, page=2, **ordered)
    assert first["total"] == second["total"] == total
    assert len(first["users"]) == PAGE_SIZE
    assert len(second["users"]) == min(total - PAGE_SIZE, PAGE_SIZE)
    emails = [item["email"] for item in first["users"] + second["users"]]
    assert emails == sorted(set(emails))


def test_get_user_by_id(client: httpx.Client, admin: Account, user: Account) -> None:
    response = client.get(f"/api/v1/users/{user.id}", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.USER_DETAIL
    assert body["id"] == user.id
    assert body["groups"] == []
    assert isinstance(body["is_active"], bool)


def test_get_unknown_user(client: httpx.Client, admin: Account) -> None:
    response = client.get(f"/api/v1/users/{uuid.uuid4()}", headers=admin.headers)
    assert response.status_code == 400
    assert response.json() == {"detail": messages.NOT_FOUND}


def update_user(
    client: httpx.Client, caller: Account, subject_id: str, **fields: object
) -> httpx.Response:
    return client.post(
        f"/api/v1/users/{subject_id}/update", headers=caller.headers, json=fields
    )


def test_update_user(client: httpx.Client, admin: Account, user: Account) -> None:
    email = f"moved-{user.email}".upper()
    response = update_user(
        client, admin, user.id, role="admin", name="Promoted", email=email
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.USER
    assert (body["role"], body["name"], body["email"]) == (
        "admin",
        "Promoted",
        email.lower(),
    )
    # The user signs in with the new address, and its session now sees admin routes.
    assert signin(client, email.lower(), user.password).status_code == 200
    assert client.get("/api/v1/users/", headers=user.headers).status_code == 200


def test_update_user_password_ends_its_sessions(
    client: httpx.Client, admin: Account, user: Account
) -> None:
    assert (
        update_user(client, admin, user.id, password="set-by-admin").status_code == 200
    )
    stale = client.get("/api/v1/auths/", headers=user.headers)
    assert stale.status_code == 401
    assert stale.json() == {"detail": messages.INVALID_TOKEN}
    assert signin(client, user.email, "set-by-admin").status_code == 200


def test_update_user_rejects_a_taken_email(
    client: httpx.Client, admin: Account, make_user: Callable[..., Account]
) -> None:
    first, second = make_user(), make_user()
    response = update_user(client, admin, second.id, email=first.email.upper())
    assert response.status_code == 400
    assert response.json() == {"detail": messages.EMAIL_TAKEN}
    assert signin(client, second.email, second.password).status_code == 200


def test_update_unknown_user(client: httpx.Client, admin: Account) -> None:
    response = update_user(client, admin, str(uuid.uuid4()), role="user")
    assert response.status_code == 400
    assert response.json() == {"detail": messages.NOT_FOUND}


def test_first_admin_is_protected_from_other_admins(
    client: httpx.Client, admin: Account, make_user: Callable[..., Account]
) -> None:
    other_admin = make_user(role="admin")
    for response in (
        update_user(client, other_admin, admin.id, name="Usurped"),
        client.delete(f"/api/v1/users/{admin.id}", headers=other_admin.headers),
        client.post(
            f"/api/v1/users/{admin.id}/sessions/revoke", headers=other_admin.headers
        ),
    ):
        assert response.status_code == 403
        assert response.json() == {"detail": messages.ACTION_PROHIBITED}
    assert client.get("/api/v1/auths/", headers=admin.headers).json()["name"] == (
        admin.name
    )


def test_first_admin_cannot_demote_itself(client: httpx.Client, admin: Account):
    response = update_user(client, admin, admin.id, role="user")
    assert response.status_code == 403
    assert response.json() == {"detail": messages.ACTION_PROHIBITED}
    unchanged = update_user(client, admin, admin.id)
    assert unchanged.status_code == 200
    assert unchanged.json()["role"] == "admin"


def test_delete_user(client: httpx.Client, admin: Account, user: Account) -> None:
    chat_path = f"/api/v1/chats/{new_chat(client, user)['id']}"
    assert client.get(chat_path, headers=admin.headers).status_code == 200
    response = client.delete(f"/api/v1/users/{user.id}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() is True
    assert list_users(client, admin, query=user.email)["total"] == 0
    assert signin(client, user.email, user.password).status_code == 400
    orphaned = client.get("/api/v1/auths/", headers=user.headers)
    assert orphaned.status_code == 401
    assert orphaned.json() == {"detail": messages.INVALID_AUTH_REQUEST}
    # The user's chats go with it.
    assert client.get(chat_path, headers=admin.headers).status_code == 401


def test_delete_unknown_user_answers_true(client: httpx.Client, admin: Account) -> None:
    """Upstream reports success for an id that never existed."""
    response = client.delete(f"/api/v1/users/{uuid.uuid4()}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() is True


def test_admins_cannot_delete_themselves(
    client: httpx.Client, admin: Account, make_user: Callable[..., Account]
) -> None:
    for caller in (admin, make_user(role="admin")):
        response = client.delete(f"/api/v1/users/{caller.id}", headers=caller.headers)
        assert response.status_code == 403
        assert response.json() == {"detail": messages.ACTION_PROHIBITED}
        assert client.get("/api/v1/auths/", headers=caller.headers).status_code == 200


def test_revoke_sessions(client: httpx.Client, admin: Account, user: Account) -> None:
    response = client.post(
        f"/api/v1/users/{user.id}/sessions/revoke", headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json() is True
    revoked = client.get("/api/v1/auths/", headers=user.headers)
    assert revoked.status_code == 401
    assert revoked.json() == {"detail": messages.INVALID_TOKEN}
    assert signin(client, user.email, user.password).status_code == 200


def test_revoke_sessions_of_unknown_user(client: httpx.Client, admin: Account):
    response = client.post(
        f"/api/v1/users/{uuid.uuid4()}/sessions/revoke", headers=admin.headers
    )
    assert response.status_code == 404
    assert response.json() == {"detail": messages.USER_NOT_FOUND_FOR_REVOKE}
