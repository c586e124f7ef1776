"""The relay's payload rewrite and how it passes a provider's answer on."""

import asyncio
import json

import httpx
import pytest
from fastapi.responses import JSONResponse, PlainTextResponse

from reference_backend.routers.openai import (
    for_connection,
    is_reasoning_model,
    whole_reply,
)
from reference_backend.utils.models import Connection

LOCAL = Connection(0, "http://127.0.0.1:8090/v1", "sk", {"prefix_id": "local"})
OPENAI = Connection(1, "https://api.openai.com/v1", "sk", {})


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [("o3-mini", True), ("gpt-5", True), ("us.openai.gpt-6", True), ("gpt-4o", False)],
)
def test_reasoning_models_are_told_apart(model, reasoning):
    assert is_reasoning_model(model) is reasoning


def test_other_servers_get_max_tokens_and_lose_the_prefix():
    payload = {"model": "local.m", "max_completion_tokens": 5, "stream_options": {}}
    assert for_connection(payload, LOCAL) == {"model": "m", "max_tokens": 5}


def test_openai_keeps_max_completion_tokens_and_reasoning_models_get_a_developer():
    payload = {
        "model": "o3",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "system", "content": "s"}],
    }
    assert for_connection(payload, OPENAI) == {
        "model": "o3",
        "max_completion_tokens": 5,
        "stream": True,
        "messages": [{"role": "developer", "content": "s"}],
    }


def reply_to(response: httpx.Response):
    return asyncio.run(whole_reply(response, None))


def test_a_json_answer_is_returned_as_it_came():
    assert reply_to(httpx.Response(200, json={"id": "x"})) == {"id": "x"}


def test_a_provider_error_keeps_its_status_body_and_retry_after():
    answer = httpx.Response(
        429, json={"error": {"message": "slow"}}, headers={"Retry-After": "7"}
    )
    passed = reply_to(answer)
    assert isinstance(passed, JSONResponse)
    assert passed.status_code == 429
    assert passed.headers["retry-after"] == "7"
    assert json.loads(passed.body) == {"error": {"message": "slow"}}


def test_an_error_in_plain_text_stays_plain_text():
    passed = reply_to(httpx.Response(502, text="bad gateway"))
    assert isinstance(passed, PlainTextResponse)
    assert (passed.status_code, passed.body) == (502, b"bad gateway")


def test_an_error_sent_as_a_stream_becomes_json():
    answer = httpx.Response(
        500, text="boom", headers={"Content-Type": "text/event-stream"}
    )
    passed = reply_to(answer)
    assert json.loads(passed.body) == {"error": {"message": "boom", "code": 500}}
