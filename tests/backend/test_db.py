"""SQLite connections: WAL, then upstream's PRAGMAs from the settings."""

from types import SimpleNamespace

import pytest
from fastapi import HTTPException
from psycopg import DataError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from reference_backend.constants import UNSTORABLE_TEXT
from reference_backend.internal.db import (
    I64_MAX,
    is_unique_violation,
    make_engine,
    one_page,
    refuse_unstorable_text,
)
from reference_backend.models import auths, users

# What SQLite answers for the defaults: NORMAL is 1, MEMORY is 2.
DEFAULT_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 1,
    "busy_timeout": 5000,
    "cache_size": -65536,
    "temp_store": 2,
    "mmap_size": 268435456,
    "journal_size_limit": 67108864,
}


def test_every_new_connection_runs_the_pragmas(settings):
    engine = make_engine(settings.database_url, settings.sqlite_pragmas)
    with engine.connect() as connection:
        read = {
            name: connection.scalar(text(f"PRAGMA {name}")) for name in DEFAULT_PRAGMAS
        }
    engine.dispose()
    assert read == DEFAULT_PRAGMAS


# --8<-- [start:first-admin]
def add_account(db, email: str):
    return auths.insert_user(
        db,
        email=email,
        password_hash="x",
        name="N",
        profile_image_url=None,
        role="pending",
    )


def test_only_the_first_to_ask_becomes_the_admin(db):
    first, second = add_account(db, "a@example.com"), add_account(db, "b@example.com")
    assert users.promote_first_admin(db, second.id) is True
    assert users.promote_first_admin(db, first.id) is False
    assert users.get_user_by_id(db, first.id).role == "pending"
    assert users.get_user_by_id(db, second.id).role == "admin"


# --8<-- [end:first-admin]


def test_a_duplicate_email_is_a_unique_violation(db):
    add_account(db, "a@example.com")
    with pytest.raises(IntegrityError) as refused:
        add_account(db, "A@example.com")
    assert is_unique_violation(refused.value)


def test_the_last_page_a_bigint_can_number_is_read_not_overflowed(db):
    """Its offset passes the largest BIGINT and stops there, as the Rust twin's does."""
    add_account(db, "a@example.com")
    assert db.scalars(one_page(select(users.User.id), I64_MAX, 60)).all() == []


@pytest.mark.parametrize(
    "error",
    [
        DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
        type("ServerError", (Exception,), {"sqlstate": "22021"})(),
    ],
    ids=["psycopg", "server"],
)
def test_postgresqls_refusal_of_a_nul_is_the_clients_400(error):
    with pytest.raises(HTTPException) as refused:
        refuse_unstorable_text(SimpleNamespace(original_exception=error))
    assert (refused.value.status_code, refused.value.detail) == (400, UNSTORABLE_TEXT)


def test_other_database_errors_pass_the_hook_unchanged():
    refuse_unstorable_text(SimpleNamespace(original_exception=DataError("NULL")))
