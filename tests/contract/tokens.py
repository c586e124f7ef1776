"""Session JWTs: read with the run's secret, or forged with it to probe validation."""

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
