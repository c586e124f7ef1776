"""The benchmark harness behind the Comparison section (`nox -s bench`).

`python -m bench` seeds one database, starts each backend as a real process on
127.0.0.1 with its own copy of it, drives it with wrk and writes everything it measured,
raw samples first, to one JSON file under `docs/data/bench/`. The site's tables come
from that file (`bench.report`), its charts from `bench.charts`.
"""
