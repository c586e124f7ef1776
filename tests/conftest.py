"""Options and markers for the whole suite, registered here because pytest reads
options only from the conftest at the root of the tests: `--target` chooses the
servers that the contract, interop and frontend suites run against."""

import pytest
from contract.targets import add_target_option, requested_targets


def pytest_addoption(parser: pytest.Parser) -> None:
    add_target_option(parser)


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Tests against Open WebUI itself run only when it is a target: without it they
    are deselected, which the summary reports, rather than skipped or passed."""
    if any(target.impl == "upstream" for target in requested_targets(config)):
        return
    needing = [item for item in items if item.get_closest_marker("needs_upstream")]
    if needing:
        config.hook.pytest_deselected(items=needing)
        items[:] = [item for item in items if item not in needing]
