"""The twins' own `twin_revoked_token` table: signed-out tokens, without Redis.

Upstream revokes a token only in Redis, so without Redis a signed-out token stays
valid until it expires. With `WEBUI_AUTH_REVOCATION_TABLE` on, signout records the
token's `jti` here too and every request checks it. Open WebUI ignores tables it does
not know, so it can share the database; the table exists only once the option has
been on, and the default schema stays upstream's.
"""

import time

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    Table,
    Text,
    delete,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# --8<-- [start:revoked-tokens]
# Both twins run this statement word for word, so the schema does not depend on which
# one created it (SQLAlchemy's own DDL would spell the key differently).
CREATE = text(
    "CREATE TABLE IF NOT EXISTS twin_revoked_token "
    "(jti TEXT PRIMARY KEY, expires_at BIGINT)"
)
# Outside `Base`, so that `create_tables` never creates it.
revoked_token = Table(
    "twin_revoked_token",
    MetaData(),
    Column("jti", Text, primary_key=True),
    # The token's `exp` in Unix seconds; NULL for a token that never expires.
    Column("expires_at", BigInteger),
)
# The INSERT of each database that can add `ON CONFLICT (jti) DO NOTHING`.
INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def create(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(CREATE)


def revoke(db: Session, jti: str, expires_at: int | None) -> None:
    """Record a signed-out token, after dropping the rows of tokens expired anyway.

    Signing out twice revokes once: the second insert is ignored.
    """
    db.execute(
        delete(revoked_token).where(
            revoked_token.c.expires_at.is_not(None),
            revoked_token.c.expires_at < int(time.time()),
        )
    )
    insert = INSERTS[db.get_bind().dialect.name](revoked_token)
    db.execute(
        insert.values(jti=jti, expires_at=expires_at).on_conflict_do_nothing(
            index_elements=[revoked_token.c.jti]
        )
    )
    db.commit()


def is_revoked(db: Session, jti: str) -> bool:
    found = select(revoked_token.c.jti).where(revoked_token.c.jti == jti)
    return db.scalar(found) is not None


# --8<-- [end:revoked-tokens]
