"""The data model page's diagram against the backend's SQLAlchemy metadata.

Every table, column, type and key the erDiagram names must be in the metadata, every
table and column of the metadata must be in the diagram, and its solid lines must be
exactly the foreign keys.
"""

import re

import pytest
from sqlalchemy import Table, create_engine
from sqlalchemy.dialects import sqlite

import block_audit
from block_audit import ROOT
from reference_backend.internal.db import Base, create_tables

PAGE = ROOT / "docs/architecture/data-model.md"
ENTITY = re.compile(r"^\s*(?P<table>\w+)\s*\{(?P<body>[^}]*)\}", flags=re.MULTILINE)
ATTRIBUTE = re.compile(
    r"^\s*(?P<type>\S+)\s+(?P<column>\w+)(?P<keys>(?:\s*,?\s*\b(?:PK|FK|UK)\b)*)"
    r'(?:\s+"[^"]*")?\s*$'
)
RELATIONSHIP = re.compile(
    r"^\s*(?P<left>\w+)\s+[|}o]{2}(?P<line>--|\.\.)[|{o]{2}\s+(?P<right>\w+)\s*:",
    flags=re.MULTILINE,
)


def diagram() -> str:
    (block,) = [
        b
        for b in block_audit.fenced_blocks(PAGE)
        if b.language == "mermaid" and b.body.lstrip().startswith("erDiagram")
    ]
    return block.body


def diagram_tables() -> dict[str, dict[str, tuple[str, set[str]]]]:
    """Table → column → (type, keys), as the diagram gives them."""
    tables = {}
    for entity in ENTITY.finditer(diagram()):
        columns = {}
        for line in filter(str.strip, entity["body"].splitlines()):
            attribute = ATTRIBUTE.match(line)
            assert attribute, f"{entity['table']}: cannot read {line.strip()!r}"
            keys = set(re.findall(r"PK|FK|UK", attribute["keys"]))
            columns[attribute["column"]] = (attribute["type"], keys)
        tables[entity["table"]] = columns
    return tables


def metadata_tables() -> dict[str, Table]:
    """The backend's tables, registered by the imports `create_tables` makes."""
    create_tables(create_engine("sqlite://"))
    return dict(Base.metadata.tables)


def column_facts(table: Table) -> dict[str, tuple[str, set[str]]]:
    """Column → (SQLite DDL type, keys), the form the diagram uses."""
    facts = {}
    for column in table.columns:
        keys = {
            key
            for key, present in (
                ("PK", column.primary_key),
                ("FK", bool(column.foreign_keys)),
                ("UK", bool(column.unique)),
            )
            if present
        }
        facts[column.name] = (column.type.compile(dialect=sqlite.dialect()), keys)
    return facts


DIAGRAM = diagram_tables()
METADATA = metadata_tables()


def test_the_diagram_names_every_table_of_the_metadata_and_no_other():
    assert set(DIAGRAM) == set(METADATA)


@pytest.mark.parametrize("table", sorted(METADATA))
def test_columns_types_and_keys_match_the_metadata(table: str):
    assert DIAGRAM.get(table) == column_facts(METADATA[table])


def test_solid_lines_are_exactly_the_foreign_keys():
    lines = list(RELATIONSHIP.finditer(diagram()))
    solid = {(m["left"], m["right"]) for m in lines if m["line"] == "--"}
    foreign_keys = {
        (key.column.table.name, table.name)
        for table in METADATA.values()
        for key in table.foreign_keys
    }
    assert solid == foreign_keys
    dotted = {(m["left"], m["right"]) for m in lines if m["line"] == ".."}
    assert dotted <= {(a, b) for a in METADATA for b in METADATA}
    assert not dotted & foreign_keys
