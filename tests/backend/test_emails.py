"""`WEBUI_AUTH_STRICT_EMAILS`: emails trimmed before they are stored or looked up,
and longer than RFC 5321 allows refused where one is stored."""

import pytest
from fastapi import HTTPException

from reference_backend.constants import EMAIL_TAKEN, INVALID_CRED, INVALID_EMAIL_FORMAT
from reference_backend.models import config
from reference_backend.utils.validate import email_to_store, normalize_email

from .conftest import account, auth

# 254 characters, RFC 5321's limit, and one more.
LONGEST = "a" * 242 + "@example.com"
TOO_LONG = "a" + LONGEST


def test_by_default_an_email_is_only_lower_cased():
    assert normalize_email(" Ada@Example.com\n") == " ada@example.com\n"
    assert email_to_store(TOO_LONG) == TOO_LONG


def test_strict_trims_unicode_whitespace_then_lower_cases():
    padded = "\u00a0 Ada@Example.com\u2003\t"
    assert normalize_email(padded, strict=True) == "ada@example.com"
    assert email_to_store(padded, strict=True) == "ada@example.com"


def test_strict_counts_characters_not_bytes():
    assert email_to_store(LONGEST, strict=True) == LONGEST
    accented = "é" * 242 + "@example.com"
    assert email_to_store(accented, strict=True) == accented
    with pytest.raises(HTTPException) as refused:
        email_to_store(TOO_LONG, strict=True)
    assert (refused.value.status_code, refused.value.detail) == (
        400,
        INVALID_EMAIL_FORMAT,
    )


def signup(client, email: str):
    return client.post(
        "/api/v1/auths/signup", json={"name": "N", "email": email, "password": "pw"}
    )


def signin(client, email: str):
    return client.post("/api/v1/auths/signin", json={"email": email, "password": "pw"})


def test_by_default_padding_makes_another_account(client, db):
    account(client, "admin")
    config.upsert(db, {"ui.enable_signup": True})
    refused = signin(client, " admin@example.com ")
    assert (refused.status_code, refused.json()["detail"]) == (400, INVALID_CRED)
    assert (
        signup(client, " admin@example.com ").json()["email"] == " admin@example.com "
    )


def test_strict_padding_finds_the_same_account(client, client_with, db):
    account(client, "admin")
    config.upsert(db, {"ui.enable_signup": True})
    strict = client_with(strict_emails=True)
    taken = signup(strict, "  Admin@example.com ")
    assert (taken.status_code, taken.json()["detail"]) == (400, EMAIL_TAKEN)
    assert signin(strict, "\tadmin@example.com ").status_code == 200
    assert signup(strict, " user@example.com ").json()["email"] == "user@example.com"


def test_strict_refuses_storing_a_too_long_email_on_every_route(
    client, client_with, db
):
    admin = account(client, "admin")
    config.upsert(db, {"ui.enable_signup": True})
    strict = client_with(strict_emails=True)
    form = {"name": "N", "email": TOO_LONG, "password": "pw"}
    added = strict.post("/api/v1/auths/add", headers=auth(admin), json=form)
    user = account(strict, "user", admin)
    updated = strict.post(
        f"/api/v1/users/{user['id']}/update", headers=auth(admin), json=form
    )
    for refused in (signup(strict, TOO_LONG), added, updated):
        assert (refused.status_code, refused.json()) == (
            400,
            {"detail": INVALID_EMAIL_FORMAT},
        )
    listed = strict.get("/api/v1/users/", headers=auth(admin)).json()["users"]
    assert sorted(user["email"] for user in listed) == [
        "admin@example.com",
        "user@example.com",
    ]
    answered = signin(strict, TOO_LONG)
    assert (answered.status_code, answered.json()["detail"]) == (400, INVALID_CRED)


def test_by_default_a_long_email_is_stored(client):
    admin = account(client, "admin")
    form = {"name": "N", "email": TOO_LONG, "password": "pw"}
    added = client.post("/api/v1/auths/add", headers=auth(admin), json=form)
    assert added.json()["email"] == TOO_LONG


def test_strict_update_stores_the_trimmed_email(client, client_with):
    admin = account(client, "admin")
    strict = client_with(strict_emails=True)
    user = account(strict, "user", admin)
    updated = strict.post(
        f"/api/v1/users/{user['id']}/update",
        headers=auth(admin),
        json={"email": " New@Example.com\n"},
    )
    assert updated.json()["email"] == "new@example.com"
    assert signin(strict, "new@example.com").status_code == 200
