"""HTTP/1.1 connections: a client may send its next request on the connection its
last one used, whatever the answer was."""

import socket

import httpx

from .servers import Server

TIMEOUT = 10.0
# How long the body lags behind the headers: long enough for an answer to leave.
BODY_DELAY = 1.0


def read_response(connection: socket.socket) -> bytes:
    """One whole response with a Content-Length body; b"" if the server hung up."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            return received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, "the server hung up in the middle of a response"
        body += chunk
    return head


# --8<-- [start:refused-body]
def test_connection_survives_a_request_refused_before_its_body(
    server: Server,
) -> None:
    """A request without a session, whose body comes a moment after its headers.

    Clients (httpx, browsers) write the headers and the body separately. A server may
    wait for the body or refuse at once; either way the connection must then carry
    the next request. A server that hangs up here, without `Connection: close` in its
    answer, makes a pooled client fail its next request with no response at all.
    """
    body = b'{"chat": {}}'
    url = httpx.URL(server.base_url)
    with socket.create_connection((url.host, url.port), timeout=TIMEOUT) as connection:
        connection.sendall(
            b"POST /api/v1/chats/new HTTP/1.1\r\nHost: contract\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        connection.settimeout(BODY_DELAY)
        try:
            refused = read_response(connection)
        except TimeoutError:
            refused = None  # the server waits for the body
        connection.settimeout(TIMEOUT)
        connection.sendall(body)
        refused = refused or read_response(connection)
        assert refused.startswith(b"HTTP/1.1 401 ")
        assert b"connection: close" not in refused.lower()
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: contract\r\n\r\n")
        assert read_response(connection).startswith(b"HTTP/1.1 200 ")


# --8<-- [end:refused-body]
