"""Passwords, tokens and the guards every route depends on, as upstream has them.

Upstream keeps all of this in `open_webui/utils/auth.py`; so does this backend, so
the two files can be read side by side.
"""

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import bcrypt
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from sqlalchemy.orm import Session

from reference_backend import constants
from reference_backend.env import HASH_ALGORITHMS, Settings
from reference_backend.internal.db import Int64
from reference_backend.internal.deps import Db, Redis, SettingsDep, in_session
from reference_backend.models import auths, config, revoked_tokens, users
from reference_backend.models.users import UserModel
from reference_backend.utils.durations import parse_duration

# --8<-- [start:constants]
ALGORITHM = "HS256"
BCRYPT_MAX_BYTES = 72
API_KEY_PREFIX = "sk-"
API_KEY_HEADER = "x-api-key"
VERIFIED_ROLES = ("user", "admin")
# How long a new token lives when the `auth.jwt_expiry` row does not say.
DEFAULT_TOKEN_LIFETIME = "4w"
# --8<-- [end:constants]


# --8<-- [start:passwords]
def hash_password(password: str, algorithm: str) -> str:
    """A new hash with the configured scheme: bcrypt (`$2b$12$…`) or argon2."""
    if algorithm == "argon2":
        return PasswordHasher().hash(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


# Verified when the email is unknown, so a wrong address costs as much time as a
# wrong password and the response time does not tell which accounts exist. One per
# scheme: an argon2 check and a bcrypt check take different times.
PLACEHOLDER_HASHES = {
    algorithm: hash_password("placeholder", algorithm) for algorithm in HASH_ALGORITHMS
}


def password_too_long(password: str, algorithm: str) -> bool:
    """bcrypt reads 72 bytes; upstream refuses longer new passwords outright."""
    return algorithm == "bcrypt" and len(password.encode()) > BCRYPT_MAX_BYTES


def verify_password(password: str, hashed: str | None) -> bool:
    """Check against either scheme, chosen by the hash's own prefix."""
    if not hashed:
        return False
    if hashed.startswith("$argon2"):
        try:
            return PasswordHasher().verify(hashed, password)
        except (InvalidHashError, VerificationError):
            return False
    try:
        return bcrypt.checkpw(password.encode()[:BCRYPT_MAX_BYTES], hashed.encode())
    except ValueError:
        return False


# --8<-- [end:passwords]


# --8<-- [start:tokens]
def create_token(claims: dict, secret: str, expires_delta: timedelta | None) -> str:
    """An HS256 JWT with upstream's claims; no `exp` when the expiry is -1 or 0."""
    now = datetime.now(UTC)
    payload = {**claims}
    if expires_delta:
        payload["exp"] = now + expires_delta
    payload |= {"jti": str(uuid.uuid4()), "iat": now}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


class ClaimTypes(BaseModel):
    """The type of each claim this backend reads, as the Rust twin's `Claims` has it.

    A signed token whose `id` is an object, a list or a number is refused like any
    invalid token (401): read as a key, a list would pass as a composite primary key
    and an object would fail the lookup with a 500. An id with a NUL is no account's
    on any database, and PostgreSQL would refuse the lookup with a 400. The times are
    64-bit, as the Rust twin reads them: an `exp` past that range would overflow the
    revocation table's BIGINT with a 500. Other claims are not checked.
    """

    model_config = ConfigDict(strict=True, extra="allow")

    id: Annotated[str, StringConstraints(pattern="^[^\x00]*$")]
    typ: str = "session"
    auth_method: str = ""
    auth_time: Int64 | None = None
    session_stamp: str | None = None
    mfa_verified: bool | None = None
    exp: Int64 | None = None
    jti: str | None = None
    iat: Int64 | None = None


def decode_token(
    token: str, secret: str, *, require_expiry: bool = False
) -> dict | None:
    """The claims of a token signed with `secret`, not expired and of the expected
    types, else None. With `require_expiry`, a token without `exp` is None too."""
    required = ["exp"] if require_expiry else []
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": required}
        )
        ClaimTypes.model_validate(claims)
    except (jwt.PyJWTError, ValidationError):
        return None
    return claims


def session_claims(user: UserModel, auth: auths.Auth) -> dict:
    now = int(time.time())
    return {
        "id": user.id,
        "typ": "session",
        "auth_method": "password",
        "auth_time": now,
        "session_stamp": auth.session_stamp,
        "mfa_verified": False,
    }


# --8<-- [end:tokens]


def revoked_key(prefix: str, jti: str) -> str:
    """The Redis key upstream writes when a token is signed out."""
    return f"{prefix}:auth:token:{jti}:revoked"


def revoked_user_key(prefix: str, user_id: str) -> str:
    return f"{prefix}:auth:user:{user_id}:revoked_at"


# --8<-- [start:is-valid]
def is_valid_token(
    db: Session, claims: dict, redis, prefix: str, *, revocation_table: bool = False
) -> bool:
    """A signature is not enough: the stamp must match, and Redis, or the revocation
    table when it is on, must not object."""
    auth = auths.get_auth(db, claims.get("id", ""))
    if auth is None or not auth.active:
        raise HTTPException(401, constants.INVALID_AUTH_REQUEST)
    if claims.get("session_stamp") != auth.session_stamp:
        return False
    if claims.get("typ", "session") not in ("session", "automation", "subagent"):
        return False
    jti = claims.get("jti")
    if revocation_table and jti and revoked_tokens.is_revoked(db, jti):
        return False
    if redis is None:
        return True
    if jti and redis.get(revoked_key(prefix, jti)):
        return False
    revoked_at = redis.get(revoked_user_key(prefix, claims.get("id", "")))
    if revoked_at is None:
        return True
    issued_at = claims.get("iat")
    return issued_at is not None and int(issued_at) > int(revoked_at)


# --8<-- [end:is-valid]


# --8<-- [start:request-token]
def request_token(request: Request, *, bearer_only: bool = False) -> str | None:
    """The credential, looked for where upstream looks and in the same order.

    A `Bearer` header first, then the `token` cookie, then an `Authorization` header of
    any other scheme ("Basic x" yields "x", as upstream's middleware does) unless
    `bearer_only`, then the `x-api-key` header.
    """
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if cookie := request.cookies.get("token"):
        return cookie
    if not bearer_only and header.count(" ") == 1 and credentials:
        return credentials
    return request.headers.get(API_KEY_HEADER)


# --8<-- [end:request-token]


def request_claims(request: Request, settings: Settings) -> dict | None:
    """The claims of the request's session token, read as the settings say; None
    without a valid one."""
    token = request_token(request, bearer_only=settings.bearer_only)
    if token is None:
        return None
    required = settings.require_token_expiry
    return decode_token(token, settings.secret_key, require_expiry=required)


# --8<-- [start:current-user]
def get_current_user(
    request: Request,
    db: Db,
    settings: SettingsDep,
    redis: Redis,
) -> UserModel:
    """The signed-in user, by session token or API key; 401 otherwise."""
    token = request_token(request, bearer_only=settings.bearer_only)
    if token is None:
        raise HTTPException(401, constants.NOT_AUTHENTICATED)
    if token.startswith(API_KEY_PREFIX):
        user = user_by_api_key(db, token)
        request.state.auth_type = "api_key"
    else:
        claims = decode_token(
            token, settings.secret_key, require_expiry=settings.require_token_expiry
        )
        if claims is None or "id" not in claims:
            raise HTTPException(401, constants.UNAUTHORIZED)
        if not is_valid_token(
            db,
            claims,
            redis,
            settings.redis_key_prefix,
            revocation_table=settings.revocation_table,
        ):
            raise HTTPException(401, constants.TOKEN_REVOKED)
        user = users.get_user_by_id(db, claims["id"])
        if user is None:
            raise HTTPException(401, constants.INVALID_TOKEN)
        request.state.auth_type = "jwt"
        request.state.claims = claims
    # Upstream records activity at most once an interval per user and process: a
    # write on every request would queue every request for SQLite's one write lock.
    if request.app.state.activity.ready(user.id):
        users.touch_last_active(db, user.id)
    return user


# --8<-- [end:current-user]


def user_by_api_key(db: Session, key: str) -> UserModel:
    """The key's owner, when keys are enabled and the owner may use one."""
    user = users.get_user_by_api_key(db, key)
    if user is None:
        raise HTTPException(401, constants.INVALID_TOKEN)
    if not api_keys_usable(db, user):
        raise HTTPException(403, constants.API_KEY_NOT_ALLOWED)
    return user


def api_keys_usable(db: Session, user: UserModel) -> bool:
    """Keys must be on, and a non-admin needs the `features.api_keys` permission."""
    return bool(config.get(db, "auth.enable_api_keys")) and user_may(
        db, user, "features.api_keys"
    )


def user_may(db: Session, user: UserModel, permission: str) -> bool:
    """Admins may do everything; others what the `user.permissions` row grants."""
    return user.role == "admin" or has_permission(
        config.get(db, "user.permissions"), permission
    )


def has_permission(permissions: dict | None, dotted: str) -> bool:
    node = permissions or {}
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return node is True


CurrentUser = Annotated[UserModel, Depends(get_current_user)]


# --8<-- [start:guards]
# These only look at a user already loaded: as `async def` they run on the event loop,
# where a plain `def` would cost each request a trip through the thread pool.
async def get_verified_user(user: CurrentUser) -> UserModel:
    """A user or an admin. Upstream answers a pending user with 401, not 403."""
    if user.role not in VERIFIED_ROLES:
        raise HTTPException(401, constants.ACCESS_PROHIBITED)
    return user


async def get_admin_user(user: CurrentUser) -> UserModel:
    if user.role != "admin":
        raise HTTPException(401, constants.ACCESS_PROHIBITED)
    return user


async def get_human_user(request: Request, user: CurrentUser) -> UserModel:
    """Any role, but signed in with a session token: an API key is not enough."""
    claims = getattr(request.state, "claims", {})
    if request.state.auth_type != "jwt" or claims.get("typ", "session") != "session":
        raise HTTPException(403, constants.HUMAN_SESSION_REQUIRED)
    return user


VerifiedUser = Annotated[UserModel, Depends(get_verified_user)]
AdminUser = Annotated[UserModel, Depends(get_admin_user)]
HumanUser = Annotated[UserModel, Depends(get_human_user)]
# --8<-- [end:guards]


# --8<-- [start:provider-user]
def current_user_in(db: Session, request: Request) -> UserModel:
    state = request.app.state
    return get_current_user(request, db, state.settings, state.redis)


async def get_provider_user(request: Request) -> UserModel:
    """`get_verified_user` in a session of its own, closed once the user is loaded.

    For the routes that wait on a model provider: they would otherwise hold the
    request's session, and a database connection, until the provider has answered
    and, for a stream, until its last token has gone out.
    """
    return await get_verified_user(await in_session(request, current_user_in, request))


ProviderUser = Annotated[UserModel, Depends(get_provider_user)]
# --8<-- [end:provider-user]


# --8<-- [start:sign-in]
def token_lifetime(db: Session, *, require_expiry: bool = False) -> timedelta | None:
    """How long a new token lives: the `auth.jwt_expiry` row, which admins may edit.

    With `require_expiry`, a row meaning "never expires" gives the default lifetime
    instead: the server would refuse the token it minted without `exp`.
    """
    lifetime = parse_duration(
        config.get(db, "auth.jwt_expiry") or DEFAULT_TOKEN_LIFETIME
    )
    if require_expiry and not lifetime:
        return parse_duration(DEFAULT_TOKEN_LIFETIME)
    return lifetime


def sign_in(
    response: Response,
    db: Session,
    settings: Settings,
    user: UserModel,
    auth: auths.Auth,
) -> dict:
    """Issue a session token, set it as the `token` cookie, and build the reply."""
    expires_delta = token_lifetime(db, require_expiry=settings.require_token_expiry)
    token = create_token(session_claims(user, auth), settings.secret_key, expires_delta)
    max_age = int(expires_delta.total_seconds()) if expires_delta else None
    response.set_cookie(
        "token",
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        max_age=max_age,
    )
    return {
        "token": token,
        "token_type": "Bearer",
        "expires_at": int(time.time()) + max_age if max_age is not None else None,
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "profile_image_url": f"/api/v1/users/{user.id}/profile/image",
        "permissions": config.get(db, "user.permissions"),
    }


# --8<-- [end:sign-in]


def create_api_key() -> str:
    return API_KEY_PREFIX + uuid.uuid4().hex
