"""Upstream's `user` and `api_key` tables and the user payloads the API returns."""

import datetime
import time

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    case,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from reference_backend.internal.db import Base, one_page

USERS_PER_PAGE = 30


# --8<-- [start:tables]
class User(Base):
    __tablename__ = "user"

    id = Column(String, primary_key=True)
    name = Column(String)
    email = Column(String)
    role = Column(String)
    profile_image_url = Column(Text)
    last_active_at = Column(BigInteger)
    updated_at = Column(BigInteger)
    created_at = Column(BigInteger)
    username = Column(String(50))
    bio = Column(Text)
    gender = Column(Text)
    date_of_birth = Column(Date)
    profile_banner_image_url = Column(Text)
    timezone = Column(String)
    presence_state = Column(String)
    status_emoji = Column(String)
    status_message = Column(Text)
    status_expires_at = Column(BigInteger)
    oauth = Column(JSON)
    info = Column(JSON)
    settings = Column(JSON)
    scim = Column(JSON)
    variables = Column(JSON)

    # Email uniqueness is case-insensitive, enforced by the database itself.
    __table_args__ = (
        Index(
            "uq_user_email_lower",
            func.lower(email),
            unique=True,
            sqlite_where=email.isnot(None),
            postgresql_where=email.isnot(None),
        ),
    )


class ApiKey(Base):
    __tablename__ = "api_key"

    id = Column(Text, primary_key=True)
    # Nullable, as upstream's migration made it.
    user_id = Column(Text, ForeignKey("user.id", ondelete="CASCADE"))
    key = Column(Text, unique=True, nullable=False)
    data = Column(JSON)
    expires_at = Column(BigInteger)
    last_used_at = Column(BigInteger)
    created_at = Column(BigInteger, nullable=False)
    updated_at = Column(BigInteger, nullable=False)


# --8<-- [end:tables]


# --8<-- [start:payloads]
# --8<-- [start:settings]
class UserSettings(BaseModel):
    """`user.settings`: a `ui` object plus whatever else the frontend stores."""

    model_config = ConfigDict(extra="allow")

    ui: dict | None = {}


# --8<-- [end:settings]


class UserModel(BaseModel):
    """A `user` row as every user endpoint returns it (`variables` stays private)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    username: str | None = None
    role: str = "pending"
    name: str
    profile_image_url: str | None = None
    profile_banner_image_url: str | None = None
    bio: str | None = None
    gender: str | None = None
    date_of_birth: datetime.date | None = None
    timezone: str | None = None
    presence_state: str | None = None
    status_emoji: str | None = None
    status_message: str | None = None
    status_expires_at: int | None = None
    info: dict | None = None
    settings: UserSettings | None = None
    oauth: dict | None = None
    scim: dict | None = None
    last_active_at: int
    updated_at: int
    created_at: int

    @model_validator(mode="after")
    def _default_avatar(self) -> "UserModel":
        # An empty image means "the generated avatar", which lives at this route.
        if not self.profile_image_url:
            self.profile_image_url = f"/api/v1/users/{self.id}/profile/image"
        return self


class UserGroupIdsModel(UserModel):
    group_ids: list[str] = Field(default_factory=list)


class UserUpdateForm(BaseModel):
    role: str | None = None
    name: str | None = None
    email: str | None = None
    profile_image_url: str | None = None
    password: str | None = None


# --8<-- [end:payloads]


def get_user_by_id(db: Session, user_id: str) -> UserModel | None:
    row = db.get(User, user_id)
    return None if row is None else UserModel.model_validate(row)


def get_user_by_email(db: Session, email: str) -> UserModel | None:
    row = db.scalars(
        select(User).where(func.lower(User.email) == email.lower())
    ).first()
    return None if row is None else UserModel.model_validate(row)


# --8<-- [start:first-admin]
# Any fixed number will do: it names the lock both twins take, and nothing else here
# takes an advisory lock.
FIRST_ADMIN_LOCK = 2_026_001
PROMOTE_IF_NO_ADMIN = text(
    """UPDATE "user" SET role = 'admin'
       WHERE id = :me AND NOT EXISTS (SELECT 1 FROM "user" WHERE role = 'admin')"""
)


def promote_first_admin(db: Session, user_id: str) -> bool:
    """Make `user_id` the admin if there is none yet; whether it became the admin.

    Parallel first sign-ups all see an empty table and all insert; counting the users
    afterwards can then find more than one everywhere, leaving no admin at all. One
    conditional statement decides instead. SQLite runs one writer at a time, so the
    check and the update cannot interleave there. PostgreSQL's READ COMMITTED lets two
    such statements both see no admin, so each first takes a transaction-scoped
    advisory lock: the second then starts after the first has committed its admin.
    Upstream's schema stays as it is: no constraint on roles is needed.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(FIRST_ADMIN_LOCK)))
    promoted = db.execute(PROMOTE_IF_NO_ADMIN, {"me": user_id}).rowcount == 1
    db.commit()
    return promoted


# --8<-- [end:first-admin]


def has_users(db: Session) -> bool:
    """Whether any account exists: one row read, where counting reads every row."""
    return db.scalar(select(User.id).limit(1)) is not None


def first_user_id(db: Session) -> str | None:
    """The account created first: upstream protects it from demotion and deletion."""
    # created_at has one-second resolution: an admin wins a tie, then the lower id.
    admin_first = case((User.role == "admin", 0), else_=1)
    return db.scalar(
        select(User.id).order_by(User.created_at, admin_first, User.id).limit(1)
    )


SORT_COLUMNS = {
    "name": User.name,
    "email": User.email,
    "created_at": User.created_at,
    "last_active_at": User.last_active_at,
    "updated_at": User.updated_at,
    "role": User.role,
}


# --8<-- [start:list]
def list_users(
    db: Session,
    *,
    query: str | None,
    order_by: str | None,
    direction: str | None,
    page: int,
) -> tuple[list[UserModel], int]:
    """One page of users and the total, filtered and sorted as upstream does."""
    statement = select(User)
    if query:
        pattern = f"%{query}%"
        statement = statement.where(
            or_(User.name.ilike(pattern), User.email.ilike(pattern))
        )
    total = db.scalar(select(func.count()).select_from(statement.subquery())) or 0
    column = SORT_COLUMNS.get(order_by or "", User.created_at)
    descending = direction != "asc" if order_by in SORT_COLUMNS else True
    statement = statement.order_by(column.desc() if descending else column.asc())
    rows = db.scalars(one_page(statement, page, USERS_PER_PAGE))
    return [UserModel.model_validate(row) for row in rows], total


# --8<-- [end:list]


def update_user(db: Session, user_id: str, values: dict) -> UserModel | None:
    db.execute(update(User).where(User.id == user_id).values(**values))
    db.commit()
    return get_user_by_id(db, user_id)


def touch_last_active(db: Session, user_id: str) -> None:
    update_user(db, user_id, {"last_active_at": int(time.time())})


def update_settings(db: Session, user_id: str, changes: dict) -> UserModel | None:
    """Merge `changes` into the stored settings; in `ui`, a null value removes a key."""
    row = db.get(User, user_id)
    if row is None:
        return None
    merged = dict(row.settings or {})
    changes = dict(changes)
    ui_changes = changes.pop("ui", None)
    merged.update(changes)
    if ui_changes is not None:
        ui = dict(merged.get("ui") or {})
        for key, value in ui_changes.items():
            if value is None:
                ui.pop(key, None)
            else:
                ui[key] = value
        merged["ui"] = ui
    row.settings = merged
    db.commit()
    return UserModel.model_validate(row)


def delete_user(db: Session, user_id: str) -> None:
    """Remove the user, their credentials, key and chats, in one transaction."""
    # Imported here: the chat and auth modules import this one.
    from reference_backend.models import chats
    from reference_backend.models.auths import Auth

    chats.delete_user_chat_rows(db, user_id)
    db.execute(delete(ApiKey).where(ApiKey.user_id == user_id))
    db.execute(delete(Auth).where(Auth.id == user_id))
    db.execute(delete(User).where(User.id == user_id))
    db.commit()


# --8<-- [start:api-keys]
def get_user_by_api_key(db: Session, key: str) -> UserModel | None:
    row = db.scalars(
        select(User).join(ApiKey, ApiKey.user_id == User.id).where(ApiKey.key == key)
    ).first()
    return None if row is None else UserModel.model_validate(row)


def get_api_key(db: Session, user_id: str) -> str | None:
    return db.scalar(select(ApiKey.key).where(ApiKey.user_id == user_id))


def replace_api_key(db: Session, user_id: str, key: str) -> None:
    """One key per user, stored as upstream does: plain text, id `key_<user>`."""
    now = int(time.time())
    db.execute(delete(ApiKey).where(ApiKey.user_id == user_id))
    db.add(
        ApiKey(
            id=f"key_{user_id}",
            user_id=user_id,
            key=key,
            created_at=now,
            updated_at=now,
        )
    )
    db.commit()


def delete_api_key(db: Session, user_id: str) -> None:
    db.execute(delete(ApiKey).where(ApiKey.user_id == user_id))
    db.commit()


# --8<-- [end:api-keys]
