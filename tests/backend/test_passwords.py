"""Password hashing: both schemes, dispatch by prefix, and bcrypt's 72-byte rule."""

import pytest

from reference_backend.utils.auth import (
    hash_password,
    password_too_long,
    verify_password,
)

# Made once with the bcrypt and argon2-cffi packages Open WebUI uses (cheap costs,
# to keep the test fast); verifying reads the cost from the hash itself.
BCRYPT_HASH = "$2b$04$qCyf4BVs29m6mrSNILthaObIHFUnqXtDfEoLQw.AliRGyUjGo7c.u"
ARGON2_HASH = (
    "$argon2id$v=19$m=8,t=1,p=1$wurlRzbxtTRWUVsDBS+6NA$"
    "/ZrnZaHdLkH94VSI1TCBIWSYvw1roeQSJCTTP/Jz/Xo"
)


@pytest.mark.parametrize("hashed", [BCRYPT_HASH, ARGON2_HASH], ids=["bcrypt", "argon2"])
def test_existing_hashes_verify_by_their_prefix(hashed):
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong horse", hashed)


@pytest.mark.parametrize("algorithm", ["bcrypt", "argon2"])
def test_new_hashes_use_the_configured_scheme(algorithm):
    hashed = hash_password("s3cret", algorithm)
    assert hashed.startswith("$2b$12$" if algorithm == "bcrypt" else "$argon2id$")
    assert verify_password("s3cret", hashed)


def test_bcrypt_refuses_long_new_passwords_but_verifies_the_first_72_bytes():
    long_password = "é" * 37  # 74 bytes in UTF-8
    assert password_too_long(long_password, "bcrypt")
    assert not password_too_long(long_password, "argon2")
    assert not password_too_long("é" * 36, "bcrypt")
    # A hash of the first 72 bytes accepts any password that starts with them.
    hashed = hash_password("x" * 72, "bcrypt")
    assert verify_password("x" * 72 + "anything", hashed)


@pytest.mark.parametrize("hashed", [None, "", "not-a-hash", "$argon2id$broken"])
def test_missing_or_malformed_hashes_never_verify(hashed):
    assert not verify_password("anything", hashed)
