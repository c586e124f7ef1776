"""Upstream's `config` table: one row per setting, the value as JSON.

Open WebUI seeds these rows from the environment on its first start and reads the
database afterwards, so an admin's change survives a restart and env changes do not
override it. Sharing the table is how this backend and Open WebUI agree on, say,
whether signup is open.
"""

import json
import time
from importlib.resources import files
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, select
from sqlalchemy.orm import Session

from reference_backend.env import Settings
from reference_backend.internal.db import Base

# Upstream's default `user.permissions`, as its signup response returns them.
DEFAULT_PERMISSIONS = json.loads(
    files("reference_backend").joinpath("default_permissions.json").read_text()
)


class Config(Base):
    __tablename__ = "config"

    key = Column(Text, primary_key=True)
    value = Column(JSON, nullable=False)
    updated_at = Column(BigInteger, nullable=True)


# --8<-- [start:defaults]
def defaults(settings: Settings) -> dict[str, Any]:
    """The keys this slice reads, with the values a first start seeds."""
    return {
        "ui.enable_signup": settings.enable_signup,
        "ui.enable_login_form": True,
        "ui.default_user_role": settings.default_user_role,
        "auth.jwt_expiry": settings.jwt_expires_in,
        "auth.enable_api_keys": settings.enable_api_keys,
        "auth.admin.show": True,
        "user.permissions": DEFAULT_PERMISSIONS,
        # Upstream stores the key list as the environment gave it, unpadded.
        "openai.enable": settings.enable_openai_api,
        "openai.api_base_urls": list(settings.openai_api_base_urls),
        "openai.api_keys": list(settings.openai_api_keys),
        "openai.api_configs": settings.openai_api_configs,
    }


# --8<-- [end:defaults]


# --8<-- [start:seed]
def seed(db: Session, settings: Settings) -> None:
    """Insert the keys that are missing; a value already stored wins over the env."""
    wanted = defaults(settings)
    stored = select(Config.key).where(Config.key.in_(list(wanted)))
    present = set(db.scalars(stored))
    now = int(time.time())
    for key, value in wanted.items():
        if key not in present:
            db.add(Config(key=key, value=value, updated_at=now))
    db.commit()


# --8<-- [end:seed]


def get(db: Session, key: str) -> Any:
    row = db.get(Config, key)
    return None if row is None else row.value


def get_many(db: Session, *keys: str) -> dict[str, Any]:
    """The values of `keys`; a missing key maps to None.

    Only the rows of `keys` are read: Open WebUI keeps a row per setting, hundreds of
    them, and the requests that read a few run on every page.
    """
    rows = db.scalars(select(Config).where(Config.key.in_(keys)))
    found = {row.key: row.value for row in rows}
    return {key: found.get(key) for key in keys}


def upsert(db: Session, values: dict[str, Any]) -> None:
    now = int(time.time())
    for key, value in values.items():
        row = db.get(Config, key)
        if row is None:
            db.add(Config(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now
    db.commit()
