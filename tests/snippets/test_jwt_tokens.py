"""The backend's session tokens against the vectors its Rust twin is tested with."""

import json
from pathlib import Path

import pytest
from fastapi import HTTPException

import make_vectors
from reference_backend.internal.db import create_tables, make_engine, session_factory
from reference_backend.models.auths import Auth
from reference_backend.utils.auth import (
    create_token,
    decode_token,
    is_valid_token,
    revoked_key,
    revoked_user_key,
)
from reference_backend.utils.durations import parse_duration

VECTORS = json.loads(
    (Path(__file__).parents[2] / "snippets/vectors/jwt_tokens.json").read_text()
)
SECRET = VECTORS["secret"]
PREFIX = "open-webui"
CLAIMS = {"id": "user-1", "typ": "session", "session_stamp": "stamp-1"}


def test_tokens_come_from_both_twins():
    assert {token["minted_by"] for token in VECTORS["accepted"]} == {"python", "rust"}


@pytest.mark.parametrize(
    "case", VECTORS["accepted"], ids=lambda case: case["minted_by"]
)
def test_tokens_minted_by_either_side_decode_to_their_claims(case):
    assert decode_token(case["token"], SECRET) == case["claims"]


@pytest.mark.parametrize("case", VECTORS["rejected"], ids=lambda case: case["name"])
def test_expired_forged_and_other_algorithm_tokens_are_refused(case):
    assert decode_token(case["token"], SECRET) is None


class Revocations:
    """What Redis would hold: the keys upstream writes on a sign-out."""

    def __init__(self, claims: dict, revoked: dict):
        self.keys = {revoked_key(PREFIX, jti): "1" for jti in revoked["tokens"]}
        if revoked["user_revoked_at"] is not None:
            user_key = revoked_user_key(PREFIX, claims["id"])
            self.keys[user_key] = str(revoked["user_revoked_at"])

    def get(self, key: str) -> str | None:
        return self.keys.get(key)


@pytest.fixture
def db(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'webui.db'}")
    create_tables(engine)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize("case", VECTORS["validity"], ids=lambda case: case["name"])
def test_the_stamp_the_type_and_revocations_decide_validity(db, case):
    if case["auth"] is not None:
        db.add(Auth(**case["auth"]))
        db.commit()
    revoked = case["revocations"]
    redis = None if revoked is None else Revocations(case["claims"], revoked)
    try:
        valid = is_valid_token(db, case["claims"], redis, PREFIX)
    except HTTPException as error:
        outcome = "unauthenticated" if error.status_code == 401 else repr(error)
    else:
        outcome = "valid" if valid else "invalid"
    assert outcome == case["expected"]


def test_a_zero_span_means_no_expiry_and_a_negative_one_an_expired_token():
    def mint(span: str) -> str:
        return create_token(CLAIMS, SECRET, parse_duration(span))

    assert "exp" not in decode_token(mint("0s"), SECRET)
    assert decode_token(mint("-1h"), SECRET) is None
    month = decode_token(mint("4w"), SECRET)
    assert month["exp"] - month["iat"] == 28 * 24 * 3600


def test_an_expiry_past_year_9999_fails_as_upstream_does():
    with pytest.raises(OverflowError):
        create_token(CLAIMS, SECRET, parse_duration("999999999d"))


def test_the_generator_mints_what_is_committed():
    """Freshly minted tokens match the committed ones but for the clock and the jti."""
    volatile = {"auth_time", "iat", "jti", "exp"}

    def stable(claims: dict) -> dict:
        return {key: value for key, value in claims.items() if key not in volatile}

    fresh = make_vectors.mint_tokens()
    committed = [c for c in VECTORS["accepted"] if c["minted_by"] == "python"]
    assert [stable(c["claims"]) for c in fresh["accepted"]] == [
        stable(c["claims"]) for c in committed
    ]
    assert [c["claims"].get("exp") for c in committed] == [None, make_vectors.YEAR_2100]
    assert make_vectors.validity_cases() == VECTORS["validity"]
