"""Session tokens: upstream's claims, HS256, optional expiry, and what rejects them."""

import time
from datetime import timedelta

import jwt
import pytest

from reference_backend.models import config
from reference_backend.utils.auth import (
    create_token,
    decode_token,
    revoked_key,
    token_lifetime,
)

from .conftest import SECRET, account, auth

CLAIMS = {"id": "user-1", "typ": "session", "session_stamp": "stamp-1"}


def test_token_carries_claims_jti_and_iat_and_exp():
    token = create_token(CLAIMS, SECRET, timedelta(weeks=4))
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = decode_token(token, SECRET)
    assert claims.keys() == {*CLAIMS, "jti", "iat", "exp"}
    assert claims["exp"] - claims["iat"] == 4 * 7 * 24 * 3600


def test_no_expiry_means_no_exp_claim():
    claims = decode_token(create_token(CLAIMS, SECRET, None), SECRET)
    assert "exp" not in claims


def test_each_token_has_its_own_jti():
    first, second = (create_token(CLAIMS, SECRET, None) for _ in range(2))
    assert decode_token(first, SECRET)["jti"] != decode_token(second, SECRET)["jti"]


@pytest.mark.parametrize(
    "token",
    [
        create_token(CLAIMS, "another-secret-0123456789abcdef0123", None),
        create_token(CLAIMS, SECRET, timedelta(seconds=-1)),
        jwt.encode(CLAIMS, SECRET, algorithm="HS512"),
        "not.a.token",
    ],
    ids=["wrong-secret", "expired", "other-algorithm", "garbage"],
)
def test_decode_rejects(token):
    assert decode_token(token, SECRET) is None


def test_revocation_key_has_upstreams_format():
    assert revoked_key("open-webui", "abc") == "open-webui:auth:token:abc:revoked"


# --8<-- [start:claim-types]
@pytest.mark.parametrize(
    "claims",
    [
        {**CLAIMS, "id": {"id": "user-1"}},
        {**CLAIMS, "id": ["user-1"]},
        {**CLAIMS, "id": 1},
        {**CLAIMS, "id": None},
        {**CLAIMS, "id": True},
        {**CLAIMS, "id": "user\x00-1"},
        {"typ": "session", "session_stamp": "stamp-1"},
        {**CLAIMS, "typ": None},
        {**CLAIMS, "session_stamp": 1},
        {**CLAIMS, "iat": "now"},
        {**CLAIMS, "exp": 2**63},
        {**CLAIMS, "iat": -(2**63) - 1},
    ],
    ids=[
        "id-object",
        "id-list",
        "id-number",
        "id-null",
        "id-bool",
        "id-with-nul",
        "no-id",
        "typ-null",
        "stamp-number",
        "iat-text",
        "exp-past-i64",
        "iat-past-i64",
    ],
)
def test_decode_rejects_claims_of_the_wrong_type(claims):
    """Signed with the right key, yet refused: the Rust twin cannot read them."""
    assert decode_token(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET) is None


# --8<-- [end:claim-types]


def test_requiring_an_expiry_refuses_a_token_without_one():
    endless = create_token(CLAIMS, SECRET, None)
    assert decode_token(endless, SECRET, require_expiry=True) is None
    null = jwt.encode({**CLAIMS, "exp": None}, SECRET, algorithm="HS256")
    assert decode_token(null, SECRET, require_expiry=True) is None
    month = create_token(CLAIMS, SECRET, timedelta(weeks=4))
    assert decode_token(month, SECRET, require_expiry=True) is not None


@pytest.mark.parametrize("stored", ["-1", "0", "0s"])
def test_requiring_an_expiry_mints_never_expiring_lifetimes_for_four_weeks(db, stored):
    config.upsert(db, {"auth.jwt_expiry": stored})
    assert not token_lifetime(db)
    assert token_lifetime(db, require_expiry=True) == timedelta(weeks=4)


def test_requiring_an_expiry_keeps_a_lifetime_that_has_one(db):
    config.upsert(db, {"auth.jwt_expiry": "1h"})
    assert token_lifetime(db, require_expiry=True) == timedelta(hours=1)


def test_with_the_option_a_token_without_expiry_is_refused_on_every_route(
    client, client_with, db
):
    config.upsert(db, {"auth.jwt_expiry": "-1"})
    admin = account(client, "admin")
    assert "exp" not in decode_token(admin["token"], SECRET)
    assert client.get("/api/v1/auths/", headers=auth(admin)).status_code == 200
    strict = client_with(require_token_expiry=True)
    refused = strict.get("/api/v1/auths/", headers=auth(admin))
    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": "401 Unauthorized"},
    )
    visitor = strict.get("/api/config").json()
    assert strict.get("/api/config", headers=auth(admin)).json() == visitor


def test_with_the_option_sign_in_mints_four_weeks_where_the_row_says_never(
    client, client_with, db
):
    account(client, "admin")
    config.upsert(db, {"auth.jwt_expiry": "-1"})
    strict = client_with(require_token_expiry=True)
    form = {"email": "admin@example.com", "password": "pw"}
    response = strict.post("/api/v1/auths/signin", json=form)
    four_weeks = 4 * 7 * 24 * 3600
    claims = decode_token(response.json()["token"], SECRET, require_expiry=True)
    assert claims["exp"] - claims["iat"] == four_weeks
    assert f"Max-Age={four_weeks}" in response.headers["set-cookie"]
    assert abs(response.json()["expires_at"] - (time.time() + four_weeks)) < 5
    assert strict.get("/api/v1/auths/", headers=auth(response.json())).is_success


def basic(user: dict) -> dict:
    """The token under another scheme, as upstream's middleware still reads it."""
    return {"Authorization": f"Basic {user['token']}"}


def test_by_default_a_token_under_any_scheme_is_read(client):
    admin = account(client, "admin")
    assert client.get("/api/v1/auths/", headers=basic(admin)).status_code == 200


def test_bearer_only_reads_no_token_under_another_scheme(client, client_with):
    admin = account(client, "admin")
    strict = client_with(bearer_only=True)
    refused = strict.get("/api/v1/auths/", headers=basic(admin))
    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": "Not authenticated"},
    )
    lower_case = {"Authorization": f"bearer {admin['token']}"}
    assert strict.get("/api/v1/auths/", headers=lower_case).status_code == 200
    strict.cookies.set("token", admin["token"])
    assert strict.get("/api/v1/auths/", headers=basic(admin)).status_code == 200
