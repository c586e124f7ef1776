"""Upstream's `chat_message` table: one row per message, next to the chat's JSON.

Open WebUI keeps every message twice: inside `chat.chat` and as a row here, which
its unread sort and its usage statistics query. Writing the rows too keeps a
database this backend shares with Open WebUI consistent for both.
"""

import time

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Text
from sqlalchemy.orm import Session

from reference_backend.internal.db import Base


# --8<-- [start:table]
class ChatMessage(Base):
    __tablename__ = "chat_message"

    # "{chat_id}-{message_id}": message ids are only unique within a chat.
    id = Column(Text, primary_key=True)
    chat_id = Column(
        Text, ForeignKey("chat.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id = Column(Text, index=True)
    role = Column(Text, nullable=False)
    parent_id = Column(Text)
    content = Column(JSON)
    output = Column(JSON)
    model_id = Column(Text, index=True)
    files = Column(JSON)
    sources = Column(JSON)
    embeds = Column(JSON)
    done = Column(Boolean, default=True)
    status_history = Column(JSON)
    error = Column(JSON)
    usage = Column(JSON)
    created_at = Column(BigInteger, index=True)
    updated_at = Column(BigInteger)
    context_summary = Column(Text)
    meta = Column(JSON)

    __table_args__ = (
        Index("chat_message_chat_parent_idx", "chat_id", "parent_id"),
        Index("chat_message_model_created_idx", "model_id", "created_at"),
        Index("chat_message_user_created_idx", "user_id", "created_at"),
        Index("chat_message_chat_role_done_idx", "chat_id", "role", "done"),
    )


# --8<-- [end:table]

# Column ← message keys; the frontend writes camelCase, the backend snake_case.
ALIASES = {
    "role": ("role",),
    "parent_id": ("parent_id", "parentId"),
    "content": ("content",),
    "output": ("output",),
    "model_id": ("model_id", "model"),
    "files": ("files",),
    "sources": ("sources",),
    "embeds": ("embeds",),
    "meta": ("meta",),
    "done": ("done",),
    "status_history": ("status_history", "statusHistory"),
    "error": ("error",),
    "context_summary": ("context_summary", "contextSummary"),
}


def pick(data: dict, names: tuple[str, ...]):
    """The first truthy value among the aliases, else the last one's value."""
    value = None
    for name in names:
        value = data.get(name)
        if value:
            return value
    return value


def normalize_usage(usage) -> dict | None:
    """Add the provider-neutral token counts upstream's statistics read."""
    if not usage or not isinstance(usage, dict):
        return None
    prompt = (
        usage.get("input_tokens")
        or usage.get("prompt_tokens")
        or usage.get("prompt_eval_count")
    )
    if prompt is None:
        prompt = int(usage.get("prompt_n") or 0) + int(usage.get("cache_n") or 0)
    completion = (
        usage.get("output_tokens")
        or usage.get("completion_tokens")
        or usage.get("eval_count")
        or usage.get("predicted_n")
        or 0
    )
    total = usage.get("total_tokens") or prompt + completion
    return {
        **usage,
        "input_tokens": int(prompt),
        "output_tokens": int(completion),
        "total_tokens": int(total),
    }


def message_usage(message: dict) -> dict | None:
    return normalize_usage(
        message.get("usage") or (message.get("info") or {}).get("usage")
    )


def upsert_message(
    db: Session, chat_id: str, message_id: str, user_id: str, message: dict
) -> None:
    """Stage the row for one message; an existing row keeps the keys not sent."""
    now = int(time.time())
    row = db.get(ChatMessage, f"{chat_id}-{message_id}")
    if row is None:
        columns = {column: pick(message, names) for column, names in ALIASES.items()}
        columns["role"] = message.get("role", "user")
        columns["done"] = message.get("done", True)
        row = ChatMessage(
            id=f"{chat_id}-{message_id}",
            chat_id=chat_id,
            user_id=user_id,
            usage=message_usage(message),
            created_at=message.get("timestamp") or now,
            **columns,
        )
        db.add(row)
    else:
        for column, names in ALIASES.items():
            if any(name in message for name in names):
                setattr(row, column, pick(message, names))
        row.usage = message_usage(message) or row.usage
    row.updated_at = now
