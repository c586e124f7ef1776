"""Which servers a run tests: the `--target` option and the specs it takes.

A spec is `IMPL[+postgres][+redis][+provider][+hardened]`: the implementation, then the
services it runs against. SQLite in DATA_DIR is the default database; no Redis and no
model provider are the defaults. `+provider` connects the repository's OpenAI-compatible
provider, as every real deployment has one. Open WebUI answers some routes differently
then, and the contract must hold under the settings users run, not the minimal ones.
`+hardened` is not a service: it turns on every hardening option of the twins
(`servers.HARDENED_ENV`), which Open WebUI does not have.
"""

from dataclasses import dataclass

import pytest

IMPLS = ("python", "upstream", "rust")
SERVICES = ("postgres", "redis", "provider")
HARDENED = "hardened"
DEFAULT_SPEC = "python"
# The first-admin race and the crash rounds: how often each repeats per target.
DEFAULT_REPETITIONS = 20
FEW_REPETITIONS = 3


@dataclass(frozen=True)
class Target:
    """One implementation with its backing services, as one `--target` spec names it."""

    impl: str
    postgres: bool = False
    redis: bool = False
    provider: bool = False
    hardened: bool = False

    @classmethod
    def parse(cls, spec: str) -> "Target":
        impl, *services = spec.strip().split("+")
        if impl not in IMPLS:
            raise pytest.UsageError(
                f"--target {spec!r}: the implementation must be one of "
                f"{', '.join(IMPLS)}"
            )
        suffixes = (*SERVICES, HARDENED)
        unknown = set(services) - set(suffixes)
        if unknown or len(set(services)) != len(services):
            raise pytest.UsageError(
                f"--target {spec!r}: after the implementation, only "
                f"{', '.join('+' + suffix for suffix in suffixes)} may follow, each "
                "at most once"
            )
        if impl == "upstream" and HARDENED in services:
            raise pytest.UsageError(
                f"--target {spec!r}: the hardening options are the twins' own"
            )
        return cls(impl, **{suffix: suffix in services for suffix in suffixes})

    @property
    def spec(self) -> str:
        """The canonical spec: the test ids show it."""
        suffixes = (*SERVICES, HARDENED)
        return "+".join(
            [self.impl] + [suffix for suffix in suffixes if getattr(self, suffix)]
        )


def add_target_option(parser: pytest.Parser) -> None:
    """Register `--target` once, though both suites' conftests call this."""
    group = parser.getgroup("contract", "contract and interop suites")
    if any("--target" in option.names() for option in group.options):
        return
    group.addoption(
        "--repetitions",
        type=int,
        default=DEFAULT_REPETITIONS,
        metavar="N",
        help="how often the race and crash tests repeat on each twin target "
        f"(default: {DEFAULT_REPETITIONS}; Open WebUI and +hardened: at most "
        f"{FEW_REPETITIONS})",
    )
    group.addoption(
        "--target",
        action="append",
        default=[],
        metavar="IMPL[+postgres][+redis][+provider][+hardened]",
        help=f"a server to test, IMPL in {{{','.join(IMPLS)}}}; repeatable "
        f"(default: {DEFAULT_SPEC})",
    )


def repeated(
    config: pytest.Config, twins_only: bool = False
) -> tuple[list[tuple[Target, int]], list[str]]:
    """One (target, number) per repetition of a repeated test, and their ids.

    Open WebUI repeats fewer times, or none with `twins_only`: each of its fresh
    servers takes about 20 s to start. So does a `+hardened` twin: no hardening option
    touches the writes these tests race and crash.
    """
    count = config.getoption("repetitions")
    runs = [
        (target, number)
        for target in requested_targets(config)
        if not (twins_only and target.impl == "upstream")
        for number in range(1, 1 + repetitions(target, count))
    ]
    return runs, [f"{target.spec}-{number:02d}" for target, number in runs]


def repetitions(target: Target, count: int) -> int:
    few = target.impl == "upstream" or target.hardened
    return min(count, FEW_REPETITIONS) if few else count


def requested_targets(config: pytest.Config) -> list[Target]:
    """The targets of this run, in the order given, without repeats."""
    specs = config.getoption("target") or [DEFAULT_SPEC]
    targets = [Target.parse(spec) for spec in specs]
    return list(dict.fromkeys(targets))
