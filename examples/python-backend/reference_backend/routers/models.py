"""`/api/v1/models`: workspace models; and `/api/models`, the chat UI's model list.

Model ids may contain `/` (`org/model`), so they travel in the query string or
the body, never in the path.
"""

from fastapi import APIRouter, HTTPException, Request

from reference_backend import constants
from reference_backend.internal.db import Int64
from reference_backend.internal.deps import Db, in_session
from reference_backend.models import config
from reference_backend.models import models as workspace
from reference_backend.models.models import (
    MAX_ID_LENGTH,
    Model,
    ModelForm,
    ModelIdForm,
    ModelMeta,
    ModelParams,
)
from reference_backend.models.users import User, UserModel
from reference_backend.utils import access_control
from reference_backend.utils.auth import (
    AdminUser,
    ProviderUser,
    VerifiedUser,
    user_may,
)
from reference_backend.utils.misc import StrictJsonRoute
from reference_backend.utils.models import (
    all_models,
    listed,
    provider_models,
    unique,
)

router = APIRouter(route_class=StrictJsonRoute)
openai_router = APIRouter(route_class=StrictJsonRoute)


def owner_response(owner: User | None) -> dict | None:
    if owner is None:
        return None
    return {
        "id": owner.id,
        "name": owner.name,
        "role": owner.role,
        "email": owner.email,
    }


# This backend keeps no files. A model that references one fails the way
# upstream's lookup of a file it cannot find fails.
def check_knowledge(form: ModelForm, user: UserModel) -> None:
    if user.role == "admin":
        return
    for item in form.meta.knowledge or []:
        if isinstance(item, dict) and item.get("type") == "file" and item.get("id"):
            raise HTTPException(403, constants.ACCESS_PROHIBITED)


def check_background(url: str | None, previous: str | None = None) -> None:
    if url and url != previous:
        raise HTTPException(403, constants.BACKGROUND_NOT_ACCESSIBLE)


def check_avatar(avatar: dict | None, previous: dict | None = None) -> None:
    if avatar and avatar != previous:
        raise HTTPException(403, constants.AVATAR_NOT_ACCESSIBLE)


def get_or_fail(db: Db, model_id: str, status: int) -> Model:
    model = workspace.get_model(db, model_id)
    if model is None:
        raise HTTPException(status, constants.NOT_FOUND)
    return model


# --8<-- [start:list]
@router.get("/list")
def list_models(
    user: VerifiedUser,
    db: Db,
    query: str | None = None,
    view_option: str | None = None,
    tag: str | None = None,
    order_by: str | None = None,
    direction: str | None = None,
    page: Int64 | None = 1,
) -> dict:
    """30 presets a page of those the caller may read, with their owner and whether
    the caller may edit them (a read-only caller does not see their params)."""
    rows, total = workspace.search_models(
        db,
        user_id=user.id,
        readable=access_control.readable(db, user),
        query=query,
        view_option=view_option,
        tag=tag,
        order_by=order_by,
        direction=direction,
        page=max(1, page or 1),
    )
    models = [model for model, _owner in rows]
    writable = access_control.granted_ids(
        db, user, [model.id for model in models], "write"
    )
    items = []
    for item, (model, owner) in zip(
        workspace.to_responses(db, models), rows, strict=True
    ):
        # Images can be large data URIs; the UI fetches them from their own route.
        item["meta"].pop("profile_image_url", None)
        write_access = (
            user.role == "admin" or model.user_id == user.id or model.id in writable
        )
        if not write_access:
            item["params"] = {}
        items.append(
            {**item, "user": owner_response(owner), "write_access": write_access}
        )
    return {"items": items, "total": total}


# --8<-- [end:list]


# --8<-- [start:create]
@router.post("/create")
def create_model(form: ModelForm, user: VerifiedUser, db: Db) -> dict:
    if not user_may(db, user, "workspace.models"):
        raise HTTPException(401, constants.UNAUTHORIZED)
    if len(form.id) > MAX_ID_LENGTH:
        raise HTTPException(400, constants.MODEL_ID_TOO_LONG)
    if form.base_model_id == form.id:
        form.base_model_id = None  # a model cannot be based on itself
    if workspace.get_model(db, form.id) is not None:
        raise HTTPException(401, constants.MODEL_ID_TAKEN)
    # Only admins may override a provider model's own settings.
    if user.role != "admin" and not form.base_model_id:
        raise HTTPException(401, constants.UNAUTHORIZED)
    check_knowledge(form, user)
    check_background(form.meta.background_image_url)
    check_avatar(form.meta.voice_avatar)
    form.access_grants = access_control.allowed_grants(db, user, form.access_grants)
    return workspace.to_response(db, workspace.insert_model(db, form, user.id))


# --8<-- [end:create]


@router.get("/model")
def get_model(id: str, user: VerifiedUser, db: Db) -> dict:
    """The model for a caller who may read it; its params only if they may edit it."""
    model = get_or_fail(db, id, 404)
    write_access = access_control.may_write(db, user, model)
    if not write_access and model.id not in access_control.granted_ids(
        db, user, [model.id], "read"
    ):
        raise HTTPException(401, constants.ACCESS_PROHIBITED)
    item = workspace.to_response(db, model)
    if not write_access:
        item["params"] = {}
    return {**item, "user": None, "write_access": write_access}


@router.post("/model/toggle")
def toggle_model(id: str, user: VerifiedUser, db: Db) -> dict:
    model = get_or_fail(db, id, 401)
    if not access_control.may_write(db, user, model):
        raise HTTPException(401, constants.UNAUTHORIZED)
    workspace.toggle_model(db, model)
    return workspace.to_response(db, model)


# --8<-- [start:update]
@router.post("/model/update")
def update_model(form: ModelForm, user: VerifiedUser, db: Db) -> dict:
    """Replace the model's configuration; what the form leaves out is kept.

    The id comes from the body. Images, avatar, base model and model controls the
    form does not mention keep their stored values.
    """
    model = get_or_fail(db, form.id, 401)
    if not access_control.may_write(db, user, model):
        raise HTTPException(400, constants.ACCESS_PROHIBITED)
    check_knowledge(form, user)
    if "base_model_id" not in form.model_fields_set:
        form.base_model_id = model.base_model_id
    if form.base_model_id == form.id:
        form.base_model_id = None
    if user.role != "admin" and model.base_model_id and not form.base_model_id:
        raise HTTPException(401, constants.UNAUTHORIZED)
    stored = ModelMeta.model_validate(model.meta or {})
    for key in ("profile_image_url", "voice_avatar", "background_image_url"):
        if key not in form.meta.model_fields_set:
            setattr(form.meta, key, getattr(stored, key))
    check_avatar(form.meta.voice_avatar, stored.voice_avatar)
    check_background(form.meta.background_image_url, stored.background_image_url)
    if "model_controls" not in form.params.model_fields_set:
        form.params.model_controls = ModelParams.model_validate(
            model.params or {}
        ).model_controls
    if not workspace.update_model(db, model, form, user.id):
        raise HTTPException(409, {"code": "version_conflict"})
    return workspace.to_response(db, model)


# --8<-- [end:update]


@router.post("/model/delete")
def delete_model(form: ModelIdForm, user: VerifiedUser, db: Db) -> bool:
    model = get_or_fail(db, form.id, 401)
    if not access_control.may_write(db, user, model):
        raise HTTPException(401, constants.UNAUTHORIZED)
    workspace.delete_model(db, model)
    return True


# --8<-- [start:openai-list]
@openai_router.get("/models")
@openai_router.get("/v1/models")
async def list_chat_models(
    request: Request, user: ProviderUser, refresh: bool = False
) -> dict:
    """The models a chat can use, as `{"data": [...]}`: the connections' models,
    then workspace models, as `user` may see them, in the admin's order."""
    models = await all_models(request, user, refresh=refresh)
    models = await in_session(request, access_control.visible, user, unique(models))
    order = await in_session(request, config.get, "ui.model_order_list")
    return {"data": listed(models, order)}


# --8<-- [end:openai-list]


# --8<-- [start:base-list]
@openai_router.get("/models/base")
async def list_base_models(request: Request, admin: AdminUser) -> dict:
    """The connections' own models, before any workspace model is applied."""
    return {"data": list((await provider_models(request, admin)).values())}


# --8<-- [end:base-list]
