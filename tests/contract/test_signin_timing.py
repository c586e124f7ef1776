"""Sign-in takes as long for an unknown email as for a wrong password.

A server that answers an unknown email at once, and a known one only after checking
the password hash, tells an attacker which emails have accounts. Open WebUI, and both
twins, check the password against a placeholder hash when the email is unknown.

The attempts come in pairs, one of each kind in a random order, so the machine's
load weighs on both alike. The verdict is an equivalence test: the bootstrap
confidence interval of the median difference within a pair must lie within a
margin, a fraction of the time a hash check takes. It fails when the difference is
larger (the hash is skipped for one kind) and when the samples are too noisy to tell
(the interval is wider than the margin): "no difference seen" is never enough.
"""

import math
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from . import messages
from .api import Account, signin, unique_email

# Pairs of attempts; the sampling stops earlier at the deadline, since a hash check
# takes from a fifth of a second on an idle machine to half a second on a busy one,
# and a verdict needs at least the minimum.
PAIRS = 30
MIN_PAIRS = 15
SAMPLING_DEADLINE_S = 20.0
# Discarded: the first attempts open the connection, and the Rust twin hashes its
# placeholder on first use.
WARM_UP_PAIRS = 2
# The sign-in limiter allows 15 attempts per email in three minutes.
ATTEMPTS_PER_ACCOUNT = 10
# A difference within a quarter of a hash check's time counts as the same time; a
# server that skips the hash for one kind differs by all of it.
MARGIN_FRACTION = 0.25
CONFIDENCE = 0.99
RESAMPLES = 2000


@dataclass(frozen=True)
class Comparison:
    """The median of the pairs' differences, known minus unknown, in seconds, with
    its bootstrap confidence interval and the margin it must lie within."""

    difference: float
    low: float
    high: float
    margin: float

    @property
    def same_time(self) -> bool:
        return -self.margin < self.low and self.high < self.margin


def compare(pairs: list[tuple[float, float]], seed: int = 0) -> Comparison:
    """Compare the durations of (known, unknown) pairs taken one after the other.

    Within a pair both attempts met about the same load, so the pair's difference
    cancels most of what other processes do to the machine: on a busy machine the
    interval of paired differences was a third as wide as that of the difference
    of the two medians. The interval is a percentile bootstrap over the pairs,
    seeded, so a verdict is reproducible.
    """
    differences = [known - unknown for known, unknown in pairs]
    rng = random.Random(seed)
    resampled = sorted(
        statistics.median(rng.choices(differences, k=len(differences)))
        for _ in range(RESAMPLES)
    )
    tail = int(RESAMPLES * (1 - CONFIDENCE) / 2)
    slower = max(statistics.median(column) for column in zip(*pairs, strict=True))
    return Comparison(
        difference=statistics.median(differences),
        low=resampled[tail],
        high=resampled[-tail - 1],
        margin=MARGIN_FRACTION * slower,
    )


def summary(durations: list[float]) -> str:
    """Count, median and quartiles in milliseconds."""
    quartiles = statistics.quantiles(durations, n=4)
    return (
        f"n={len(durations)} median={statistics.median(durations) * 1000:.0f} "
        f"IQR={quartiles[0] * 1000:.0f}-{quartiles[2] * 1000:.0f} ms"
    )


def synthetic(
    known: float, unknown: float, noise: float, count: int, seed: int, load: float = 0
) -> list[tuple[float, float]]:
    """Pairs of durations: a mean per kind, independent noise on each attempt, and a
    slowdown shared by both attempts of a pair, up to `load` times the duration."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        slowdown = 1 + load * rng.random()
        pairs.append(
            tuple(
                max(0.0, mean * slowdown + rng.gauss(0, noise))
                for mean in (known, unknown)
            )
        )
    return pairs


@pytest.mark.parametrize(
    ("pairs", "same"),
    [
        # A quarter second each, a millisecond or none apart: the same.
        (synthetic(0.25, 0.25, 0.01, PAIRS, 1), True),
        (synthetic(0.251, 0.25, 0.01, PAIRS, 2), True),
        # Busy: others' load slows pairs down up to threefold, with more noise.
        (synthetic(0.25, 0.25, 0.03, PAIRS, 3, load=2), True),
        # The hash skipped for unknown emails: answered in milliseconds.
        (synthetic(0.25, 0.004, 0.01, PAIRS, 4), False),
        # The same with the fewest pairs, busy and noisy.
        (synthetic(0.25, 0.004, 0.05, MIN_PAIRS, 5, load=2), False),
        # A cheaper hash for unknown emails: half the time.
        (synthetic(0.25, 0.125, 0.02, PAIRS, 6), False),
        # Too noisy to tell: not the same, though the means are equal.
        (synthetic(0.25, 0.25, 0.25, PAIRS, 7), False),
    ],
    ids=["same", "one-ms-apart", "busy", "skipped", "skipped-busy", "half", "noise"],
)
def test_the_comparison_tells_a_leak(
    pairs: list[tuple[float, float]], same: bool
) -> None:
    assert compare(pairs).same_time is same


def test_unknown_email_takes_as_long_as_a_wrong_password(
    client: httpx.Client,
    make_user: Callable[..., Account],
) -> None:
    attempts = WARM_UP_PAIRS + PAIRS
    accounts = [
        make_user(label="timed")
        for _ in range(math.ceil(attempts / ATTEMPTS_PER_ACCOUNT))
    ]
    order = random.Random(uuid.uuid4().int)
    samples: dict[str, list[float]] = {"known": [], "unknown": []}

    def attempt(kind: str, index: int) -> httpx.Response:
        if kind == "unknown":
            return signin(client, unique_email("nobody"), "not-the-password")
        account = accounts[index // ATTEMPTS_PER_ACCOUNT]
        return signin(client, account.email, "not-the-password")

    deadline = time.monotonic() + SAMPLING_DEADLINE_S
    for index in range(attempts):
        if time.monotonic() > deadline:
            break
        for kind in order.sample(list(samples), k=2):
            began = time.perf_counter()
            response = attempt(kind, index)
            elapsed = time.perf_counter() - began
            assert response.status_code == 400, response.text
            assert response.json() == {"detail": messages.INVALID_CRED}
            if index >= WARM_UP_PAIRS:
                samples[kind].append(elapsed)
    pairs = len(samples["known"])
    assert pairs >= MIN_PAIRS, f"only {pairs} pairs within {SAMPLING_DEADLINE_S} s"
    result = compare(list(zip(samples["known"], samples["unknown"], strict=True)))
    # The figures, for the report of a passing run too (pytest -rP shows them).
    print(result, {kind: summary(durations) for kind, durations in samples.items()})
    assert result.same_time, result
