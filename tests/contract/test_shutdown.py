"""SIGTERM: the server stops taking connections, a request in flight finishes, and the
process exits by itself, a twin with 0, which supervisors read as a clean stop."""

import json
import os
import signal
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

# Long enough for any server to have read the request's headers and started it.
STARTED = 0.5
# From SIGTERM to the exit, with the request in flight finished: well within the
# 10 s a supervisor such as Docker waits before it kills.
EXIT_TIMEOUT_S = 10.0


def test_a_request_in_flight_finishes(launch) -> None:
    server = launch({})
    address = urlsplit(server.base_url)
    body = json.dumps(
        {"name": "Late", "email": "late@example.com", "password": "password-1"}
    ).encode()
    head = (
        "POST /api/v1/auths/signup HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        # Headers and half the body: the request has started and cannot finish yet.
        conn.sendall(head + body[: len(body) // 2])
        time.sleep(STARTED)
        os.killpg(server.pid, signal.SIGTERM)
        time.sleep(STARTED)
        conn.sendall(body[len(body) // 2 :])
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    status_line = response.split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"200", response[:300]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/health", timeout=5)
    # Open WebUI's uvicorn raises SIGTERM again once it has shut down gracefully, so
    # its process ends by the signal, which a supervisor cannot tell from a stop cut
    # short. The twins exit 0.
    exit_code = -signal.SIGTERM if server.target.impl == "upstream" else 0
    assert server.process.wait(timeout=EXIT_TIMEOUT_S) == exit_code, server.log_tail()
