"""Options for the whole suite, registered here because pytest reads options only
from the conftest at the root of the tests: `--target` chooses the servers that the
contract and interop suites run against."""

from contract.targets import add_target_option


def pytest_addoption(parser):
    add_target_option(parser)
