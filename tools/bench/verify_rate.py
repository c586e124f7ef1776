"""`python -m bench.verify_rate HASH PASSWORD COUNT`: time the reference's own
password check COUNT times and print each duration in seconds, as a JSON list.

The benchmarks run it on one core to find the bound of `POST /api/v1/auths/signin`:
a signin is one verify, so no server can sign in faster than this. Its Rust twin is
`examples/rust-backend/examples/verify_rate.rs`.
"""

import json
import sys
import time

from reference_backend.utils.auth import verify_password


def main(hashed: str, password: str, count: str) -> None:
    samples = []
    for _ in range(int(count)):
        started = time.perf_counter()
        if not verify_password(password, hashed):
            raise SystemExit("the password must verify")
        samples.append(time.perf_counter() - started)
    print(json.dumps(samples))


if __name__ == "__main__":
    main(*sys.argv[1:])
