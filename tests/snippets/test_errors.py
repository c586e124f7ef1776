"""Errors as FastAPI sends them, for the small app the Rust twin rebuilds in axum."""

import json
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from reference_backend import constants
from reference_backend.main import validation_error
from reference_backend.models.auths import SigninForm
from reference_backend.routers.auths import AuthRoute

VECTORS = json.loads(
    (Path(__file__).parents[2] / "snippets/vectors/errors.json").read_text()
)


# --8<-- [start:tiny-app]
class Item(BaseModel):
    name: str


def tiny_app() -> FastAPI:
    """The app the vectors describe; the Rust twin's errors.rs builds its twin."""
    auths = APIRouter(route_class=AuthRoute)

    @auths.post("/signin")
    def signin(form: SigninForm):
        raise HTTPException(400, constants.INVALID_CRED)

    @auths.get("/")
    def session_while_database_is_down():
        raise OperationalError("SELECT 1", None, ConnectionError("database is down"))

    app = FastAPI()
    app.add_exception_handler(RequestValidationError, validation_error)
    app.include_router(auths, prefix="/api/v1/auths")

    @app.post("/api/v1/items")
    def create_item(item: Item) -> Item:
        return item

    @app.get("/api/v1/items/{item_id}")
    def get_item(item_id: str):
        raise HTTPException(404, constants.NOT_FOUND)

    return app


# --8<-- [end:tiny-app]


# --8<-- [start:check]
@pytest.fixture(scope="module")
def client():
    with TestClient(tiny_app()) as client:
        yield client


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_every_error_has_upstreams_status_body_and_headers(client, case):
    sent = case["request"]
    content_type = sent["content_type"]
    response = client.request(
        sent["method"],
        sent["path"],
        content=sent["content"],
        headers={"content-type": content_type} if content_type else {},
    )
    assert response.status_code == case["status"]
    assert response.json() == case["body"]
    for name, expected in case["headers"].items():
        assert response.headers.get(name) == expected, name


# --8<-- [end:check]
