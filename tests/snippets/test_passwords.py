"""The backend's password hashing against the vectors its Rust twin is tested with."""

import json
from pathlib import Path

import pytest

import make_vectors
from reference_backend.utils.auth import (
    hash_password,
    password_too_long,
    verify_password,
)

VECTORS = json.loads(
    (Path(__file__).parents[2] / "snippets/vectors/passwords.json").read_text()
)


def hash_id(case: dict) -> str:
    return f"{case['made_by']}-{case['variant']}-{len(case['password'].encode())}B"


def test_hashes_come_from_both_twins():
    assert {hashed["made_by"] for hashed in VECTORS["hashes"]} == {"python", "rust"}


@pytest.mark.parametrize("case", VECTORS["hashes"], ids=hash_id)
def test_hashes_made_by_either_side_verify_the_same_passwords(case):
    for password in case["verifies"]:
        assert verify_password(password, case["hash"]), password
    for password in case["rejects"]:
        assert not verify_password(password, case["hash"]), password


@pytest.mark.parametrize(
    "case",
    VECTORS["new_passwords"],
    ids=lambda case: f"{case['algorithm']}-{len(case['password'].encode())}B",
)
def test_only_bcrypt_refuses_new_passwords_over_72_bytes(case):
    assert password_too_long(case["password"], case["algorithm"]) == case["too_long"]


@pytest.mark.parametrize("hashed", VECTORS["malformed"])
def test_missing_or_malformed_hashes_never_verify(hashed):
    assert not verify_password("anything", hashed)


@pytest.mark.parametrize("algorithm", ["bcrypt", "argon2"])
def test_by_default_new_hashes_cost_what_upstreams_do(algorithm):
    hashed = hash_password("s3cret", algorithm)
    assert hashed.startswith(VECTORS["upstream_prefixes"][algorithm])
    assert verify_password("s3cret", hashed)


def test_the_generator_makes_what_is_committed():
    """Fresh hashes differ by their salt only: same passwords, schemes and costs."""

    def stable(case: dict) -> tuple:
        prefix = make_vectors.cost_prefix(case["hash"])
        return (prefix, case["password"], case["verifies"], case["rejects"])

    fresh = make_vectors.hash_passwords()
    committed = [c for c in VECTORS["hashes"] if c["made_by"] == "python"]
    assert [stable(c) for c in fresh] == [stable(c) for c in committed]
    for case in fresh:
        assert verify_password(case["password"], case["hash"])
