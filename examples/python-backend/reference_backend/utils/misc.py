"""Input clean-up: strict JSON bodies for every route, what the chat and model forms
strip, and a throttle."""

import json
import math
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator

from fastapi import Request, Response
from fastapi.routing import APIRoute
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


# A lone surrogate, escaped or (decoded with surrogatepass, as json.loads decodes
# bytes) raw: only then are the strings of a parsed body walked.
SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def strict_json(body: bytes) -> object:
    """A request body read as JSON proper, as the Rust twin's serde reads it.

    Python's parser also takes NaN and ±Infinity, reads 1e999 as an infinite float,
    takes an integer of any length (serde holds one past 64 bits as a double), and
    keeps a lone surrogate (`"\\ud800"`) in a string no UTF-8 can encode. Each is a
    `JSONDecodeError` here, which FastAPI answers with its 422 `json_invalid`.
    """
    text = body.decode(json.detect_encoding(body), "surrogatepass")

    def refuse(what: str, at: str):
        raise json.JSONDecodeError(f"{what} is not JSON", text, max(text.find(at), 0))

    def finite(number: str) -> float:
        value = float(number)
        if math.isinf(value):
            refuse("a number past a double's range", number)
        return value

    def bounded(number: str) -> int:
        value = int(number)
        if abs(value) > sys.float_info.max:
            refuse("a number past a double's range", number)
        return value

    value = json.loads(
        text,
        parse_constant=lambda name: refuse(name, name),
        parse_float=finite,
        parse_int=bounded,
    )
    if SURROGATE_HINT.search(text) and any(
        SURROGATES.search(string) for string in strings(value)
    ):
        refuse("a lone surrogate", "\\u")
    return value


def strings(value) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


class StrictJsonRequest(Request):
    async def json(self) -> object:
        if not hasattr(self, "_json"):
            self._json = strict_json(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """Every route's JSON body is read by `strict_json`: the route class of every
    router here (the auth routes' own class builds on it)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict


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
