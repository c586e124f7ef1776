"""Session tokens: upstream's claims, HS256, optional expiry, and what rejects them."""

from datetime import timedelta

import jwt
import pytest

from reference_backend.utils.auth import create_token, decode_token, revoked_key

from .conftest import SECRET

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
    ],
)
def test_decode_rejects_claims_of_the_wrong_type(claims):
    """Signed with the right key, yet refused: the Rust twin cannot read them."""
    assert decode_token(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET) is None


# --8<-- [end:claim-types]
