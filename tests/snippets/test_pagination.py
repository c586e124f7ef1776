"""The backend's `one_page` against the vectors its Rust twin is tested with."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from reference_backend.internal.db import one_page

VECTORS = json.loads(
    (Path(__file__).parents[2] / "snippets/vectors/pagination.json").read_text()
)
PAGES = pytest.mark.parametrize(
    "case", VECTORS["pages"], ids=lambda case: f"page {case['page']} of {case['size']}"
)
# Row n holds n, so a page's rows are the numbers from its offset on.
ROWS = 200
NUMBERS = Table("numbers", MetaData(), Column("n", Integer, primary_key=True))
ORDERED = select(NUMBERS.c.n).order_by(NUMBERS.c.n)


@PAGES
@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_offset_and_limit_match_the_rust_twin(case, dialect):
    """The numbers themselves: SQLite reads a negative offset as 0, PostgreSQL
    refuses one, so only the SQL shows that page 0 and below read as page 1."""
    statement = one_page(ORDERED, case["page"], case["size"])
    sql = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    assert str(sql).endswith(f"LIMIT {case['limit']} OFFSET {case['offset']}")


@pytest.fixture(scope="module")
def engine():
    engine = create_engine("sqlite://")
    NUMBERS.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(NUMBERS), [{"n": n} for n in range(ROWS)])
    yield engine
    engine.dispose()


@PAGES
def test_a_page_holds_its_rows(engine, case):
    with engine.connect() as connection:
        rows = connection.scalars(one_page(ORDERED, case["page"], case["size"]))
        assert list(rows) == list(range(case["offset"], case["offset"] + case["limit"]))
