"""API-mode completions: the UI-mode refusal, error details, the gathered reply."""

import asyncio

import pytest
from fastapi import HTTPException

from reference_backend import constants
from reference_backend.routers.completions import (
    error_detail,
    refuse_ui_mode,
    streamed_reply,
)


def test_a_browser_request_is_refused_with_a_clear_detail():
    with pytest.raises(HTTPException) as refused:
        refuse_ui_mode({"model": "m", "session_id": "abc"})
    assert (refused.value.status_code, refused.value.detail) == (400, constants.UI_MODE)
    refuse_ui_mode({"model": "m", "session_id": None})


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"error": {"message": "slow down"}}', "slow down"),
        (b'{"detail": "no"}', "no"),
        (b'{"other": 1}', "{'other': 1}"),
        (b"plain words ", "plain words"),
        (b"", "Provider returned HTTP 503"),
    ],
)
def test_the_error_saved_is_the_message_inside_the_body(body, detail):
    assert error_detail(body, 503) == detail


def test_a_stream_is_gathered_into_one_message_with_its_usage():
    async def stream():
        yield b'data: {"choices": [{"delta": {"role": "assistant"}}]}\n'
        yield b"\n"
        yield b'data: {"choices": [{"delta": {"content": "one "}}]}\n'
        yield b'data: {"choices": [{"delta": {"content": "two"}}]}\n'
        yield b"data: not json\n"
        usage = b'{"prompt_tokens": 1, "completion_tokens": 2}'
        yield b'data: {"choices": [], "usage": ' + usage + b"}\n"
        yield b"data: [DONE]\n"

    message = asyncio.run(streamed_reply(stream()))
    assert message["done"] is True
    [item] = message["output"]
    assert item["content"] == [{"type": "output_text", "text": "one two"}]
    assert message["usage"]["total_tokens"] == 3
