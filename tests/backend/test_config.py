"""The `config` table: seeded from the environment once, then the database wins."""

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from reference_backend.internal.db import create_tables, make_engine, session_factory
from reference_backend.main import create_app
from reference_backend.models import config


@pytest.fixture
def db(settings) -> Session:
    engine = make_engine(settings.database_url)
    create_tables(engine)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_first_start_seeds_the_environment(db, settings):
    config.seed(db, replace(settings, enable_signup=False, jwt_expires_in="1h"))
    assert config.get(db, "ui.enable_signup") is False
    assert config.get(db, "auth.jwt_expiry") == "1h"
    assert config.get(db, "user.permissions") == config.DEFAULT_PERMISSIONS


# --8<-- [start:stored-values-win]
def test_stored_values_win_over_the_environment(db, settings):
    config.seed(db, settings)
    config.upsert(db, {"ui.default_user_role": "user"})
    config.seed(db, replace(settings, default_user_role="admin"))
    assert config.get(db, "ui.default_user_role") == "user"


# --8<-- [end:stored-values-win]


def test_get_many_answers_none_for_missing_keys(db):
    config.upsert(db, {"auth.enable_api_keys": True})
    assert config.get_many(db, "auth.enable_api_keys", "nope") == {
        "auth.enable_api_keys": True,
        "nope": None,
    }
    assert config.get(db, "nope") is None
    assert config.get_many(db) == {}


def test_reading_a_few_keys_leaves_the_other_rows_unread(db, settings):
    """Open WebUI keeps hundreds of rows here; a read fetches only the keys it names.

    A row of raw bytes stands for the others: a read that decoded it would fail.
    """
    config.seed(db, settings)
    db.execute(text("INSERT INTO config VALUES (X'80', X'80', 0)"))
    db.commit()
    assert config.get_many(db, "ui.enable_signup", "nope") == {
        "ui.enable_signup": settings.enable_signup,
        "nope": None,
    }
    assert config.get(db, "auth.jwt_expiry") == settings.jwt_expires_in
    config.seed(db, replace(settings, jwt_expires_in="1h"))
    assert config.get(db, "auth.jwt_expiry") == settings.jwt_expires_in


def test_seeding_leaves_other_keys_alone(db, settings):
    config.upsert(db, {"rag.top_k": 5, "ui.default_user_role": "user"})
    config.seed(db, replace(settings, default_user_role="admin"))
    assert config.get_many(db, "rag.top_k", "ui.default_user_role") == {
        "rag.top_k": 5,
        "ui.default_user_role": "user",
    }
    assert config.get(db, "auth.admin.show") is True


def test_a_closed_signup_admits_only_the_first_account(settings):
    """Signup closed by the env still lets the first account in, as upstream does."""
    form = {"name": "First", "email": "first@example.com", "password": "pw-first-1"}
    with TestClient(create_app(replace(settings, enable_signup=False))) as client:
        first = client.post("/api/v1/auths/signup", json=form)
        assert first.status_code == 200, first.text
        assert first.json()["role"] == "admin"
        second = form | {"email": "second@example.com"}
        assert client.post("/api/v1/auths/signup", json=second).status_code == 403


def test_sqlite_runs_in_wal_mode(db):
    assert db.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
