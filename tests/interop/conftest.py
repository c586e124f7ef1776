"""Fixtures of the interop suite: pairs of implementations sharing one database.

Each test runs for every ordered pair of the implementations that --target names (A
writes and B reads, then the reverse), against the one shared deployment of that pair.
"""

import itertools
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from contract.targets import add_target_option, requested_targets

from .deployments import Deployments, Side


def pytest_addoption(parser: pytest.Parser) -> None:
    add_target_option(parser)


def distinct_impls(config: pytest.Config) -> list[str]:
    """The implementations named by --target, in order; services are ignored, since
    the suite shares one SQLite file, the default database of every implementation."""
    return list(dict.fromkeys(target.impl for target in requested_targets(config)))


def pytest_configure(config: pytest.Config) -> None:
    """Without two implementations there is nothing to test: say so, do not pass."""
    impls = distinct_impls(config)
    if len(impls) < 2:
        raise pytest.UsageError(
            "the interop suite needs two implementations, e.g. "
            f"--target python --target rust (got: {', '.join(impls)})"
        )


# --8<-- [start:pairs]
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pair" in metafunc.fixturenames:
        pairs = list(itertools.permutations(distinct_impls(metafunc.config), 2))
        metafunc.parametrize(
            "pair",
            pairs,
            ids=[f"{writer}-to-{reader}" for writer, reader in pairs],
            indirect=True,
        )


# --8<-- [end:pairs]


@pytest.fixture(scope="session")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployments]:
    with ExitStack() as stack:
        yield Deployments(stack, tmp_path_factory)


@pytest.fixture
def pair(request: pytest.FixtureRequest, deployments: Deployments) -> tuple[Side, Side]:
    """(writer, reader): the test writes through the first and reads through the
    second."""
    writer, reader = request.param
    sides = deployments.sides((writer, reader))
    return sides[writer], sides[reader]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On a failure, show the tail of both servers' logs."""
    report = yield
    sides = getattr(item, "funcargs", {}).get("pair")
    if report.failed and sides:
        for side in sides:
            report.sections.append(
                (f"{side.server.target.spec} server log (tail)", side.server.log_tail())
            )
    return report
