"""Relaying a provider's server-sent events to the client as they arrive.

Nothing here holds the whole reply: each line goes out when its newline comes in.
The provider's response is closed whichever way the relay ends (finished, failed,
or cancelled because the client went away), so the provider sees its socket close.
"""

import asyncio
from collections.abc import AsyncIterable, AsyncIterator

import httpx

# The provider's framing, not the relayed body's: httpx has decoded the body already,
# and the server sets its own length, date and name. Upstream drops the same five.
DROPPED_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "server", "date"}
)


# --8<-- [start:relay]
def relayed_headers(headers: httpx.Headers) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if name.lower() not in DROPPED_HEADERS
    }


async def lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Whole lines, each with its newline, from chunks cut anywhere.

    A chunk without a newline is only buffered: splitting on every chunk would copy
    a long line again and again. Whatever follows the last newline comes last.
    """
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        if b"\n" in chunk:
            *complete, rest = bytes(buffer).split(b"\n")
            buffer = bytearray(rest)
            for line in complete:
                yield line + b"\n"
    if buffer:
        yield bytes(buffer)


async def until(chunks: AsyncIterable[bytes], deadline: float | None):
    """The chunks, failing with TimeoutError once the loop's clock passes `deadline`."""
    iterator = aiter(chunks)
    while True:
        async with asyncio.timeout_at(deadline):
            try:
                chunk = await anext(iterator)
            except StopAsyncIteration:
                return
        yield chunk


async def relay(
    response: httpx.Response, deadline: float | None
) -> AsyncIterator[bytes]:
    """The provider's body, line by line; the response is closed however this ends."""
    try:
        async for line in lines(until(response.aiter_bytes(), deadline)):
            yield line
    finally:
        await response.aclose()


# --8<-- [end:relay]


# --8<-- [start:error-frame]
# What upstream's API-mode stream sends when the provider's stream breaks: a blank
# line ends any event cut in the middle, then an error event, then the end marker.
ERROR_FRAME = b'\n\ndata: {"error":{"message":"Chat completion stream failed"}}\n\n'
DONE_FRAME = b"data: [DONE]\n\n"


async def with_error_frame(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The stream; if the provider fails midway, the error frame and `[DONE]`."""
    try:
        async for line in stream:
            yield line
    except (httpx.HTTPError, TimeoutError):
        yield ERROR_FRAME
        yield DONE_FRAME


# --8<-- [end:error-frame]
