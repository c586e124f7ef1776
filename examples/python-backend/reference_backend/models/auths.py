"""Upstream's `auth` table (one credential row per user) and the auth forms."""

import time
import uuid

from pydantic import BaseModel, field_validator
from sqlalchemy import JSON, Boolean, Column, String, Text, update
from sqlalchemy.orm import Session

from reference_backend.internal.db import Base
from reference_backend.models.users import User, UserModel
from reference_backend.utils.validate import validate_image_url


# --8<-- [start:table]
class Auth(Base):
    """`auth.id` equals `user.id`; upstream has no foreign key between them."""

    __tablename__ = "auth"

    id = Column(String, primary_key=True)
    email = Column(String)
    password = Column(Text)
    active = Column(Boolean)
    mfa = Column(JSON)
    # Every token carries the stamp it was issued under; rotating it revokes them.
    session_stamp = Column(Text)


# --8<-- [end:table]


# --8<-- [start:forms]
class SigninForm(BaseModel):
    email: str
    password: str


class SignupForm(BaseModel):
    name: str
    email: str
    password: str
    profile_image_url: str | None = "/user.png"

    @field_validator("profile_image_url")
    @classmethod
    def _image_url(cls, value: str | None) -> str | None:
        return None if value is None else validate_image_url(value)


class AddUserForm(SignupForm):
    role: str | None = "pending"


class UpdatePasswordForm(BaseModel):
    password: str
    new_password: str


# --8<-- [end:forms]


# --8<-- [start:insert-user]
def insert_user(
    db: Session,
    *,
    email: str,
    password_hash: str,
    name: str,
    profile_image_url: str | None,
    role: str,
) -> UserModel:
    """The `user` and `auth` rows of a new account, committed together."""
    user_id = str(uuid.uuid4())
    now = int(time.time())
    db.add(
        User(
            id=user_id,
            email=email,
            name=name,
            role=role,
            profile_image_url=profile_image_url,
            last_active_at=now,
            updated_at=now,
            created_at=now,
        )
    )
    db.add(
        Auth(
            id=user_id,
            email=email,
            password=password_hash,
            active=True,
            session_stamp=str(uuid.uuid4()),
        )
    )
    db.commit()
    return UserModel.model_validate(db.get(User, user_id))


# --8<-- [end:insert-user]


# --8<-- [start:get-auth]
def get_auth(db: Session, user_id: str) -> Auth | None:
    return db.get(Auth, user_id)


# --8<-- [end:get-auth]


# --8<-- [start:rotate]
def rotate_session_stamp(db: Session, user_id: str, **values) -> None:
    """Give the user a new stamp, so every token issued before it stops working."""
    db.execute(
        update(Auth)
        .where(Auth.id == user_id)
        .values(session_stamp=str(uuid.uuid4()), **values)
    )
    db.commit()


# --8<-- [end:rotate]


def update_email(db: Session, user_id: str, email: str) -> None:
    db.execute(update(Auth).where(Auth.id == user_id).values(email=email))
    db.commit()
