"""Upstream's user groups, read only: a grant to a group reaches its members.

This backend keeps no groups and never creates their tables (`group`,
`group_member`), so they are declared outside `Base`. On a database Open WebUI
created they exist, and the groups an admin made there count here too.
"""

from sqlalchemy import Column, MetaData, Table, Text, inspect, select
from sqlalchemy.orm import Session

# Only the columns read; upstream's tables have more.
_tables = MetaData()
group = Table(
    "group",
    _tables,
    Column("id", Text, primary_key=True),
    Column("parent_group_id", Text),
)
group_member = Table(
    "group_member", _tables, Column("group_id", Text), Column("user_id", Text)
)


# --8<-- [start:memberships]
def group_ids_of(db: Session, user_id: str) -> set[str]:
    """The groups the user is a member of, and every group above those.

    Upstream counts a member of a group as a member of its parent groups too, and
    ignores a membership whose group is gone.
    """
    if not inspect(db.connection()).has_table(group_member.name):
        return set()
    chain = (
        select(group_member.c.group_id)
        .where(group_member.c.user_id == user_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union(
        select(group.c.parent_group_id)
        .join(chain, group.c.id == chain.c.group_id)
        .where(group.c.parent_group_id.is_not(None))
    )
    return set(
        db.scalars(select(group.c.id).join(chain, group.c.id == chain.c.group_id))
    )


# --8<-- [end:memberships]
