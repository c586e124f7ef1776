"""Durations as Open WebUI writes them: `JWT_EXPIRES_IN=4w`, `1d12h`, `-1`.

Upstream scans the string for every `<number><unit>` pair and adds them up, so it
accepts more than its documentation shows (`30min` is thirty minutes, `1h30` is one
hour). A twin must accept exactly the same strings, or a deployment that starts on
Open WebUI fails to start on the twin, or worse, issues tokens with another lifetime.
"""

import re
from datetime import timedelta

# --8<-- [start:units]
# The alternation order matters: "ms" must be tried before "m" and "s".
PAIR = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)")

UNIT_KEYWORDS = {
    "ms": "milliseconds",
    "s": "seconds",
    "m": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
}
# --8<-- [end:units]


# --8<-- [start:parse]
def parse_duration(value: str) -> timedelta | None:
    """Return the span `value` names, or `None` for "never expires".

    `"-1"` and `"0"` mean no expiry; any other string must contain at least one
    number-unit pair, and text between pairs is ignored, as upstream ignores it.
    """
    if value in ("-1", "0"):
        return None
    pairs = PAIR.findall(value)
    if not pairs:
        raise ValueError(f"invalid duration {value!r}: expected pairs like 4w or 1d12h")
    try:
        return sum(
            (
                timedelta(**{UNIT_KEYWORDS[unit]: float(number)})
                for number, unit in pairs
            ),
            timedelta(),
        )
    except OverflowError:
        raise ValueError(f"invalid duration {value!r}: out of range") from None


# --8<-- [end:parse]
