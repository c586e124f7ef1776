"""Fixtures for the backend's unit tests: settings and an app on a temporary SQLite."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from reference_backend.env import Settings
from reference_backend.internal.db import create_tables, make_engine
from reference_backend.main import create_app

# --8<-- [start:app]
# Long enough that PyJWT warns about no HMAC key length, even for HS512.
SECRET = "unit-test-secret-" + "0123456789abcdef" * 4


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_environ(
        {"DATA_DIR": str(tmp_path), "WEBUI_SECRET_KEY": SECRET}
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


# --8<-- [end:app]


@pytest.fixture
def client_with(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Clients of apps whose settings differ from `settings` in the fields given, on
    the same database."""
    with ExitStack() as apps:
        yield lambda **changes: apps.enter_context(
            TestClient(create_app(replace(settings, **changes)))
        )


def account(client: TestClient, name: str, admin: dict | None = None) -> dict:
    """Sign up `name@example.com`, the first one as admin, or have `admin` add it."""
    form = {"name": name, "email": f"{name}@example.com", "password": "pw"}
    if admin is None:
        return client.post("/api/v1/auths/signup", json=form).json()
    added = client.post(
        "/api/v1/auths/add", headers=auth(admin), json=form | {"role": "user"}
    )
    return added.json()


def auth(user: dict) -> dict:
    return {"Authorization": f"Bearer {user['token']}"}


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    """A session on a fresh database with the backend's tables."""
    engine = make_engine(settings.database_url)
    create_tables(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()
