"""`WEBUI_AUTH_REVOCATION_TABLE`: signout revokes a token in the database, no Redis.

The table is the twins' own; on SQLite here (the contract suite runs PostgreSQL).
"""

import time
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from reference_backend.internal.db import create_tables, make_engine, session_factory
from reference_backend.models import config, revoked_tokens
from reference_backend.models.revoked_tokens import revoked_token
from reference_backend.utils.auth import decode_token, revoked_key

from .conftest import SECRET, account, auth

# The DDL both twins run, as SQLite keeps it.
STORED_DDL = "CREATE TABLE twin_revoked_token (jti TEXT PRIMARY KEY, expires_at BIGINT)"


@pytest.fixture
def engine(settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session on a database with the table, created twice, as two starts would."""
    revoked_tokens.create(engine)
    revoked_tokens.create(engine)
    with session_factory(engine)() as session:
        yield session


def has_table(engine: Engine) -> bool:
    return inspect(engine).has_table("twin_revoked_token")


def rows(db: Session) -> dict[str, int | None]:
    return dict(db.execute(select(revoked_token)).all())


def test_the_table_is_created_with_the_twins_ddl(db):
    stored = db.scalar(
        text("SELECT sql FROM sqlite_master WHERE name = 'twin_revoked_token'")
    )
    assert stored == STORED_DDL


def test_the_slices_tables_do_not_include_it(engine):
    create_tables(engine)
    assert not has_table(engine)


def test_a_revoked_jti_is_revoked_once(db):
    assert not revoked_tokens.is_revoked(db, "jti-1")
    revoked_tokens.revoke(db, "jti-1", int(time.time()) + 60)
    revoked_tokens.revoke(db, "jti-1", None)
    assert revoked_tokens.is_revoked(db, "jti-1")
    assert not revoked_tokens.is_revoked(db, "jti-2")
    assert list(rows(db)) == ["jti-1"]


def test_revoking_drops_the_rows_of_tokens_expired_anyway(db):
    now = int(time.time())
    revoked_tokens.revoke(db, "expired", now - 1)
    revoked_tokens.revoke(db, "endless", None)
    revoked_tokens.revoke(db, "later", now + 60)
    revoked_tokens.revoke(db, "new", now + 60)
    assert rows(db) == {"endless": None, "later": now + 60, "new": now + 60}


def test_by_default_signout_without_redis_leaves_the_token_valid(client, engine):
    admin = account(client, "admin")
    assert client.post("/api/v1/auths/signout", headers=auth(admin)).is_success
    assert client.get("/api/v1/auths/", headers=auth(admin)).status_code == 200
    assert not has_table(engine)


def test_with_the_table_signout_revokes_the_token_on_every_route(client_with):
    client = client_with(revocation_table=True)
    admin = account(client, "admin")
    other = client.post(
        "/api/v1/auths/signin",
        json={"email": "admin@example.com", "password": "pw"},
    ).json()
    signout = client.post("/api/v1/auths/signout", headers=auth(admin))
    assert (signout.status_code, signout.json()) == (200, {"status": True})
    refused = client.get("/api/v1/auths/", headers=auth(admin))
    assert (refused.status_code, refused.json()) == (401, {"detail": "Invalid token"})
    assert "permissions" not in client.get("/api/config", headers=auth(admin)).json()
    again = client.post("/api/v1/auths/signout", headers=auth(admin))
    assert (again.status_code, again.json()) == (200, {"status": True})
    assert client.get("/api/v1/auths/", headers=auth(other)).status_code == 200


def test_a_token_without_expiry_is_kept_revoked_for_ever(client_with, engine):
    client = client_with(revocation_table=True)
    account(client, "admin")
    with session_factory(engine)() as db:
        config.upsert(db, {"auth.jwt_expiry": "-1"})
    endless = client.post(
        "/api/v1/auths/signin",
        json={"email": "admin@example.com", "password": "pw"},
    ).json()
    client.post("/api/v1/auths/signout", headers=auth(endless))
    jti = decode_token(endless["token"], SECRET)["jti"]
    with session_factory(engine)() as db:
        assert rows(db)[jti] is None
    assert client.get("/api/v1/auths/", headers=auth(endless)).status_code == 401


def test_with_redis_too_signout_writes_both(client_with, engine):
    prefix = f"unit-{time.time_ns()}"
    client = client_with(
        revocation_table=True,
        redis_url="redis://127.0.0.1:6379",
        redis_key_prefix=prefix,
    )
    admin = account(client, "admin")
    client.post("/api/v1/auths/signout", headers=auth(admin))
    claims = decode_token(admin["token"], SECRET)
    with session_factory(engine)() as db:
        assert rows(db) == {claims["jti"]: claims["exp"]}
    with redis.Redis(host="127.0.0.1", port=6379) as store:
        key = revoked_key(prefix, claims["jti"])
        assert store.get(key) == b"1"
        store.delete(key)
    assert client.get("/api/v1/auths/", headers=auth(admin)).status_code == 401
