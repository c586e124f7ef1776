"""Who may see, use and change a workspace model: the one place that decides.

Admins may do everything (upstream's default, `BYPASS_ADMIN_ACCESS_CONTROL`). Anyone
else may read a model they own or one an `access_grant` row shares with them, with
every user, or with a group they are in, and may change one they own or hold a
write grant on. A model without a `model` row is the admins' alone.
"""

from collections.abc import Collection
from functools import cache

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from reference_backend.models import config
from reference_backend.models.access_grants import (
    EVERYONE,
    accessible_ids,
    granted,
    normalize,
)
from reference_backend.models.groups import group_ids_of
from reference_backend.models.models import RESOURCE, Model, get_model
from reference_backend.models.users import UserModel
from reference_backend.utils.auth import has_permission

# The `user.permissions` switch that lets a user share with each audience.
AUDIENCES = {
    "everyone": "sharing.public_models",
    "user": "access_grants.allow_users",
    "group": "access_grants.allow_groups",
}


# --8<-- [start:allowed]
def allowed_grants(db: Session, user: UserModel, grants: list | None) -> list[dict]:
    """The grants of a create form that the user may give, normalised.

    Models are never shared with anonymous readers. A user who may not share
    models gives none; one who may gives only to the audiences allowed to them.
    """
    grants = [
        grant for grant in normalize(grants) if grant["principal_type"] != "anyone"
    ]
    if user.role == "admin" or not grants:
        return grants
    permissions = config.get(db, "user.permissions")
    if not has_permission(permissions, "sharing.models"):
        return []
    return [
        grant
        for grant in grants
        if has_permission(
            permissions,
            AUDIENCES[
                "everyone"
                if (grant["principal_type"], grant["principal_id"])
                == ("user", EVERYONE)
                else grant["principal_type"]
            ],
        )
    ]


# --8<-- [end:allowed]


# --8<-- [start:check]
def granted_ids(
    db: Session, user: UserModel, model_ids: Collection[str], permission: str
) -> set[str]:
    """Those of `model_ids` that a grant gives the user `permission` on."""
    return accessible_ids(
        db,
        user_id=user.id,
        group_ids=group_ids_of(db, user.id),
        resource_type=RESOURCE,
        resource_ids=model_ids,
        permission=permission,
    )


def may_write(db: Session, user: UserModel, row: Model) -> bool:
    """Whether `user` may change, toggle or delete the model of `row`."""
    return (
        user.role == "admin"
        or row.user_id == user.id
        or row.id in granted_ids(db, user, [row.id], "write")
    )


def may_use(db: Session, user: UserModel, row: Model | None) -> bool:
    """Whether `user` may chat with the model of `row`.

    Anyone but an admin must be able to read the model and each base model along
    its chain, each of which needs a row: a shared model cannot lend a user a base
    model they could not use directly.
    """
    if user.role == "admin":
        return True
    groups = cache(lambda: group_ids_of(db, user.id))
    seen: set[str] = set()
    while row is not None:
        seen.add(row.id)
        readable = row.user_id == user.id or row.id in accessible_ids(
            db,
            user_id=user.id,
            group_ids=groups(),
            resource_type=RESOURCE,
            resource_ids=[row.id],
            permission="read",
        )
        if not readable:
            return False
        if row.base_model_id is None or row.base_model_id in seen:
            return True
        row = get_model(db, row.base_model_id)
    return False


# --8<-- [end:check]


# --8<-- [start:filter]
def visible(db: Session, user: UserModel, models: list[dict]) -> list[dict]:
    """The entries of the chat model list that `user` sees.

    Admins see all. Others see an entry with a `model` row (its `info`) that they
    own or that a read grant gives them; not a provider's model without a row.
    """
    if user.role == "admin":
        return models
    infos = {model["id"]: model["info"] for model in models if model.get("info")}
    shared = granted_ids(db, user, list(infos), "read")
    return [
        model
        for model in models
        if model["id"] in infos
        and (infos[model["id"]].get("user_id") == user.id or model["id"] in shared)
    ]


def readable(db: Session, user: UserModel) -> ColumnElement[bool] | None:
    """For a query over `model` rows: those `user` may read; None for an admin, all."""
    if user.role == "admin":
        return None
    return or_(
        Model.user_id == user.id,
        granted(RESOURCE, Model.id, user.id, group_ids_of(db, user.id)),
    )


def readable_ids(db: Session, user: UserModel, model_ids: list[str]) -> set[str]:
    """Those of `model_ids` that have a `model` row `user` may read."""
    statement = select(Model.id).where(Model.id.in_(model_ids))
    if (condition := readable(db, user)) is not None:
        statement = statement.where(condition)
    return set(db.scalars(statement))


# --8<-- [end:filter]
