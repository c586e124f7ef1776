"""Session JWTs: read with the run's secret, or forged with it to probe validation."""

import base64
import hmac
import json

import jwt

ALGORITHM = "HS256"
# Every claim a password sign-in puts into a session token.
SESSION_CLAIMS = {
    "id",
    "typ",
    "auth_method",
    "auth_time",
    "session_stamp",
    "mfa_verified",
    "exp",
    "jti",
    "iat",
}
FOUR_WEEKS = 28 * 24 * 3600


def claims(token: str, secret: str) -> dict:
    """The verified claims; fails unless the token is HS256 and signed with `secret`."""
    assert jwt.get_unverified_header(token) == {"alg": ALGORITHM, "typ": "JWT"}
    return jwt.decode(token, secret, algorithms=[ALGORITHM])


def forge(payload: dict, secret: str) -> str:
    """A token the server would accept if only the signature were checked."""
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


# The HMAC algorithms a forged token may be signed with; "none" signs nothing.
HMAC_HASHES = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict) -> str:
    """A JSON segment of a token, written as-is: PyJWT would refuse odd headers."""
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def sign_raw(header: dict, payload: dict, key: str, algorithm: str) -> str:
    """A compact JWT with exactly `header` and `payload`, signed by `algorithm`
    (an HMAC one, or "none" for an empty signature) whatever the header claims."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    if algorithm == "none":
        return f"{signing_input}."
    digest = hmac.new(key.encode(), signing_input.encode(), HMAC_HASHES[algorithm])
    return f"{signing_input}.{b64url(digest.digest())}"
