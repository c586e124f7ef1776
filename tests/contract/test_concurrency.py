"""Many requests at once: more than a connection pool holds, more than a thread pool.

The Python reference's sync sessions keep their connection while a request hops
between threads. Without a bound on the requests holding sessions, a burst larger
than its PostgreSQL pool (5 + 10 connections) could leave every one of Starlette's
40 threads waiting for a connection held by a request that waits for a thread.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from .api import Account, http_client
from .servers import Server

# Above the pool's connections and the thread pool's threads.
IN_FLIGHT = 64
REQUESTS = 3 * IN_FLIGHT
# Well below the pool's own 30 s checkout timeout: a deadlock fails here, not as 500s.
DEADLINE_S = 20.0


def test_a_burst_beyond_the_pools_is_served(server: Server, user: Account) -> None:
    with http_client(server.base_url) as client:

        def session_user(_: int) -> int:
            response = client.get(
                "/api/v1/auths/", headers=user.headers, timeout=DEADLINE_S
            )
            return response.status_code

        started = time.monotonic()
        with ThreadPoolExecutor(IN_FLIGHT) as threads:
            statuses = list(threads.map(session_user, range(REQUESTS)))
        elapsed = time.monotonic() - started
    assert statuses == [200] * REQUESTS
    assert elapsed < DEADLINE_S
