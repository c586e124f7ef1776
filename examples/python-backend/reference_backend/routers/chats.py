"""`/api/v1/chats`: a user's conversations, their pins, archive and share links.

Status codes follow upstream even where they surprise: a chat that is missing or
someone else's answers 401, not 404, so ids cannot be probed.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from reference_backend import constants
from reference_backend.internal.db import Int64
from reference_backend.internal.deps import Db, Redis, SettingsDep
from reference_backend.models import chats, config, shared_chats
from reference_backend.models.chats import (
    Chat,
    ChatForm,
    ChatResponse,
    ChatTitleIdResponse,
)
from reference_backend.models.shared_chats import ShareChatForm, SharedChat
from reference_backend.models.users import User, UserModel
from reference_backend.utils.auth import (
    VERIFIED_ROLES,
    VerifiedUser,
    get_current_user,
    has_permission,
    user_may,
)
from reference_backend.utils.misc import StrictJsonRoute

router = APIRouter(route_class=StrictJsonRoute)

# Chat keys that configure the owner's session; other readers do not get them.
PRIVATE_CHAT_KEYS = ("params", "tool_servers", "tool_ids", "filter_ids", "variables")


def optional_user(
    request: Request, db: Db, settings: SettingsDep, redis: Redis
) -> UserModel | None:
    """The verified caller, or None: share links also open without an account."""
    try:
        user = get_current_user(request, db, settings, redis)
    except HTTPException:
        return None
    return user if user.role in VERIFIED_ROLES else None


OptionalUser = Annotated[UserModel | None, Depends(optional_user)]


def own_chat(db: Session, chat_id: str, user: UserModel, detail: str) -> Chat:
    chat = chats.get_user_chat(db, chat_id, user.id)
    if chat is None:
        raise HTTPException(401, detail)
    return chat


def chat_response(chat: Chat) -> dict:
    return ChatResponse.model_validate(chat).model_dump()


# --8<-- [start:authors]
def set_message_authors(chat: dict, user: UserModel) -> None:
    """Attribute every message the client sent to the caller.

    Clients could otherwise put words in another user's mouth in a shared chat.
    """
    for message in chats.all_messages(chat):
        message["user_id"] = user.id
        if message.get("role") == "user":
            message["user"] = {"id": user.id, "name": user.name}


# --8<-- [end:authors]


def present_chat(db: Session, data: dict, viewer: UserModel | None) -> dict:
    """Shape a chat for `viewer`: owner-only keys and others' message meta go.

    Each user message names its author, looked up when the message does not say.
    """
    owner = data["user_id"]
    if viewer is None or owner != viewer.id:
        data["variables"] = {}
        for key in PRIVATE_CHAT_KEYS:
            data["chat"].pop(key, None)
    messages = chats.all_messages(data["chat"])
    authors = {}
    for message in messages:
        if message.get("role") == "user":
            author = (
                message.get("user") if isinstance(message.get("user"), dict) else {}
            )
            author_id = message.get("user_id") or author.get("id") or owner
            message["user_id"] = author_id
            if author.get("id") == author_id and author.get("name"):
                authors[author_id] = {"id": author_id, "name": author["name"]}
        if viewer is None or (message.get("user_id") or owner) != viewer.id:
            message.pop("meta", None)
    wanted = {
        m["user_id"] for m in messages if m.get("role") == "user"
    } - authors.keys()
    if wanted:
        rows = db.execute(select(User.id, User.name).where(User.id.in_(wanted)))
        authors |= {row.id: {"id": row.id, "name": row.name} for row in rows}
    for message in messages:
        if message.get("role") == "user":
            unknown = {"id": message["user_id"], "name": ""}
            message["user"] = authors.get(message["user_id"], unknown)
    return data


def snapshot_response(shared: SharedChat) -> dict:
    """A share link's frozen copy, shaped like the chat it was taken from."""
    return ChatResponse(
        id=shared.id,
        user_id=shared.user_id,
        title=shared.title,
        chat=shared.chat,
        created_at=shared.created_at,
        updated_at=shared.updated_at,
        share_id=shared.id,
        archived=False,
    ).model_dump()


# --8<-- [start:list]
@router.get("/", response_model=list[ChatTitleIdResponse])
@router.get("/list", response_model=list[ChatTitleIdResponse])
def list_chats(
    user: VerifiedUser,
    db: Db,
    page: Int64 | None = None,
    include_pinned: bool | None = False,
    include_folders: bool | None = False,
    sort_by: str = "updated_at",
    sort_dir: str = "desc",
) -> list[ChatTitleIdResponse]:
    """The sidebar list, 60 a page; without `page`, every chat at once."""
    return chats.list_titles(
        db,
        user.id,
        include_pinned=bool(include_pinned),
        include_folders=bool(include_folders),
        sort_by=sort_by,
        sort_dir=sort_dir,
        page=page,
    )


# --8<-- [end:list]


@router.delete("/", response_model=bool)
def delete_all_chats(user: VerifiedUser, db: Db) -> bool:
    if not user_may(db, user, "chat.delete"):
        raise HTTPException(401, constants.ACCESS_PROHIBITED)
    chats.delete_chats_by_user_id(db, user.id)
    return True


# --8<-- [start:create]
@router.post("/new", response_model=ChatResponse)
def create_chat(form: ChatForm, user: VerifiedUser, db: Db) -> dict:
    # This backend has no folders, so every folder id is an unknown one.
    if form.folder_id is not None:
        raise HTTPException(404, constants.NOT_FOUND)
    try:
        set_message_authors(form.chat, user)
    except (AttributeError, TypeError) as error:
        raise HTTPException(400, constants.DEFAULT) from error
    if user.role != "admin":
        permissions = config.get(db, "user.permissions")
        if has_permission(permissions, "chat.temporary") and has_permission(
            permissions, "chat.temporary_enforced"
        ):
            raise HTTPException(403, constants.ACCESS_PROHIBITED)
    try:
        chat = chats.insert_new_chat(db, user.id, form)
    except ValueError as error:
        raise HTTPException(400, constants.DEFAULT) from error
    return chat_response(chat)


# --8<-- [end:create]


@router.get("/pinned", response_model=list[ChatTitleIdResponse])
def list_pinned_chats(user: VerifiedUser, db: Db) -> list[ChatTitleIdResponse]:
    return chats.list_pinned(db, user.id)


@router.get("/archived", response_model=list[ChatTitleIdResponse])
def list_archived_chats(
    user: VerifiedUser,
    db: Db,
    page: Int64 | None = None,
    query: str | None = None,
    order_by: str | None = None,
    direction: str | None = None,
) -> list[ChatTitleIdResponse]:
    try:
        return chats.list_archived(
            db,
            user.id,
            query=query,
            order_by=order_by,
            direction=direction,
            page=1 if page is None else page,
        )
    except ValueError as error:
        raise HTTPException(400, constants.DEFAULT) from error


# --8<-- [start:share-link]
@router.get("/share/{share_id}", response_model=ChatResponse)
def get_shared_chat(share_id: str, user: OptionalUser, db: Db) -> dict:
    """A share link: its creator and admins may open it (this backend stores no
    access grants); the creator of a `continue` share sees the live chat."""
    shared = shared_chats.get_shared_chat(db, share_id)
    if shared is not None:
        if user is not None and (user.role == "admin" or shared.user_id == user.id):
            chat = chats.get_chat(db, shared.chat_id)
            live = (
                (shared.chat or {}).get("share_mode") == "continue"
                and chat is not None
                and chat.user_id == user.id
            )
            data = chats.read_chat(chat) if live else snapshot_response(shared)
            data = present_chat(db, data, user)
            data["chat"]["share_mode"] = "continue" if live else None
            return data
        detail = constants.ACCESS_PROHIBITED if user else constants.INVALID_TOKEN
        raise HTTPException(401, detail)
    # Admins may also open any chat by its own id.
    chat = chats.get_chat(db, share_id) if user and user.role == "admin" else None
    if chat is None:
        raise HTTPException(401, constants.NOT_FOUND)
    data = present_chat(db, chats.read_chat(chat), user)
    data["chat"]["share_mode"] = "continue" if chat.user_id == user.id else None
    return data


# --8<-- [end:share-link]


@router.get("/{id}", response_model=ChatResponse)
def get_chat(id: str, user: VerifiedUser, db: Db) -> dict:
    """The owner's chat; admins may read anyone's, as upstream allows by default."""
    chat = chats.get_chat(db, id)
    if chat is None or (chat.user_id != user.id and user.role != "admin"):
        raise HTTPException(401, constants.NOT_FOUND)
    data = present_chat(db, chats.read_chat(chat), user)
    # Only the owner may continue the chat; everyone else reads it.
    data["chat"]["share_mode"] = "continue" if chat.user_id == user.id else None
    return data


# --8<-- [start:update]
@router.post("/{id}", response_model=ChatResponse)
def update_chat(id: str, form: ChatForm, user: VerifiedUser, db: Db) -> dict:
    """Merge `form.chat` into the stored chat; only its owner may."""
    chat = own_chat(db, id, user, constants.ACCESS_PROHIBITED)
    # A title-only change leaves the chat where it is in the recency order.
    touch = "history" in form.chat or "messages" in form.chat
    try:
        set_message_authors(form.chat, user)
        chats.update_chat(db, chat, form.chat, touch=touch)
    except (AttributeError, KeyError, TypeError, ValueError, SQLAlchemyError) as error:
        db.rollback()
        raise HTTPException(400, constants.DEFAULT) from error
    if form.variables is not None:
        chats.set_variables(db, chat, form.variables)
    return chat_response(chat)


# --8<-- [end:update]


@router.delete("/{id}", response_model=bool)
def delete_chat(id: str, user: VerifiedUser, db: Db) -> bool:
    if user.role == "admin":
        chat = chats.get_chat(db, id)
    elif not user_may(db, user, "chat.delete"):
        raise HTTPException(401, constants.ACCESS_PROHIBITED)
    else:
        chat = chats.get_user_chat(db, id, user.id)
    if chat is None:
        raise HTTPException(404, constants.NOT_FOUND)
    chats.delete_chat(db, chat)
    return True


@router.get("/{id}/pinned", response_model=bool | None)
def get_pinned(id: str, user: VerifiedUser, db: Db) -> bool | None:
    return own_chat(db, id, user, constants.DEFAULT).pinned


@router.post("/{id}/pin", response_model=ChatResponse)
def toggle_pinned(id: str, user: VerifiedUser, db: Db) -> dict:
    chat = own_chat(db, id, user, constants.DEFAULT)
    chats.toggle_pinned(db, chat)
    return chat_response(chat)


@router.post("/{id}/archive", response_model=ChatResponse)
def toggle_archived(id: str, user: VerifiedUser, db: Db) -> dict:
    chat = own_chat(db, id, user, constants.DEFAULT)
    chats.toggle_archived(db, chat)
    return chat_response(chat)


# --8<-- [start:share]
@router.post("/{id}/share", response_model=ChatResponse)
def share_chat(
    id: str, user: VerifiedUser, db: Db, form: ShareChatForm | None = None
) -> dict:
    """Snapshot the chat behind a share link; sharing again refreshes the snapshot."""
    if not user_may(db, user, "chat.share"):
        raise HTTPException(401, constants.ACCESS_PROHIBITED)
    chat = own_chat(db, id, user, constants.ACCESS_PROHIBITED)
    shared = shared_chats.get_shared_chat(db, chat.share_id) if chat.share_id else None
    if shared is not None:
        shared_chats.refresh_shared_chat(db, shared, chat, form)
        return chats.read_chat(chat)
    mode = form.share_mode if form else None
    shared = shared_chats.create_shared_chat(db, chat, user.id, mode)
    chats.set_share_id(db, chat, shared.id)
    return chat_response(chat)


# --8<-- [end:share]


@router.delete("/{id}/share", response_model=bool | None)
def unshare_chat(id: str, user: VerifiedUser, db: Db) -> bool:
    chat = own_chat(db, id, user, constants.ACCESS_PROHIBITED)
    shared_chats.delete_shared_chats(db, chat.id)
    if chat.share_id:
        chats.set_share_id(db, chat, None)
    return True
