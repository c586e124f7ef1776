"""Many requests at once: more than a connection pool holds, more than a thread pool.

The Python reference's sync sessions keep their connection while a request hops
between threads. Without a bound on the requests holding sessions, a burst larger
than its PostgreSQL pool (5 + 10 connections) could leave every one of Starlette's
40 threads waiting for a connection held by a request that waits for a thread.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from .api import Account, http_client
from .servers import Server

# Above the pool's connections and the thread pool's threads.
IN_FLIGHT = 64
REQUESTS = 3 * IN_FLIGHT
# Well below the pool's own 30 s checkout timeout: a deadlock fails here, not as 500s.
DEADLINE_S = 20.0


def test_a_burst_beyond_the_pools_is_served(server: Server, user: Account) -> None:
    # One client per thread: httpcore's pool, shared by 64 threads, once read from a
    # socket another thread had closed (EBADF in the client, the server unaware).
    clients = threading.local()
    opened: list[httpx.Client] = []

    def session_user(_: int) -> int:
        if not hasattr(clients, "client"):
            clients.client = http_client(server.base_url)
            opened.append(clients.client)
        response = clients.client.get(
            "/api/v1/auths/", headers=user.headers, timeout=DEADLINE_S
        )
        return response.status_code

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(IN_FLIGHT) as threads:
            statuses = list(threads.map(session_user, range(REQUESTS)))
    finally:
        for client in opened:
            client.close()
    elapsed = time.monotonic() - started
    assert statuses == [200] * REQUESTS
    assert elapsed < DEADLINE_S
