"""Fixtures for the backend's unit tests: settings and an app on a temporary SQLite."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reference_backend.env import Settings
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
