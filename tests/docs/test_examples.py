"""pytest-examples: lint and run every Python block the audit counts as an example."""

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

import block_audit

# (file, fence line) of every block the audit says pytest-examples runs.
AUDITED = {
    (block.source, block.line)
    for block in block_audit.audit()
    if block.category == "example"
}
# list(): pytest 9 refuses a generator as parametrize values under filterwarnings=error.
FOUND = list(find_examples(*block_audit.audited_files()))
EXAMPLES = [
    example for example in FOUND if (example.path, example.start_line) in AUDITED
]


def test_pytest_examples_finds_every_audited_example():
    """A block the audit counts but pytest-examples misses (a ~~~ fence) never runs."""
    assert {(example.path, example.start_line) for example in EXAMPLES} == AUDITED


# --8<-- [start:example]
@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_example(example: CodeExample, eval_example: EvalExample):
    eval_example.set_config(
        line_length=88, target_version="py311", ruff_select=["E", "F", "I", "UP", "B"]
    )
    if eval_example.update_examples:
        eval_example.format(example)
        eval_example.run_print_update(example)
    else:
        eval_example.lint(example)
        eval_example.run_print_check(example)


# --8<-- [end:example]
