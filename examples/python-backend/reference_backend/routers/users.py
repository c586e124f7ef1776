"""`/api/v1/users`: the admin's user list and edits, and each user's own settings."""

import time

from fastapi import APIRouter, HTTPException

from reference_backend import constants
from reference_backend.internal.db import Int64
from reference_backend.internal.deps import Db, SettingsDep
from reference_backend.models import auths, users
from reference_backend.models.users import (
    UserGroupIdsModel,
    UserSettings,
    UserUpdateForm,
)
from reference_backend.utils.auth import (
    AdminUser,
    VerifiedUser,
    hash_password,
    password_too_long,
)
from reference_backend.utils.misc import StrictJsonRoute
from reference_backend.utils.validate import check_role, email_to_store

# --8<-- [start:router]
router = APIRouter(route_class=StrictJsonRoute)
# --8<-- [end:router]

# Upstream counts a user as active for three minutes after their last request.
ACTIVE_SECONDS = 180


# --8<-- [start:list]
@router.get("/")
def get_users(
    _admin: AdminUser,
    db: Db,
    query: str | None = None,
    order_by: str | None = None,
    direction: str | None = None,
    page: Int64 = 1,
) -> dict:
    """A page of 30 users; groups are not part of this slice, so `group_ids` is []."""
    page_users, total = users.list_users(
        db, query=query, order_by=order_by, direction=direction, page=page
    )
    listed = [UserGroupIdsModel(**user.model_dump()) for user in page_users]
    return {"users": listed, "total": total}


# --8<-- [end:list]


@router.get("/user/settings")
def get_user_settings(user: VerifiedUser) -> UserSettings | None:
    return user.settings


@router.post("/user/settings/update")
def update_user_settings(
    form: UserSettings, user: VerifiedUser, db: Db
) -> UserSettings:
    updated = users.update_settings(db, user.id, form.model_dump(exclude_unset=True))
    return updated.settings


@router.get("/{user_id}")
def get_user(user_id: str, _admin: AdminUser, db: Db) -> dict:
    user = users.get_user_by_id(db, user_id)
    if user is None:
        raise HTTPException(400, constants.NOT_FOUND)
    active = user.last_active_at >= int(time.time()) - ACTIVE_SECONDS
    return {**user.model_dump(mode="json"), "groups": [], "is_active": active}


# --8<-- [start:update]
@router.post("/{user_id}/update")
def update_user(
    user_id: str, form: UserUpdateForm, admin: AdminUser, db: Db, settings: SettingsDep
) -> users.UserModel:
    """Edit another account; the first account can be edited only by itself."""
    check_role(form.role, strict=settings.strict_roles)
    if user_id == users.first_user_id(db) and (
        admin.id != user_id or form.role not in (None, "admin")
    ):
        raise HTTPException(403, constants.ACTION_PROHIBITED)
    user = users.get_user_by_id(db, user_id)
    if user is None:
        raise HTTPException(400, constants.NOT_FOUND)
    email = (
        email_to_store(form.email, strict=settings.strict_emails)
        if form.email is not None
        else None
    )
    if email is not None and email != user.email and users.get_user_by_email(db, email):
        raise HTTPException(400, constants.EMAIL_TAKEN)
    if form.password:
        if password_too_long(form.password, settings.password_hash_algorithm):
            raise HTTPException(400, constants.PASSWORD_TOO_LONG)
        new_hash = hash_password(form.password, settings.password_hash_algorithm)
        auths.rotate_session_stamp(db, user_id, password=new_hash)
    changes = form.model_dump(
        include={"role", "name", "profile_image_url"}, exclude_none=True
    )
    if email is not None:
        changes["email"] = email
        auths.update_email(db, user_id, email)
    return users.update_user(db, user_id, changes) if changes else user


# --8<-- [end:update]


@router.delete("/{user_id}")
def delete_user(user_id: str, admin: AdminUser, db: Db) -> bool:
    """Neither the first account nor your own can be deleted."""
    if user_id in (users.first_user_id(db), admin.id):
        raise HTTPException(403, constants.ACTION_PROHIBITED)
    users.delete_user(db, user_id)
    return True


# --8<-- [start:revoke]
@router.post("/{user_id}/sessions/revoke")
def revoke_sessions(user_id: str, admin: AdminUser, db: Db) -> bool:
    """Sign a user out everywhere by rotating the stamp their tokens carry."""
    if users.get_user_by_id(db, user_id) is None:
        raise HTTPException(404, "User not found.")
    if user_id == users.first_user_id(db) and admin.id != user_id:
        raise HTTPException(403, constants.ACTION_PROHIBITED)
    auths.rotate_session_stamp(db, user_id)
    return True


# --8<-- [end:revoke]
