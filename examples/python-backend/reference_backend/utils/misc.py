"""Input clean-up shared by the chat and model forms, and a throttle."""

import math
import re
import threading
import time

from pydantic import BaseModel, model_validator

SURROGATES = re.compile("[\ud800-\udfff]")


def json_safe(value):
    """Strings without NUL bytes or lone surrogates, and NaN or ±Infinity as null.

    Python's JSON parser accepts all of these, but PostgreSQL refuses NUL in text,
    a lone surrogate cannot be encoded as UTF-8, and NaN is not JSON: stored, each
    would break the response. Upstream stores NaN as null too.
    """
    if isinstance(value, str):
        return SURROGATES.sub("", value.replace("\x00", ""))
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


class SanitizedForm(BaseModel):
    """A request body cleaned by `json_safe` before it is validated."""

    @model_validator(mode="before")
    @classmethod
    def _sanitized(cls, data):
        return json_safe(data)


# --8<-- [start:throttle]
class Throttle:
    """Lets each key through at most once per `interval` seconds, in this process.

    A key's first call goes through. An interval of zero or less holds nothing back.
    The clock is monotonic, so setting the system time neither stalls nor floods it.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        # Sync dependencies run on a thread pool: two requests may ask at once.
        self._lock = threading.Lock()

    def ready(self, key: str) -> bool:
        """Whether `key` may go now; if it may, its interval starts again."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                return False
            self._last[key] = now
            return True


# --8<-- [end:throttle]
