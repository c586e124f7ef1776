"""Upstream's `shared_chat` table: frozen copies of chats behind share links.

A share link shows the chat as it was when shared, not as it is now, so sharing
copies the chat; sharing again refreshes the copy under the same link.
"""

import time
import uuid
from typing import Literal

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Text, delete
from sqlalchemy.orm import Session

from reference_backend.internal.db import Base
from reference_backend.utils.misc import SanitizedForm


# --8<-- [start:table]
class SharedChat(Base):
    __tablename__ = "shared_chat"

    # The share token in `/s/{id}` links; the chat's `share_id` points here.
    id = Column(Text, primary_key=True)
    chat_id = Column(Text, ForeignKey("chat.id", ondelete="CASCADE"), nullable=False)
    user_id = Column(Text, nullable=False)
    title = Column(Text)
    chat = Column(JSON)
    created_at = Column(BigInteger)
    updated_at = Column(BigInteger)


# --8<-- [end:table]


# --8<-- [start:share-form]
class ShareChatForm(SanitizedForm):
    """`continue` lets readers with access carry on the live chat, not the copy."""

    share_mode: Literal["continue"] | None = None


# --8<-- [end:share-form]


def get_shared_chat(db: Session, share_id: str) -> SharedChat | None:
    return db.get(SharedChat, share_id)


def create_shared_chat(
    db: Session, chat, user_id: str, share_mode: str | None
) -> SharedChat:
    """Snapshot `chat` (a `Chat` row) under a new token; the caller commits."""
    now = int(time.time())
    shared = SharedChat(
        id=str(uuid.uuid4()),
        chat_id=chat.id,
        user_id=user_id,
        title=chat.title,
        chat={**(chat.chat or {}), "share_mode": share_mode},
        created_at=now,
        updated_at=now,
    )
    db.add(shared)
    return shared


# --8<-- [start:refresh]
def refresh_shared_chat(
    db: Session, shared: SharedChat, chat, form: ShareChatForm | None
) -> None:
    """Copy the chat again; the share mode changes only when the form sets it."""
    mode = {"share_mode": (shared.chat or {}).get("share_mode")}
    shared.title = chat.title
    shared.chat = {
        **(chat.chat or {}),
        **mode,
        **(form.model_dump(exclude_unset=True) if form else {}),
    }
    shared.updated_at = int(time.time())
    db.commit()


# --8<-- [end:refresh]


def delete_shared_chats(db: Session, chat_id: str) -> None:
    db.execute(delete(SharedChat).where(SharedChat.chat_id == chat_id))
    db.commit()
