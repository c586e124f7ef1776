"""Upstream's `model_history` table: every configuration a workspace model had.

`model.version_id` names the entry the model currently runs. Writing the entries
too lets Open WebUI show and restore versions of models created here.
"""

import time
import uuid

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlalchemy.orm import Session

from reference_backend.internal.db import Base


class ModelHistory(Base):
    __tablename__ = "model_history"

    id = Column(Text, primary_key=True)
    model_id = Column(Text, nullable=False, index=True)
    parent_id = Column(Text)
    snapshot = Column(JSON, nullable=False)
    user_id = Column(Text, nullable=False)
    commit_message = Column(Text)
    created_at = Column(BigInteger, nullable=False)


def snapshot(data: dict) -> dict:
    """The versioned part of a model; visibility is not a version of its own."""
    meta = {**(data.get("meta") or {})}
    meta.pop("hidden", None)
    meta.pop("chat_variables_schema", None)
    return {
        "name": data.get("name"),
        "base_model_id": data.get("base_model_id"),
        "params": {**(data.get("params") or {})},
        "meta": meta,
    }


def add_entry(
    db: Session,
    model_id: str,
    data: dict,
    user_id: str,
    parent_id: str | None,
    commit_message: str | None,
) -> str:
    """Stage a history entry for `data` and return its id; the caller commits."""
    entry = ModelHistory(
        id=str(uuid.uuid4()),
        model_id=model_id,
        parent_id=parent_id,
        snapshot=snapshot(data),
        user_id=user_id,
        commit_message=commit_message,
        created_at=int(time.time()),
    )
    db.add(entry)
    return entry.id
