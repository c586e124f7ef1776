"""Upstream's `access_grant` table: who may read or write a resource besides its owner.

One row grants one permission (`read` or `write`) on one resource (here always a
`model`) to one principal: a user by id, every user (`user`/`*`), or a group. Open
WebUI writes these rows when an admin shares a model; this backend stores the grants
of the models it creates and honours every row, whoever wrote it.
"""

import time
import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Text,
    UniqueConstraint,
    and_,
    delete,
    or_,
    select,
)
from sqlalchemy.orm import Session

from reference_backend.internal.db import Base

EVERYONE = "*"
PRINCIPAL_TYPES = ("user", "group", "anyone")
PERMISSIONS = ("read", "write")


# --8<-- [start:table]
class AccessGrant(Base):
    __tablename__ = "access_grant"
    __table_args__ = (
        UniqueConstraint(
            "resource_type",
            "resource_id",
            "principal_type",
            "principal_id",
            "permission",
            name="uq_access_grant_grant",
        ),
        Index("idx_access_grant_resource", "resource_type", "resource_id"),
        Index("idx_access_grant_principal", "principal_type", "principal_id"),
    )

    id = Column(Text, primary_key=True)
    resource_type = Column(Text, nullable=False)
    resource_id = Column(Text, nullable=False)
    principal_type = Column(Text, nullable=False)
    principal_id = Column(Text, nullable=False)
    permission = Column(Text, nullable=False)
    created_at = Column(BigInteger, nullable=False)


# --8<-- [end:table]


def as_dict(grant: AccessGrant) -> dict:
    """A grant as the model responses carry it: every column."""
    return {
        column.name: getattr(grant, column.name)
        for column in AccessGrant.__table__.columns
    }


# --8<-- [start:normalize]
def normalize(grants: Iterable | None) -> list[dict]:
    """The well-formed grants of a form, one per principal and permission.

    Anything else is dropped, not refused, as upstream drops it: an unknown principal
    type or permission, an empty principal id, and `anyone` other than read by `*`.
    A repeated grant is kept once, where it first appears.
    """
    kept: dict[tuple[str, str, str], dict] = {}
    for grant in grants or ():
        if not isinstance(grant, dict):
            continue
        kind, principal, permission = (
            grant.get("principal_type"),
            grant.get("principal_id"),
            grant.get("permission"),
        )
        if (
            kind not in PRINCIPAL_TYPES
            or permission not in PERMISSIONS
            or not isinstance(principal, str)
            or not principal
            or (kind == "anyone" and (principal, permission) != (EVERYONE, "read"))
        ):
            continue
        kept.setdefault(
            (kind, principal, permission),
            {
                "principal_type": kind,
                "principal_id": principal,
                "permission": permission,
            },
        )
    return list(kept.values())


# --8<-- [end:normalize]


# --8<-- [start:write]
def replace_grants(
    db: Session, resource_type: str, resource_id: str, grants: list[dict]
) -> None:
    """Stage `grants` (normalised) as the resource's only grants; the caller commits.

    Each stored row gets a new id, as upstream's do.
    """
    delete_grants(db, resource_type, [resource_id])
    now = int(time.time())
    db.add_all(
        AccessGrant(
            id=str(uuid.uuid4()),
            resource_type=resource_type,
            resource_id=resource_id,
            principal_type=grant["principal_type"],
            principal_id=grant["principal_id"],
            permission=grant["permission"],
            created_at=now,
        )
        for grant in grants
    )


def delete_grants(db: Session, resource_type: str, resource_ids: list[str]) -> None:
    """Stage the removal of every grant on the resources; the caller commits."""
    db.execute(
        delete(AccessGrant).where(
            AccessGrant.resource_type == resource_type,
            AccessGrant.resource_id.in_(resource_ids),
        )
    )


# --8<-- [end:write]


# --8<-- [start:read]
def grants_of(
    db: Session, resource_type: str, resource_ids: Collection[str]
) -> dict[str, list[dict]]:
    """Every grant on each resource, in one query; a resource without any maps to []."""
    found: dict[str, list[dict]] = {resource_id: [] for resource_id in resource_ids}
    if not found:
        return found
    rows = db.scalars(
        select(AccessGrant).where(
            AccessGrant.resource_type == resource_type,
            AccessGrant.resource_id.in_(found),
        )
    )
    for grant in rows:
        found[grant.resource_id].append(as_dict(grant))
    return found


def principal_matches(user_id: str, group_ids: Collection[str]) -> ColumnElement[bool]:
    """A grant to everyone, to this user, or to one of their groups."""
    return or_(
        and_(
            AccessGrant.principal_type == "user", AccessGrant.principal_id == EVERYONE
        ),
        and_(AccessGrant.principal_type == "user", AccessGrant.principal_id == user_id),
        and_(
            AccessGrant.principal_type == "group",
            AccessGrant.principal_id.in_(group_ids),
        ),
    )


def accessible_ids(
    db: Session,
    *,
    user_id: str,
    group_ids: Collection[str],
    resource_type: str,
    resource_ids: Collection[str],
    permission: str,
) -> set[str]:
    """Those of `resource_ids` on which a grant gives the user `permission`."""
    if not resource_ids:
        return set()
    return set(
        db.scalars(
            select(AccessGrant.resource_id)
            .where(
                AccessGrant.resource_type == resource_type,
                AccessGrant.resource_id.in_(resource_ids),
                AccessGrant.permission == permission,
                principal_matches(user_id, group_ids),
            )
            .distinct()
        )
    )


def granted(
    resource_type: str,
    resource_id: ColumnElement,
    user_id: str,
    group_ids: Collection[str],
) -> ColumnElement[bool]:
    """For a query over resources: a read grant gives the user the row `resource_id`."""
    return (
        select(AccessGrant.id)
        .where(
            AccessGrant.resource_type == resource_type,
            AccessGrant.resource_id == resource_id,
            AccessGrant.permission == "read",
            principal_matches(user_id, group_ids),
        )
        .exists()
    )


# --8<-- [end:read]
