"""The SSE relay: whole lines as they come, the provider closed, the error frame."""

import asyncio

import httpx
import pytest

from reference_backend.utils.streaming import (
    DONE_FRAME,
    ERROR_FRAME,
    lines,
    relay,
    relayed_headers,
    until,
    with_error_frame,
)


async def chunks(*parts: bytes, fail: Exception | None = None, pause: float = 0):
    for part in parts:
        await asyncio.sleep(pause)
        yield part
    if fail is not None:
        raise fail


async def collected(stream) -> list[bytes]:
    return [item async for item in stream]


def test_lines_are_whole_whatever_the_chunks():
    stream = chunks(b'data: {"a"', b": 1}\n\nda", b"ta: [DONE]\n\n", b"tail")
    assert asyncio.run(collected(lines(stream))) == [
        b'data: {"a": 1}\n',
        b"\n",
        b"data: [DONE]\n",
        b"\n",
        b"tail",
    ]


def test_a_line_goes_out_before_the_next_chunk_arrives():
    async def first_line() -> bytes:
        gate = asyncio.Event()

        async def held():
            yield b"data: 1\n"
            await gate.wait()  # never set: the relay must not wait for it
            yield b"data: 2\n"

        line_iterator = aiter(lines(held()))
        return await asyncio.wait_for(anext(line_iterator), 1)

    assert asyncio.run(first_line()) == b"data: 1\n"


def test_until_stops_a_stream_past_its_deadline():
    async def run() -> list[bytes]:
        deadline = asyncio.get_running_loop().time() + 0.1
        return await collected(until(chunks(b"a", b"b", b"c", pause=0.06), deadline))

    with pytest.raises(TimeoutError):
        asyncio.run(run())


# --8<-- [start:client-leaves]
def test_relay_closes_the_provider_response_when_the_client_leaves():
    async def run() -> bool:
        response = httpx.Response(200, content=chunks(b"data: 1\n", b"data: 2\n"))
        stream = relay(response, None)
        assert await anext(stream) == b"data: 1\n"
        await stream.aclose()  # what a cancelled StreamingResponse does
        return response.is_closed

    assert asyncio.run(run())


# --8<-- [end:client-leaves]


def test_a_broken_stream_ends_with_the_error_frame_and_done():
    broken = chunks(b"data: 1\n", fail=httpx.ReadError("cut"))
    assert asyncio.run(collected(with_error_frame(lines(broken)))) == [
        b"data: 1\n",
        ERROR_FRAME,
        DONE_FRAME,
    ]


def test_a_whole_stream_gets_no_error_frame():
    whole = chunks(b"data: 1\n", b"data: [DONE]\n")
    assert asyncio.run(collected(with_error_frame(lines(whole)))) == [
        b"data: 1\n",
        b"data: [DONE]\n",
    ]


def test_the_providers_framing_headers_stay_behind():
    headers = httpx.Headers(
        {
            "Content-Type": "text/event-stream",
            "Content-Length": "10",
            "Content-Encoding": "gzip",
            "Transfer-Encoding": "chunked",
            "Server": "provider",
            "Date": "today",
            "X-Request-Id": "42",
        }
    )
    assert relayed_headers(headers) == {
        "content-type": "text/event-stream",
        "x-request-id": "42",
    }
