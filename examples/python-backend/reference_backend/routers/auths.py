"""`/api/v1/auths`: sign-up, sign-in, sign-out, the session, passwords, API keys.

Every route here goes through `AuthRoute`, as every upstream auth route goes through
its `MfaRoute`: responses are never cached, a malformed request gets one fixed
message instead of a field-by-field report, and a database failure reads as a
temporary outage rather than a crash.
"""

import datetime
import logging
import re
import time
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from reference_backend import constants
from reference_backend.env import ROLES, Settings
from reference_backend.internal.db import is_unique_violation
from reference_backend.internal.deps import Db, Redis, SettingsDep
from reference_backend.models import auths, config, revoked_tokens, users
from reference_backend.models.auths import (
    AddUserForm,
    SigninForm,
    SignupForm,
    UpdatePasswordForm,
)
from reference_backend.models.users import UserModel
from reference_backend.utils.auth import (
    PLACEHOLDER_HASHES,
    AdminUser,
    CurrentUser,
    HumanUser,
    VerifiedUser,
    api_keys_usable,
    create_api_key,
    create_token,
    hash_password,
    is_valid_token,
    password_too_long,
    request_claims,
    request_token,
    revoked_key,
    sign_in,
    token_lifetime,
    verify_password,
)
from reference_backend.utils.misc import StrictJsonRoute
from reference_backend.utils.rate_limit import RateLimiter
from reference_backend.utils.validate import (
    check_role,
    email_to_store,
    normalize_email,
    validate_email_format,
    validate_image_url,
)

# The pattern upstream's admin form accepts for JWT_EXPIRES_IN; others are ignored.
JWT_EXPIRES_IN_FORM = r"^(-1|0|(-?\d+(\.\d+)?)(ms|s|m|h|d|w))$"
SIGNED_OUT_COOKIES = ("token", "owui-session", "oui-session", "oauth_id_token")
log = logging.getLogger(__name__)


# --8<-- [start:route-class]
class AuthRoute(StrictJsonRoute):
    """Upstream's auth-route behaviour, wrapped around every handler below."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except RequestValidationError:
                response = JSONResponse(
                    {"detail": constants.INVALID_AUTH_REQUEST}, status_code=422
                )
            except HTTPException as error:
                response = JSONResponse(
                    {"detail": error.detail},
                    status_code=error.status_code,
                    headers=error.headers,
                )
            except (SQLAlchemyError, ValidationError):
                response = JSONResponse(
                    {"detail": "Authentication is temporarily unavailable."},
                    status_code=503,
                )
            response.headers["Cache-Control"] = "no-store"
            return response

        return guarded


router = APIRouter(route_class=AuthRoute)
# --8<-- [end:route-class]

# --8<-- [start:signin-limiter]
signin_limiter = RateLimiter(limit=15, window=180)
# --8<-- [end:signin-limiter]


class UpdateProfileForm(BaseModel):
    profile_image_url: str
    name: str
    bio: str | None = None
    gender: str | None = None
    date_of_birth: datetime.date | None = None

    @field_validator("profile_image_url")
    @classmethod
    def _image_url(cls, value: str) -> str:
        return validate_image_url(value)


class AdminConfig(BaseModel):
    """The admin settings this slice owns; upstream's form has many more."""

    SHOW_ADMIN_DETAILS: bool
    ENABLE_LOGIN_FORM: bool = True
    ENABLE_SIGNUP: bool
    ENABLE_API_KEYS: bool
    DEFAULT_USER_ROLE: str
    JWT_EXPIRES_IN: str


ADMIN_CONFIG_KEYS = {
    "SHOW_ADMIN_DETAILS": "auth.admin.show",
    "ENABLE_LOGIN_FORM": "ui.enable_login_form",
    "ENABLE_SIGNUP": "ui.enable_signup",
    "ENABLE_API_KEYS": "auth.enable_api_keys",
    "DEFAULT_USER_ROLE": "ui.default_user_role",
    "JWT_EXPIRES_IN": "auth.jwt_expiry",
}


# --8<-- [start:session]
@router.get("/")
def get_session_user(
    request: Request, response: Response, user: HumanUser, db: Db, settings: SettingsDep
) -> dict:
    """The signed-in user, with the token re-set as a cookie for its remaining life."""
    token = request_token(request, bearer_only=settings.bearer_only)
    # The guard decoded the token already; HumanUser admits only session tokens.
    expires_at = request.state.claims.get("exp")
    if expires_at is not None:
        response.set_cookie(
            "token",
            token,
            expires=datetime.datetime.fromtimestamp(expires_at, datetime.UTC),
            max_age=int(expires_at - time.time()),
            httponly=True,
            samesite="lax",
            secure=settings.cookie_secure,
        )
    else:
        response.set_cookie(
            "token", token, httponly=True, samesite="lax", secure=settings.cookie_secure
        )
    return {
        "token": token,
        "token_type": "Bearer",
        "expires_at": expires_at,
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "profile_image_url": user.profile_image_url,
        "bio": user.bio,
        "gender": user.gender,
        "date_of_birth": user.date_of_birth,
        "status_emoji": user.status_emoji,
        "status_message": user.status_message,
        "status_expires_at": user.status_expires_at,
        "permissions": config.get(db, "user.permissions"),
    }


# --8<-- [end:session]


# --8<-- [start:signin]
@router.post("/signin")
def signin(
    form: SigninForm,
    response: Response,
    db: Db,
    settings: SettingsDep,
    redis: Redis,
) -> dict:
    email = normalize_email(form.email, strict=settings.strict_emails)
    if signin_limiter.is_limited(redis, settings.redis_key_prefix, email):
        raise HTTPException(429, "API rate limit exceeded")
    user = users.get_user_by_email(db, email)
    auth = auths.get_auth(db, user.id) if user else None
    if auth is None or not auth.active:
        # The same time as a real check.
        verify_password(
            form.password, PLACEHOLDER_HASHES[settings.password_hash_algorithm]
        )
        raise HTTPException(400, constants.INVALID_CRED)
    if not verify_password(form.password, auth.password):
        raise HTTPException(400, constants.INVALID_CRED)
    return sign_in(response, db, settings, user, auth)


# --8<-- [end:signin]


# --8<-- [start:signup]
@router.post("/signup")
def signup(form: SignupForm, response: Response, db: Db, settings: SettingsDep) -> dict:
    """Open sign-up; the very first account becomes admin and closes sign-up."""
    gates = config.get_many(db, "ui.enable_signup", "ui.enable_login_form")
    # Only a sign-up that found no account may become the admin: see
    # `users.promote_first_admin` for why the count after the insert is not enough.
    first = not users.has_users(db)
    # The first account is never gated on ENABLE_SIGNUP, only on the login form.
    if not ((gates["ui.enable_signup"] or first) and gates["ui.enable_login_form"]):
        raise HTTPException(403, constants.ACCESS_PROHIBITED)
    user = create_user(db, settings, form, config.get(db, "ui.default_user_role"))
    try:
        if first and users.promote_first_admin(db, user.id):
            user = users.get_user_by_id(db, user.id)
            config.upsert(db, {"ui.enable_signup": False})
        return sign_in(response, db, settings, user, auths.get_auth(db, user.id))
    except SQLAlchemyError as error:
        # Upstream's catch-all once the account exists: a 500, not the route's 503.
        log.exception("sign-up failed after the insert")
        raise HTTPException(500, constants.SIGNUP_FAILED) from error


# --8<-- [end:signup]


def create_user(
    db: Session, settings: Settings, form: SignupForm, role: str
) -> UserModel:
    """Checks shared by sign-up and admin add, then the insert."""
    email = email_to_store(form.email, strict=settings.strict_emails)
    if not validate_email_format(email):
        raise HTTPException(400, constants.INVALID_EMAIL_FORMAT)
    if users.get_user_by_email(db, email):
        raise HTTPException(400, constants.EMAIL_TAKEN)
    if password_too_long(form.password, settings.password_hash_algorithm):
        raise HTTPException(400, constants.PASSWORD_TOO_LONG)
    try:
        return auths.insert_user(
            db,
            email=email,
            password_hash=hash_password(
                form.password, settings.password_hash_algorithm
            ),
            name=form.name,
            profile_image_url=form.profile_image_url,
            role=role,
        )
    except IntegrityError as error:
        # A parallel request took the address after the check above: upstream's
        # unique index on lower(email) refused this insert.
        if is_unique_violation(error):
            raise HTTPException(400, constants.EMAIL_TAKEN) from error
        raise


# --8<-- [start:signout]
@router.post("/signout")
def signout(
    request: Request, response: Response, db: Db, settings: SettingsDep, redis: Redis
) -> dict:
    """Clear the cookies; with Redis or the revocation table, revoke the token too."""
    claims = request_claims(request, settings)
    if claims and claims.get("jti"):
        revoke_token(db, settings, redis, claims)
    for name in SIGNED_OUT_COOKIES:
        response.delete_cookie(name)
    return {"status": True}


def revoke_token(db: Session, settings: Settings, redis, claims: dict) -> None:
    """Revoke a valid token: in Redis until it expires, as upstream, and in the
    revocation table when it is on. With neither, nothing is checked, as upstream."""
    prefix = settings.redis_key_prefix
    ttl = claims["exp"] - int(time.time()) if claims.get("exp") else 0
    in_redis = redis is not None and ttl > 0
    if not (in_redis or settings.revocation_table) or not is_valid_token(
        db, claims, redis, prefix, revocation_table=settings.revocation_table
    ):
        return
    if in_redis:
        redis.set(revoked_key(prefix, claims["jti"]), "1", ex=ttl)
    if settings.revocation_table:
        revoked_tokens.revoke(db, claims["jti"], claims.get("exp"))


# --8<-- [end:signout]


# --8<-- [start:update-password]
@router.post("/update/password")
def update_password(
    form: UpdatePasswordForm, user: CurrentUser, db: Db, settings: SettingsDep
) -> bool:
    """A new password rotates the session stamp: every other session ends."""
    auth = auths.get_auth(db, user.id)
    if auth is None or not verify_password(form.password, auth.password):
        raise HTTPException(400, constants.INCORRECT_PASSWORD)
    if password_too_long(form.new_password, settings.password_hash_algorithm):
        raise HTTPException(400, constants.PASSWORD_TOO_LONG)
    new_hash = hash_password(form.new_password, settings.password_hash_algorithm)
    auths.rotate_session_stamp(db, user.id, password=new_hash)
    return True


# --8<-- [end:update-password]


@router.post("/update/profile")
def update_profile(form: UpdateProfileForm, user: VerifiedUser, db: Db) -> dict:
    updated = users.update_user(db, user.id, form.model_dump())
    return updated.model_dump(
        include={"id", "name", "role", "email", "profile_image_url"}
    )


@router.post("/add")
def add_user(form: AddUserForm, _admin: AdminUser, db: Db, settings: SettingsDep):
    """An account made by an admin, with a token but no cookie."""
    check_role(form.role, strict=settings.strict_roles)
    # An explicit null is the default role, as the Rust twin reads it: stored as NULL,
    # the account could never be loaded again.
    role = "pending" if form.role is None else form.role
    user = create_user(db, settings, form, role)
    auth = auths.get_auth(db, user.id)
    claims = {"id": user.id, "typ": "session", "session_stamp": auth.session_stamp}
    return {
        "token": create_token(
            claims,
            settings.secret_key,
            token_lifetime(db, require_expiry=settings.require_token_expiry),
        ),
        "token_type": "Bearer",
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "profile_image_url": f"/api/v1/users/{user.id}/profile/image",
    }


@router.get("/admin/config")
def get_admin_config(_admin: AdminUser, db: Db) -> dict:
    stored = config.get_many(db, *ADMIN_CONFIG_KEYS.values())
    return {field: stored[key] for field, key in ADMIN_CONFIG_KEYS.items()}


@router.post("/admin/config")
def update_admin_config(form: AdminConfig, _admin: AdminUser, db: Db) -> dict:
    """Store the settings; an unknown role or a malformed expiry is silently kept."""
    values = form.model_dump()
    # Clients that predate the field must not turn the login form off by omission.
    if "ENABLE_LOGIN_FORM" not in form.model_fields_set:
        del values["ENABLE_LOGIN_FORM"]
    if values["DEFAULT_USER_ROLE"] not in ROLES:
        del values["DEFAULT_USER_ROLE"]
    if not re.match(JWT_EXPIRES_IN_FORM, values["JWT_EXPIRES_IN"]):
        del values["JWT_EXPIRES_IN"]
    config.upsert(db, {ADMIN_CONFIG_KEYS[field]: v for field, v in values.items()})
    return {**get_admin_config(_admin, db), "sessions_revoked": False}


@router.get("/admin/details")
def get_admin_details(_user: CurrentUser, db: Db) -> dict:
    """Who to ask for an account, when the admin has chosen to show it."""
    if not config.get(db, "auth.admin.show"):
        raise HTTPException(400, constants.ACTION_PROHIBITED)
    admin_email = config.get(db, "auth.admin.email")
    if admin_email:
        admin = users.get_user_by_email(db, admin_email)
        return {"name": admin.name if admin else None, "email": admin_email}
    first = users.first_user_id(db)
    admin = users.get_user_by_id(db, first) if first else None
    return {"name": admin.name, "email": admin.email} if admin else {}


# --8<-- [start:api-keys]
def check_api_key_permission(db: Session, user: UserModel) -> None:
    if not api_keys_usable(db, user):
        raise HTTPException(403, constants.API_KEY_CREATION_NOT_ALLOWED)


@router.post("/api_key")
def generate_api_key(user: CurrentUser, db: Db) -> dict:
    check_api_key_permission(db, user)
    key = create_api_key()
    users.replace_api_key(db, user.id, key)
    return {"api_key": key}


@router.get("/api_key")
def get_api_key(user: CurrentUser, db: Db) -> dict:
    check_api_key_permission(db, user)
    key = users.get_api_key(db, user.id)
    if key is None:
        raise HTTPException(404, constants.API_KEY_NOT_FOUND)
    return {"api_key": key}


@router.delete("/api_key")
def delete_api_key(user: CurrentUser, db: Db) -> bool:
    check_api_key_permission(db, user)
    users.delete_api_key(db, user.id)
    return True


# --8<-- [end:api-keys]
