"""The `config` table: seeded from the environment once, then the database wins."""

from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from reference_backend.internal.db import create_tables, make_engine, session_factory
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


def test_sqlite_runs_in_wal_mode(db):
    assert db.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
