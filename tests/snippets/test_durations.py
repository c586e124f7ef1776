"""The backend's `parse_duration` against the vectors its Rust twin is tested with."""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from reference_backend.utils.durations import parse_duration

VECTORS = json.loads(
    (Path(__file__).parents[2] / "snippets/vectors/durations.json").read_text()
)
MICROSECOND = timedelta(microseconds=1)


# --8<-- [start:spans]
@pytest.mark.parametrize("case", VECTORS["spans"], ids=lambda case: case["input"])
def test_spans_match_upstream(case):
    assert parse_duration(case["input"]) // MICROSECOND == case["micros"]


# --8<-- [end:spans]


@pytest.mark.parametrize("value", VECTORS["never_expires"])
def test_minus_one_and_zero_never_expire(value):
    assert parse_duration(value) is None


@pytest.mark.parametrize(
    "value",
    VECTORS["invalid"] + [d["input"] for d in VECTORS["deviations"]],
)
def test_invalid_strings_are_rejected(value):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)
