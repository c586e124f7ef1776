"""Upstream's `model` table: workspace models, presets over a provider's model.

A workspace model names a base model (`base_model_id`) and adds a system prompt,
parameters and display metadata. A row without a base model instead overrides
the settings of the provider model with the same id.
"""

import copy
import json
import re
import time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    String,
    Text,
    cast,
    delete,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from reference_backend.internal.db import Base, JSONField, one_page
from reference_backend.models import access_grants, model_history
from reference_backend.models.users import User
from reference_backend.utils.misc import SanitizedForm
from reference_backend.utils.validate import validate_image_url

RESOURCE = "model"  # the `resource_type` of a model's grants
MODELS_PER_PAGE = 30
MAX_ID_LENGTH = 256
FILE_URL = re.compile(
    r"/api/v1/files/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}/content"
)
SORT_COLUMNS = ("name", "created_at", "updated_at")


# --8<-- [start:table]
class Model(Base):
    __tablename__ = "model"

    id = Column(Text, primary_key=True)
    user_id = Column(Text)
    base_model_id = Column(Text)
    name = Column(Text)
    # JSON in TEXT columns, unlike the chat tables' JSON columns.
    params = Column(JSONField)
    meta = Column(JSONField)
    updated_at = Column(BigInteger)
    created_at = Column(BigInteger)
    is_active = Column(Boolean, default=True, server_default=true(), nullable=False)
    version_id = Column(Text)


# --8<-- [end:table]


# --8<-- [start:controls]
# A control key becomes a JavaScript object key in the browser.
ControlKey = Annotated[
    str,
    Field(
        pattern=re.compile(r"^(?!(?:constructor|prototype)\Z)[a-zA-Z][a-zA-Z0-9_-]*\Z")
    ),
]


class ModelControlOption(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    label: str = Field(pattern=r"\S")
    params: dict[str, JsonValue]


class ModelControl(BaseModel):
    """A menu or slider in the chat UI; each option is a set of parameters."""

    display: Literal["menu", "slider"] = Field(
        default="menu", exclude_if=lambda value: value == "menu"
    )
    label: str = Field(pattern=r"\S")
    description: str | None = Field(
        default=None, exclude_if=lambda value: value is None
    )
    default: str | None = Field(default=None, exclude_if=lambda value: value is None)
    options: dict[ControlKey, ModelControlOption] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> "ModelControl":
        if self.display == "slider" and len(self.options) < 2:
            raise ValueError("A slider needs at least two options.")
        if self.default is not None and self.default not in self.options:
            raise ValueError("Default must name an approved option.")
        return self


# --8<-- [end:controls]


# --8<-- [start:payloads]
# --8<-- [start:params]
class ModelParams(BaseModel):
    """Inference parameters (system prompt, temperature…), any key allowed."""

    model_config = ConfigDict(extra="allow")

    model_controls: dict[ControlKey, ModelControl] = Field(
        default_factory=dict, exclude_if=lambda value: not value
    )


# --8<-- [end:params]


class ModelVoice(BaseModel):
    voice: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=r"^\S+$"
    )


class ModelMeta(BaseModel):
    """Display metadata; clients store more keys here, which are kept."""

    model_config = ConfigDict(extra="allow")

    profile_image_url: str | None = None
    background_image_url: str | None = None
    description: str | None = None
    i18n: dict[str, Any] | None = None
    capabilities: dict | None = None
    knowledge: list[Any] | None = None
    voice: ModelVoice | None = None
    voice_avatar: dict | None = None

    @field_validator("profile_image_url", mode="before")
    @classmethod
    def _profile_image(cls, value):
        """An unusable avatar URL is dropped, not refused, so old models still load."""
        if not isinstance(value, str):
            return None
        try:
            return validate_image_url(value)
        except ValueError:
            return None

    @field_validator("background_image_url", mode="before")
    @classmethod
    def _background_image(cls, value):
        if value is not None and not (
            isinstance(value, str) and FILE_URL.fullmatch(value)
        ):
            raise ValueError(
                "Invalid background image URL: must reference an internal file."
            )
        return value

    @field_validator("knowledge", mode="before")
    @classmethod
    def _without_extracted_text(cls, value):
        """Attached files may carry their whole extracted text; it is not kept."""
        if not isinstance(value, list):
            return value
        return [strip_content(item) for item in value]

    @model_validator(mode="before")
    @classmethod
    def _normalize_tags(cls, data):
        if isinstance(data, dict) and "tags" in data:
            return {**data, "tags": normalize_tags(data["tags"])}
        return data


class ModelModel(BaseModel):
    """A `model` row as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    version_id: str | None = None
    id: str
    user_id: str
    base_model_id: str | None = None
    name: str
    params: ModelParams
    meta: ModelMeta
    # The rows of `access_grant` on this model, filled in by `to_response`.
    access_grants: list[dict] = Field(default_factory=list)
    is_active: bool
    updated_at: int
    created_at: int


class ModelForm(SanitizedForm):
    model_config = ConfigDict(extra="ignore")

    commit_message: str | None = None
    id: str = Field(pattern=r"^\S+$")
    base_model_id: str | None = None
    name: str
    meta: ModelMeta
    params: ModelParams
    # Stored when the model is created; an update leaves the grants as they are,
    # as upstream's does (Open WebUI changes them through its own access route).
    access_grants: list[dict] | None = None
    is_active: bool = True


class ModelIdForm(SanitizedForm):
    id: str


# --8<-- [end:payloads]


def normalize_tags(tags) -> list[dict[str, str]]:
    """Tags as `[{"name": …}]`, from names or objects; blanks and junk dropped."""
    if not isinstance(tags, list):
        return []
    names = [tag.get("name") if isinstance(tag, dict) else tag for tag in tags]
    return [
        {"name": name.strip()}
        for name in names
        if isinstance(name, str) and name.strip()
    ]


def strip_content(item):
    if not isinstance(item, dict):
        return item
    item = copy.deepcopy(item)
    if isinstance(item.get("data"), dict):
        item["data"].pop("content", None)
    file = item.get("file")
    if isinstance(file, dict) and isinstance(file.get("data"), dict):
        file["data"].pop("content", None)
    return item


def model_data(form: ModelForm) -> dict:
    """The columns a form writes; a computed variables schema is never stored."""
    data = form.model_dump(exclude={"access_grants", "commit_message"})
    data["meta"].pop("chat_variables_schema", None)
    return data


def get_model(db: Session, model_id: str) -> Model | None:
    return db.get(Model, model_id)


def to_responses(db: Session, models: list[Model]) -> list[dict]:
    """The models as the API returns them, each with its grants (one query for all)."""
    grants = access_grants.grants_of(db, RESOURCE, [model.id for model in models])
    return [
        ModelModel.model_validate(model).model_dump()
        | {"access_grants": grants[model.id]}
        for model in models
    ]


def to_response(db: Session, model: Model) -> dict:
    [response] = to_responses(db, [model])
    return response


# --8<-- [start:insert]
def insert_model(db: Session, form: ModelForm, user_id: str) -> Model:
    """Store the model with its first history entry, which it then runs, and the
    form's grants, which the caller has already narrowed to those it may give."""
    data = model_data(form)
    now = int(time.time())
    version = model_history.add_entry(
        db, form.id, data, user_id, None, form.commit_message
    )
    model = Model(
        **data, user_id=user_id, version_id=version, created_at=now, updated_at=now
    )
    db.add(model)
    access_grants.replace_grants(
        db, RESOURCE, form.id, access_grants.normalize(form.access_grants)
    )
    db.commit()
    return model


# --8<-- [end:insert]


def update_model(db: Session, model: Model, form: ModelForm, user_id: str) -> bool:
    """Write the form over the model; a changed configuration is a new version.

    False when another writer moved the model to a new version meanwhile.
    """
    data = model_data(form)
    values = {key: value for key, value in data.items() if key != "id"}
    # A form that does not mention `is_active` must not re-enable a disabled model.
    if "is_active" not in form.model_fields_set:
        values.pop("is_active")
    stored = {
        "name": model.name,
        "base_model_id": model.base_model_id,
        "params": ModelParams.model_validate(model.params or {}).model_dump(),
        "meta": ModelMeta.model_validate(model.meta or {}).model_dump(),
    }
    if model_history.snapshot(data) != model_history.snapshot(stored):
        values["version_id"] = model_history.add_entry(
            db, model.id, data, user_id, model.version_id, form.commit_message
        )
    values["updated_at"] = int(time.time())
    result = db.execute(
        update(Model)
        .where(Model.id == model.id, Model.version_id == model.version_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.rollback()
        return False
    db.commit()
    db.refresh(model)
    return True


def toggle_model(db: Session, model: Model) -> None:
    model.is_active = not model.is_active
    model.updated_at = int(time.time())
    db.commit()


def delete_model(db: Session, model: Model) -> None:
    """The model, its history and its grants; nothing else refers to it."""
    access_grants.delete_grants(db, RESOURCE, [model.id])
    db.execute(
        delete(model_history.ModelHistory).where(
            model_history.ModelHistory.model_id == model.id
        )
    )
    db.execute(delete(Model).where(Model.id == model.id))
    db.commit()


def json_spellings(value: str) -> set[str]:
    """How `value` can appear inside stored JSON text: raw or \\u-escaped."""
    return {json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1]}


# --8<-- [start:search]
def search_models(
    db: Session,
    *,
    user_id: str,
    readable: ColumnElement[bool] | None,
    query: str | None,
    view_option: str | None,
    tag: str | None,
    order_by: str | None,
    direction: str | None,
    page: int,
) -> tuple[list[tuple[Model, User | None]], int]:
    """One page of presets (models with a base model) with their owners, and the total.

    `readable` keeps the rows the caller may read; None (an admin) keeps all. As
    upstream does, a request with any filter keeps the database's order unless it
    sorts.
    """
    statement = (
        select(Model, User)
        .outerjoin(User, User.id == Model.user_id)
        .where(Model.base_model_id.is_not(None))
    )
    if query:
        pattern = f"%{query}%"
        statement = statement.where(
            or_(
                Model.name.ilike(pattern),
                Model.base_model_id.ilike(pattern),
                User.name.ilike(pattern),
                User.email.ilike(pattern),
                User.username.ilike(pattern),
            )
        )
    if view_option == "created":
        statement = statement.where(Model.user_id == user_id)
    elif view_option == "shared":
        statement = statement.where(Model.user_id != user_id)
    if readable is not None:
        statement = statement.where(readable)
    if tag:
        statement = statement.where(tag_filter(db, tag))
    filtered = readable is not None or any(
        (query, view_option, tag, order_by, direction)
    )
    if order_by in SORT_COLUMNS:
        column = getattr(Model, order_by)
        statement = statement.order_by(
            column.asc() if direction == "asc" else column.desc()
        )
    elif not filtered:
        statement = statement.order_by(Model.created_at.desc())
    total = db.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = db.execute(one_page(statement, page, MODELS_PER_PAGE)).tuples()
    return list(rows), total


# --8<-- [end:search]


def tag_filter(db: Session, tag: str):
    """`"tag"` inside the meta text; case-insensitive except for non-ASCII on SQLite,
    whose LOWER() only folds ASCII."""
    text = cast(Model.meta, String)
    if db.get_bind().dialect.name != "sqlite" or tag.isascii():
        text, tag = func.lower(text), tag.lower()
    return or_(
        *(
            text.contains(f'"{spelling}"', autoescape=True)
            for spelling in json_spellings(tag)
        )
    )
