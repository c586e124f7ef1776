"""The backing services a `+postgres` or `+redis` target runs against.

Each server gets its own database and its own Redis key prefix, so servers never see
each other's state, and both are removed when the server is gone.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis

# The local services CI provides: trust auth for postgres, no password for Redis.
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty database; yields its URL and drops it afterwards."""
    name = f"contract_{secrets.token_hex(6)}"
    # CREATE/DROP DATABASE cannot run inside a transaction, hence autocommit.
    try:
        admin = psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"a +postgres target needs {POSTGRES_SERVER} ({error}); .ci/run "
            "starts the machine's PostgreSQL when it is down"
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_namespace() -> Iterator[str]:
    """A key prefix no other server uses; yields it and deletes its keys afterwards."""
    prefix = f"contract-{secrets.token_hex(6)}"
    try:
        with redis.Redis.from_url(REDIS_URL) as probe:
            probe.ping()
    except redis.ConnectionError as error:
        pytest.fail(
            f"a +redis target needs {REDIS_URL} ({error}); .ci/run starts "
            "the machine's Redis when it is down"
        )
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
