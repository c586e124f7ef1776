"""Upstream's `chat` table, the chat payloads the API returns, and their queries.

A chat is one JSON document (`chat.chat`) holding the title, the message tree in
`history` and, from older clients, a flat `messages` list. Columns beside it hold
what lists filter and sort on.
"""

import copy
import time
import uuid

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    String,
    Text,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from reference_backend.internal.db import Base, one_page
from reference_backend.models.chat_messages import ChatMessage, upsert_message
from reference_backend.models.shared_chats import SharedChat
from reference_backend.utils.misc import SanitizedForm, json_safe

CHATS_PER_PAGE = 60
DEFAULT_TITLE = "New Chat"


# --8<-- [start:table]
class Chat(Base):
    __tablename__ = "chat"

    id = Column(String, primary_key=True)
    user_id = Column(String)
    title = Column(Text)
    created_at = Column(BigInteger)
    updated_at = Column(BigInteger)
    share_id = Column(Text, unique=True)
    archived = Column(Boolean, default=False)
    chat = Column(JSON)
    pinned = Column(Boolean, default=False)
    meta = Column(JSON, server_default="{}", nullable=False)
    folder_id = Column(Text)
    tasks = Column(JSON)
    summary = Column(Text)
    last_read_at = Column(BigInteger)
    current_message_id = Column(Text)
    variables = Column(JSON)
    # Nanoseconds, set only while a scheduled chat waits to run.
    timer_at = Column(BigInteger)

    __table_args__ = (
        Index("folder_id_idx", "folder_id"),
        Index("user_id_pinned_idx", "user_id", "pinned"),
        Index("user_id_archived_idx", "user_id", "archived"),
        Index("updated_at_user_id_idx", "updated_at", "user_id"),
        Index("folder_id_user_id_idx", "folder_id", "user_id"),
        Index(
            "timer_at_idx",
            "timer_at",
            sqlite_where=text("timer_at IS NOT NULL"),
            postgresql_where=text("timer_at IS NOT NULL"),
        ),
        Index("user_id_updated_at_id_idx", "user_id", updated_at.desc(), "id"),
        Index(
            "user_id_timer_at_idx",
            "user_id",
            "timer_at",
            sqlite_where=text("timer_at IS NOT NULL"),
            postgresql_where=text("timer_at IS NOT NULL"),
        ),
        Index(
            "user_id_folder_unread_idx",
            "user_id",
            "folder_id",
            "archived",
            "updated_at",
            "last_read_at",
            "id",
        ),
    )


# --8<-- [end:table]

# Chats other features create for themselves (note assistants, sub-agents) carry
# `meta.internal`; no chat list shows them.
NOT_INTERNAL = Chat.meta["internal"].as_boolean().is_not(True)


# --8<-- [start:payloads]
class ChatForm(SanitizedForm):
    chat: dict
    variables: dict | None = None
    folder_id: str | None = None


class ChatResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    title: str
    chat: dict
    updated_at: int
    created_at: int
    share_id: str | None = None
    archived: bool
    pinned: bool | None = False
    meta: dict = {}
    variables: dict = {}
    folder_id: str | None = None
    tasks: list | None = None
    summary: str | None = None
    current_message_id: str | None = None
    # Filled only when context compaction is on, which this backend does not do.
    context_usage: dict | None = None

    @field_validator("variables", mode="before")
    @classmethod
    def _variables_object(cls, value):
        return value if isinstance(value, dict) else {}


class ChatTitleIdResponse(BaseModel):
    """A chat in a sidebar list: no messages, so a long history costs nothing."""

    id: str
    title: str
    updated_at: int
    created_at: int
    last_read_at: int | None = None
    snippet: str | None = None
    # True while a reply streams; this backend runs no models, so never.
    active: bool = False
    archived: bool = False


# --8<-- [end:payloads]


def current_message_id(chat: dict) -> str | None:
    """The message the conversation is at: the tree's pointer, else the last one."""
    history = chat.get("history") if isinstance(chat.get("history"), dict) else {}
    pointer = (
        history.get("currentId")
        or chat.get("currentId")
        or chat.get("branchPointMessageId")
    )
    if pointer:
        return pointer
    messages = chat.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("id"):
                return message["id"]
    return None


def all_messages(chat: dict) -> list[dict]:
    """The tree's messages and the flat list's, as the same dict objects.

    Raises AttributeError or TypeError on a malformed chat, which callers turn into
    upstream's 400.
    """
    messages = list((chat.get("history", {}).get("messages") or {}).values())
    messages.extend(chat.get("messages") or [])
    for message in messages:
        if not isinstance(message, dict):
            raise TypeError("a message must be an object")
    return messages


# --8<-- [start:repair]
def last_descendant(messages: dict, message_id: str) -> str:
    """Follow the newest well-formed child links down to a leaf."""
    seen = set()
    while message_id in messages and message_id not in seen:
        seen.add(message_id)
        children = messages[message_id].get("childrenIds")
        following = next(
            (
                child_id
                for child_id in reversed(children if isinstance(children, list) else [])
                if is_child(messages, child_id, message_id) and child_id not in seen
            ),
            None,
        )
        if following is None:
            break
        message_id = following
    return message_id


def is_child(messages: dict, child_id, parent_id: str) -> bool:
    child = messages.get(child_id) if isinstance(child_id, str) else None
    return (
        isinstance(child, dict)
        and child.get("id") == child_id
        and bool(child.get("role"))
        and child.get("parentId") == parent_id
    )


def repair_current_id(chat: dict) -> None:
    """Point `history.currentId` at a real leaf, as upstream does on every read.

    Clients that crashed mid-reply can leave the pointer on a parent or on nothing;
    the reader then sees the branch the user was on, not a truncated one.
    """
    history = chat.get("history")
    messages = history.get("messages") if isinstance(history, dict) else None
    if not isinstance(messages, dict):
        return
    link_children(messages)
    current_id = history.get("currentId")
    current = messages.get(current_id) if isinstance(current_id, str) else None
    if (
        isinstance(current, dict)
        and current.get("id")
        and current.get("role")
        and not is_orphan_reply(current, len(messages))
    ):
        history["currentId"] = last_descendant(messages, current_id)
        return
    leaf = newest_leaf(messages)
    if leaf:
        history["currentId"] = leaf


def link_children(messages: dict) -> None:
    """Add each message to its parent's `childrenIds` where a write missed it."""
    for message_id, message in messages.items():
        parent_id = message.get("parentId") if isinstance(message, dict) else None
        if not parent_id or not isinstance(parent_id, str):
            continue
        parent = messages.get(parent_id)
        if not isinstance(parent, dict):
            continue
        if not isinstance(parent.get("childrenIds"), list):
            parent["childrenIds"] = []
        if message_id not in parent["childrenIds"]:
            parent["childrenIds"].append(message_id)


def is_orphan_reply(message: dict, count: int) -> bool:
    """An assistant output with no parent and no time: debris of a failed write."""
    output = message.get("output")
    role = next(
        (
            item.get("role")
            for item in (output if isinstance(output, list) else [])
            if isinstance(item, dict) and item.get("role")
        ),
        None,
    )
    return (
        role == "assistant"
        and message.get("parentId") is None
        and not message.get("timestamp")
        and count > 1
    )


def newest_leaf(messages: dict) -> str | None:
    newest, newest_time = None, -1
    for message_id, message in messages.items():
        if not isinstance(message, dict) or not message.get("role"):
            continue
        children = message.get("childrenIds")
        stamp = message.get("timestamp") or 0
        if isinstance(children, list) and children:
            continue
        if isinstance(stamp, int | float) and stamp > newest_time:
            newest, newest_time = message_id, stamp
    return newest


# --8<-- [end:repair]


def merge_history(existing: dict | None, incoming: dict | None) -> dict:
    """Union two message trees, rebuilding child links; `incoming` wins per message."""
    existing, incoming = existing or {}, incoming or {}
    messages = {
        message_id: {**message, "childrenIds": []}
        for message_id, message in {
            **(existing.get("messages") or {}),
            **(incoming.get("messages") or {}),
        }.items()
        if isinstance(message, dict)
    }
    for message_id, message in messages.items():
        parent_id = message.get("parentId")
        if parent_id in messages:
            messages[parent_id]["childrenIds"].append(message_id)
    current_id = incoming.get("currentId")
    if current_id not in messages:
        current_id = existing.get("currentId")
        if current_id not in messages:
            current_id = None
    return {**existing, **incoming, "messages": messages, "currentId": current_id}


def get_chat(db: Session, chat_id: str) -> Chat | None:
    return db.get(Chat, chat_id)


def get_user_chat(db: Session, chat_id: str, user_id: str) -> Chat | None:
    chat = db.get(Chat, chat_id)
    return chat if chat is not None and chat.user_id == user_id else None


def read_chat(chat: Chat) -> dict:
    """The chat as a reader gets it: a copy, with the branch pointer repaired."""
    data = ChatResponse.model_validate(chat).model_dump()
    data["chat"] = copy.deepcopy(data["chat"])
    repair_current_id(data["chat"])
    return data


# --8<-- [start:insert]
def insert_new_chat(db: Session, user_id: str, form: ChatForm) -> Chat:
    """Store a new chat, then its messages as `chat_message` rows.

    Like upstream, a message row that cannot be written is skipped: the chat
    itself is already saved and stays the source of truth.
    """
    now = int(time.time())
    body = form.chat
    values = {
        "id": str(uuid.uuid4()),
        "user_id": user_id,
        "title": body.get("title", DEFAULT_TITLE),
        "chat": body,
        "folder_id": form.folder_id,
        "meta": {},
        "variables": form.variables or {},
        "current_message_id": current_message_id(body),
        "created_at": now,
        "updated_at": now,
        "archived": False,
        "pinned": False,
    }
    ChatResponse.model_validate(values)  # a bad title or pointer fails here
    chat = Chat(**values, last_read_at=now, timer_at=None, tasks=None, summary=None)
    db.add(chat)
    db.commit()
    try:
        for message_id, message in initial_messages(body).items():
            upsert_message(db, chat.id, message_id, user_id, message)
        db.commit()
    except (AttributeError, KeyError, SQLAlchemyError, TypeError, ValueError):
        db.rollback()
    return chat


# --8<-- [end:insert]


def initial_messages(chat: dict) -> dict[str, dict]:
    """The messages to index: the tree's, else the flat list's, with a role."""
    history = chat.get("history") if isinstance(chat.get("history"), dict) else {}
    messages = (
        history.get("messages") if isinstance(history.get("messages"), dict) else {}
    )
    if not messages and isinstance(chat.get("messages"), list):
        messages = {
            message.get("id"): message
            for message in chat["messages"]
            if isinstance(message, dict) and message.get("id")
        }
    return {
        message_id: message
        for message_id, message in messages.items()
        if isinstance(message, dict) and message.get("role")
    }


# --8<-- [start:update]
def update_chat(db: Session, chat: Chat, changes: dict, *, touch: bool) -> None:
    """Merge top-level keys into the chat; a `history` is merged message by message.

    The client built its history from an earlier read, so a plain overwrite would
    drop messages saved since. Messages by other people and replies still being
    written keep their stored version.
    """
    stored = chat.chat or {}
    updated = {**stored, **changes}
    stored_messages = stored.get("history", {}).get("messages") or {}
    if "history" in changes:
        merged = merge_history(stored.get("history"), changes["history"])
        for message_id, message in stored_messages.items():
            if keeps_stored(message, merged["messages"][message_id], chat.user_id):
                merged["messages"][message_id] = message
        updated["history"] = merge_history(merged, {})
    title = updated.get("title", DEFAULT_TITLE)
    if not isinstance(title, str):
        raise TypeError("the title must be a string")
    chat.chat, chat.title = updated, title
    if any(
        key in changes
        for key in ("history", "messages", "currentId", "branchPointMessageId")
    ):
        chat.current_message_id = current_message_id(updated)
    if touch:
        chat.updated_at = int(time.time())
    for message_id in changes.get("history", {}).get("messages") or {}:
        message = updated["history"]["messages"].get(message_id)
        if (
            message
            and message.get("role")
            and message != stored_messages.get(message_id)
        ):
            upsert_message(
                db, chat.id, message_id, message.get("user_id") or chat.user_id, message
            )
    ChatResponse.model_validate(chat)
    db.commit()


# --8<-- [end:update]


def keeps_stored(stored: dict, merged: dict, owner_id: str) -> bool:
    return (stored.get("user_id") or owner_id) != owner_id or (
        stored.get("role") == "assistant"
        and (stored.get("done") is False or merged.get("done") is False)
    )


def set_variables(db: Session, chat: Chat, variables: dict) -> None:
    chat.variables = variables
    db.commit()


def toggle_pinned(db: Session, chat: Chat) -> None:
    now = int(time.time())
    chat.pinned = not chat.pinned
    chat.updated_at = chat.last_read_at = now
    db.commit()


def toggle_archived(db: Session, chat: Chat) -> None:
    """Archiving also takes the chat out of its folder, as upstream does."""
    now = int(time.time())
    chat.archived = not chat.archived
    chat.folder_id = None
    chat.updated_at = chat.last_read_at = now
    db.commit()


def set_share_id(db: Session, chat: Chat, share_id: str | None) -> None:
    chat.share_id = share_id
    db.commit()


def title_items(rows) -> list[ChatTitleIdResponse]:
    return [ChatTitleIdResponse.model_validate(row._asdict()) for row in rows]


def list_order(sort_by: str, sort_dir: str) -> tuple:
    """Title or update time; `unread_updated_at` puts finished unread chats first."""
    if sort_by != "unread_updated_at":
        column = Chat.title if sort_by == "title" else Chat.updated_at
        return (column.asc() if sort_dir == "asc" else column.desc(), Chat.id)
    streaming = (
        select(ChatMessage.id)
        .where(
            ChatMessage.chat_id == Chat.id,
            ChatMessage.role == "assistant",
            ChatMessage.done.is_(False),
        )
        .exists()
    )
    unread = case(
        (and_(Chat.updated_at > func.coalesce(Chat.last_read_at, 0), ~streaming), 1),
        else_=0,
    )
    return (unread.desc(), Chat.updated_at.desc(), Chat.id)


# --8<-- [start:list]
def list_titles(
    db: Session,
    user_id: str,
    *,
    include_pinned: bool,
    include_folders: bool,
    sort_by: str,
    sort_dir: str,
    page: int | None,
) -> list[ChatTitleIdResponse]:
    """The sidebar's main list: pinned, archived and filed chats have their own."""
    statement = (
        select(Chat.id, Chat.title, Chat.updated_at, Chat.created_at, Chat.last_read_at)
        .where(Chat.user_id == user_id, Chat.archived.is_(False), NOT_INTERNAL)
        .order_by(*list_order(sort_by, sort_dir))
    )
    if not include_folders:
        statement = statement.where(Chat.folder_id.is_(None))
    if not include_pinned:
        statement = statement.where(or_(Chat.pinned.is_(False), Chat.pinned.is_(None)))
    if page is not None:
        statement = one_page(statement, page, CHATS_PER_PAGE)
    return title_items(db.execute(statement))


# --8<-- [end:list]


def list_pinned(db: Session, user_id: str) -> list[ChatTitleIdResponse]:
    statement = (
        select(Chat.id, Chat.title, Chat.updated_at, Chat.created_at, Chat.last_read_at)
        .where(
            Chat.user_id == user_id,
            Chat.pinned.is_(True),
            Chat.archived.is_(False),
            NOT_INTERNAL,
        )
        .order_by(Chat.updated_at.desc())
    )
    return title_items(db.execute(statement))


def list_archived(
    db: Session,
    user_id: str,
    *,
    query: str | None,
    order_by: str | None,
    direction: str | None,
    page: int,
) -> list[ChatTitleIdResponse]:
    """Archived chats; upstream leaves `last_read_at` out of these items.

    Raises ValueError for a sort on something that is not a column, or in a
    direction other than asc/desc.
    """
    statement = select(Chat.id, Chat.title, Chat.updated_at, Chat.created_at).where(
        Chat.user_id == user_id, Chat.archived.is_(True), NOT_INTERNAL
    )
    if query:
        statement = statement.where(Chat.title.ilike(f"%{query}%"))
    if order_by and direction:
        if order_by not in Chat.__table__.columns:
            raise ValueError("Invalid order_by field")
        column = Chat.__table__.columns[order_by]
        if direction.lower() not in ("asc", "desc"):
            raise ValueError("Invalid direction for ordering")
        sort = column.asc() if direction.lower() == "asc" else column.desc()
        statement = statement.order_by(sort, Chat.id)
    elif not (query or order_by or direction):
        # Upstream sorts only when no filter is given at all, or a full sort is.
        statement = statement.order_by(Chat.updated_at.desc(), Chat.id)
    statement = one_page(statement, page, CHATS_PER_PAGE)
    return title_items(db.execute(statement))


def internal_children(db: Session, chat: Chat) -> list[str]:
    """The internal chats spawned from `chat`, which go when it goes."""
    return list(
        db.scalars(
            select(Chat.id).where(
                Chat.user_id == chat.user_id,
                Chat.meta["internal"].as_boolean().is_(True),
                Chat.meta["parent_chat_id"].as_string() == chat.id,
            )
        )
    )


# --8<-- [start:delete]
def delete_chat(db: Session, chat: Chat) -> None:
    """The chat, its internal children, their message rows and share snapshots."""
    ids = [chat.id, *internal_children(db, chat)]
    db.execute(delete(ChatMessage).where(ChatMessage.chat_id.in_(ids)))
    db.execute(delete(SharedChat).where(SharedChat.chat_id.in_(ids)))
    db.execute(delete(Chat).where(Chat.id.in_(ids)))
    db.commit()


def delete_user_chat_rows(db: Session, user_id: str) -> None:
    """Stage the removal of everything chat-related a user owns; the caller commits.

    SQLite enforces no foreign keys unless asked, so the dependent rows are deleted
    explicitly instead of relying on ON DELETE CASCADE.
    """
    owned = select(Chat.id).where(Chat.user_id == user_id)
    db.execute(delete(SharedChat).where(SharedChat.user_id == user_id))
    db.execute(delete(ChatMessage).where(ChatMessage.chat_id.in_(owned)))
    db.execute(delete(Chat).where(Chat.user_id == user_id))


def delete_chats_by_user_id(db: Session, user_id: str) -> None:
    delete_user_chat_rows(db, user_id)
    db.commit()


# --8<-- [end:delete]


# --8<-- [start:upsert-message]
def output_text(output) -> str:
    """The text of an `output` list: its message items' text parts, one per line."""
    texts = []
    for item in output if isinstance(output, list) else []:
        if not isinstance(item, dict) or item.get("type") != "message":
            continue
        parts = item.get("content") if isinstance(item.get("content"), list) else []
        text = "".join(
            str(part["text"])
            for part in parts
            if isinstance(part, dict) and part.get("text") is not None
        )
        if text.strip():
            texts.append(text)
    return "\n".join(texts)


def put_in_history(history: dict, message_id: str, message: dict) -> dict:
    """Merge `message` into the tree; a new one becomes the current message.

    A new message without a parent takes the one that already lists it as a child,
    and without a role, the role that answers its parent's.
    """
    messages = history.setdefault("messages", {})
    if message_id in messages:
        messages[message_id] = {**messages[message_id], **message}
    else:
        parent_id = message.get("parentId") or next(
            (
                other_id
                for other_id, other in messages.items()
                if message_id in (other.get("childrenIds") or [])
            ),
            None,
        )
        parent = messages.get(parent_id) if parent_id else None
        role = message.get("role") or (
            "user" if parent and parent.get("role") == "assistant" else "assistant"
        )
        children = message.get("childrenIds")
        messages[message_id] = {
            **message,
            "id": message.get("id") or message_id,
            "parentId": parent_id,
            "childrenIds": children if isinstance(children, list) else [],
            "role": role,
            "timestamp": message.get("timestamp") or int(time.time()),
        }
        history["currentId"] = message_id
    parent = messages.get(messages[message_id].get("parentId") or "")
    if isinstance(parent, dict):
        siblings = parent.setdefault("childrenIds", [])
        if message_id not in siblings:
            siblings.append(message_id)
    return messages[message_id]


def save_message(
    db: Session, chat_id: str, message_id: str, message: dict, *, touch: bool = True
) -> None:
    """Write one message into the chat's JSON tree and its `chat_message` row.

    The content is the output's text when the message brings none. The chat row is
    locked while it is rewritten, so two replies finishing at once both stay.
    """
    if not message.get("content") and (text := output_text(message.get("output"))):
        message = {**message, "content": text}
    message = json_safe(message)
    chat = db.get(Chat, chat_id, with_for_update=True)
    if chat is None:
        return
    body = copy.deepcopy(chat.chat or {})
    repair_current_id(body)
    saved = put_in_history(body.setdefault("history", {}), message_id, message)
    upsert_message(db, chat_id, message_id, saved.get("user_id") or chat.user_id, saved)
    chat.chat, chat.title = body, body.get("title", DEFAULT_TITLE)
    chat.current_message_id = current_message_id(body)
    if touch:
        chat.updated_at = int(time.time())
    db.commit()


# --8<-- [end:upsert-message]


# --8<-- [start:chat-turn]
class TurnRefusedError(Exception):
    """A turn the chat cannot take, with upstream's status and detail."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


INVALID_TURN = "Message already exists or has an invalid ID."
ONLY_USER_MESSAGES = "You can only regenerate replies to user messages."


def is_fresh_reply(message: dict | None, owner_id: str, user_id: str) -> bool:
    """Whether a stored message may take the reply: none yet, or an empty one."""
    return message is None or (
        message.get("role") == "assistant"
        and not (message.get("done") or message.get("content") or message.get("output"))
        and (message.get("user_id") or owner_id) == user_id
    )


def insert_turn(
    db: Session, chat: Chat, user, user_message: dict, reply_id, model_id: str
) -> None:
    """Add the user's message (when sent) and an empty reply to answer it.

    The reply is what the completion fills in at the end. Ids must be new or name
    an empty reply of the caller's, and the user message must hang where it says.
    """
    body = copy.deepcopy(chat.chat or {})
    history = body.get("history") or {"messages": {}, "currentId": None}
    messages = history.setdefault("messages", {})
    user_message_id = user_message.get("id")
    ids = [user_message_id, reply_id] if user_message else [reply_id]
    if not all(isinstance(each, str) and each for each in ids) or len(set(ids)) < len(
        ids
    ):
        raise TurnRefusedError(409, INVALID_TURN)
    reply = messages.get(reply_id)
    if not is_fresh_reply(reply, chat.user_id, user.id) or (
        reply and user_message and reply.get("parentId") != user_message_id
    ):
        raise TurnRefusedError(409, INVALID_TURN)
    now = int(time.time())
    turn = {}
    if user_message:
        existing = messages.get(user_message_id)
        if existing and existing.get("role") != "user":
            raise TurnRefusedError(403, ONLY_USER_MESSAGES)
        parent_id = (existing or user_message).get("parentId")
        if parent_id is not None and parent_id not in messages:
            raise TurnRefusedError(409, "Parent message no longer exists.")
        message = existing or {
            **json_safe(user_message),
            "id": user_message_id,
            "parentId": parent_id,
            "role": "user",
            "childrenIds": [],
            "timestamp": now,
            "user_id": user.id,
            "user": {"id": user.id, "name": user.name},
        }
        turn[user_message_id] = put_in_history(history, user_message_id, message)
    turn[reply_id] = put_in_history(
        history,
        reply_id,
        {
            "id": reply_id,
            "parentId": user_message_id,
            "childrenIds": [],
            "role": "assistant",
            "content": "",
            "done": False,
            "model": model_id,
            "modelIdx": None,
            "timestamp": now,
            "user_id": user.id,
        },
    )
    body["history"] = history
    body["models"] = user_message.get("models") or [model_id]
    chat.chat, chat.current_message_id, chat.updated_at = (
        body,
        history["currentId"],
        now,
    )
    for message_id, message in turn.items():
        upsert_message(
            db, chat.id, message_id, message.get("user_id") or chat.user_id, message
        )
    db.commit()


def conversation(body: dict, message_id: str) -> list[dict]:
    """The conversation up to `message_id`, root first, as a provider reads it: each
    message's role and text (a reply's from its output), replies still empty left out.
    """
    messages = (body.get("history") or {}).get("messages") or {}
    chain: list[dict] = []
    seen: set[str] = set()
    while isinstance(message_id, str) and message_id not in seen:
        message = messages.get(message_id)
        if not isinstance(message, dict):
            break
        seen.add(message_id)
        chain.append(message)
        message_id = message.get("parentId")
    turns = []
    for message in reversed(chain):
        if "role" not in message:
            continue
        role = message["role"]
        text = output_text(message.get("output")) if role == "assistant" else ""
        content = text or message.get("content")
        if role != "assistant" or content:
            turns.append({"role": role, "content": content})
    return turns


# --8<-- [end:chat-turn]
