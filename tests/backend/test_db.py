"""SQLite connections: WAL, then upstream's PRAGMAs from the settings."""

from sqlalchemy import text

from reference_backend.internal.db import make_engine

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
