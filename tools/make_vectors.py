"""Mint the shared vectors of the token and password patterns, from both twins.

The Python side comes from the backend's own functions, or from the libraries they
call at cheap costs; the Rust side from the `mint_vectors` test of each Rust module,
which writes what it made to `$RUST_VECTORS_OUT`. Each side's tests then check the
other's output. Run from the repository root, with the backend's dependencies::

    PYTHONPATH=examples/python-backend python tools/make_vectors.py
"""

import json
import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import bcrypt
import jwt
from argon2 import PasswordHasher, Type

from reference_backend.models.auths import Auth
from reference_backend.utils.auth import (
    create_token,
    decode_token,
    hash_password,
    session_claims,
)
from reference_backend.utils.durations import parse_duration

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "snippets/vectors"
COMMAND = "PYTHONPATH=examples/python-backend python tools/make_vectors.py"

# Long enough that PyJWT does not warn about a short HMAC key, even for HS512.
SECRET = "handbook-vectors-secret-" + "0123456789abcdef" * 4
OTHER_SECRET = "another-secret-entirely-" + "fedcba9876543210" * 4
# Committed tokens that expire do so on this date, so the tests do not rot.
YEAR_2100 = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())

# Cheap costs keep the tests fast; verifying reads the costs from the hash.
BCRYPT_ROUNDS = 4
ARGON2_COSTS = {"memory_cost": 8, "time_cost": 1, "parallelism": 1}
PASSWORD = "correct horse battery staple"
SEVENTY_TWO_BYTES = "é" * 36


def mint_tokens() -> dict:
    """Tokens from `create_token`, and tokens upstream must refuse."""
    user = SimpleNamespace(id="python-user")
    claims = session_claims(user, Auth(id=user.id, session_stamp="python-stamp"))
    until_2100 = parse_duration(f"{YEAR_2100 - int(time.time())}s")
    accepted = [
        create_token(claims, SECRET, parse_duration("-1")),
        create_token(claims, SECRET, until_2100),
    ]
    now = int(time.time())
    rejected = {
        "python: expired": create_token(claims, SECRET, parse_duration("-1h")),
        "python: another secret": create_token(claims, OTHER_SECRET, None),
        "python: HS512": jwt.encode({**claims, "iat": now}, SECRET, algorithm="HS512"),
        "python: alg none": jwt.encode(claims, None, algorithm="none"),
        "python: issued in the future": jwt.encode(
            {**claims, "iat": YEAR_2100}, SECRET, algorithm="HS256"
        ),
    }
    return {
        "accepted": [
            {
                "minted_by": "python",
                "token": token,
                "claims": decode_token(token, SECRET),
            }
            for token in accepted
        ],
        "rejected": [{"name": n, "token": t} for n, t in rejected.items()],
    }


def validity_cases() -> list[dict]:
    """Signed tokens that the stamp, the type or a revocation still turn away."""
    claims = {
        "id": "user-1",
        "typ": "session",
        "auth_method": "password",
        "auth_time": 1_700_000_000,
        "session_stamp": "stamp-1",
        "mfa_verified": False,
        "jti": "jti-1",
        "iat": 1_700_000_000,
    }
    untyped = {key: value for key, value in claims.items() if key != "typ"}
    auth = {"id": "user-1", "active": True, "session_stamp": "stamp-1"}
    nothing_revoked = {"tokens": [], "user_revoked_at": None}
    cases = [
        ("the stamp it was issued under", claims, auth, None, "valid"),
        ("a stamp rotated since", claims, {**auth, "session_stamp": "stamp-2"}, None),
        ("an automation token", {**claims, "typ": "automation"}, auth, None, "valid"),
        ("a type upstream refuses", {**claims, "typ": "refresh"}, auth, None),
        ("no type: a session", untyped, auth, None, "valid"),
        ("a deactivated account", claims, {**auth, "active": False}, None),
        ("no auth row", claims, None, None, "unauthenticated"),
        ("nothing revoked", claims, auth, nothing_revoked, "valid"),
        ("signed out", claims, auth, {**nothing_revoked, "tokens": ["jti-1"]}),
        (
            "issued before a revoke-all",
            claims,
            auth,
            {**nothing_revoked, "user_revoked_at": claims["iat"]},
        ),
        (
            "issued after a revoke-all",
            claims,
            auth,
            {**nothing_revoked, "user_revoked_at": claims["iat"] - 1},
            "valid",
        ),
    ]
    return [validity_case(*case) for case in cases]


def validity_case(name, claims, auth, revocations, expected=None) -> dict:
    if expected is None:
        expected = "invalid" if auth and auth["active"] else "unauthenticated"
    return {
        "name": name,
        "claims": claims,
        "auth": auth,
        "revocations": revocations,
        "expected": expected,
    }


def jwt_tokens() -> dict:
    minted = mint_tokens()
    return {
        "about": (
            "Session tokens minted by both twins of reference_backend/utils/auth.py "
            "(sections tokens, is-valid) and "
            "examples/rust-backend/src/utils/auth/tokens.rs, with the "
            "claims each decodes to; tokens both must refuse; and the checks besides "
            "the signature. Tokens that expire do so in 2100."
        ),
        "command": COMMAND,
        "secret": SECRET,
        "other_secret": OTHER_SECRET,
        **minted,
        "validity": validity_cases(),
    }


def stored_hash(variant: str, password: str, hashed: str, verifies, rejects) -> dict:
    return {
        "made_by": "python",
        "variant": variant,
        "password": password,
        "hash": hashed,
        "verifies": verifies,
        "rejects": rejects,
    }


def hash_passwords() -> list[dict]:
    """Hashes from the libraries the backend calls, each with what must (not) match."""

    def bcrypt_hash(password: str, prefix: bytes = b"2b") -> str:
        salt = bcrypt.gensalt(BCRYPT_ROUNDS, prefix=prefix)
        return bcrypt.hashpw(password.encode(), salt).decode()

    def argon2_hash(password: str, kind: Type = Type.ID) -> str:
        return PasswordHasher(**ARGON2_COSTS, type=kind).hash(password)

    wrong = ["Correct horse battery staple", ""]
    longer = SEVENTY_TWO_BYTES + " and more"
    # bcrypt reads 72 bytes: anything that starts with them matches.
    truncated = [SEVENTY_TWO_BYTES, SEVENTY_TWO_BYTES + "é", longer]
    shorter = ["é" * 35, "é" * 35 + "e"]
    return [
        stored_hash("2b", PASSWORD, bcrypt_hash(PASSWORD), [PASSWORD], wrong),
        stored_hash("2a", PASSWORD, bcrypt_hash(PASSWORD, b"2a"), [PASSWORD], wrong),
        stored_hash(
            "2b", SEVENTY_TWO_BYTES, bcrypt_hash(SEVENTY_TWO_BYTES), truncated, shorter
        ),
        stored_hash("argon2id", PASSWORD, argon2_hash(PASSWORD), [PASSWORD], wrong),
        stored_hash(
            "argon2i", PASSWORD, argon2_hash(PASSWORD, Type.I), [PASSWORD], wrong
        ),
        # argon2 reads every byte: no truncation.
        stored_hash(
            "argon2id", longer, argon2_hash(longer), [longer], [SEVENTY_TWO_BYTES]
        ),
    ]


def passwords() -> dict:
    new_passwords = [
        (SEVENTY_TWO_BYTES, "bcrypt", False),
        (SEVENTY_TWO_BYTES + "é", "bcrypt", True),
        ("x" * 72, "bcrypt", False),
        ("x" * 73, "bcrypt", True),
        (SEVENTY_TWO_BYTES + "é", "argon2", False),
    ]
    return {
        "about": (
            "Password hashes made by both twins of reference_backend/utils/auth.py "
            "(section passwords) and "
            "examples/rust-backend/src/utils/auth/passwords.rs at cheap costs, "
            "each with the passwords that must verify and those that must not; which "
            "new passwords bcrypt refuses; and hashes that never verify."
        ),
        "command": COMMAND,
        "upstream_prefixes": {
            algorithm: cost_prefix(hash_password(PASSWORD, algorithm))
            for algorithm in ("bcrypt", "argon2")
        },
        "new_passwords": [
            {"password": p, "algorithm": a, "too_long": t} for p, a, t in new_passwords
        ],
        "hashes": hash_passwords(),
        "malformed": [None, "", "not-a-hash", "$argon2id$broken", "$2b$04$short"],
    }


def cost_prefix(hashed: str) -> str:
    """The scheme and costs of a hash: everything before its salt."""
    fields = hashed.split("$")
    return "$".join(fields[: 4 if fields[1].startswith("argon2") else 3]) + "$"


def write(name: str, vectors: dict) -> None:
    path = VECTORS / f"{name}.json"
    text = json.dumps(vectors, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def rust_minted(module: str) -> dict:
    """Run the Rust module's `mint_vectors` test and return what it wrote."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / f"{module}.json"
        subprocess.run(
            [
                *("cargo", "test", "--quiet", "-p", "reference-backend", "--lib"),
                f"utils::auth::{module}::tests::mint_vectors",
                *("--", "--ignored", "--exact"),
            ],
            cwd=ROOT,
            env={**os.environ, "RUST_VECTORS_OUT": str(out)},
            check=True,
        )
        return json.loads(out.read_text(encoding="utf-8"))


def main() -> None:
    # The Rust tests read the Python half (the secret, the passwords) when they mint.
    twins = (
        ("jwt_tokens", "tokens", jwt_tokens()),
        ("passwords", "passwords", passwords()),
    )
    for name, rust_module, vectors in twins:
        write(name, vectors)
        for key, minted in rust_minted(rust_module).items():
            vectors[key] += minted
        write(name, vectors)


if __name__ == "__main__":
    main()
