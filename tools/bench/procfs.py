"""A server's CPU time and memory, read from /proc for its whole process tree.

Uvicorn with several workers is a supervisor and its children; tokio is one process
with threads. Summing over the tree counts both alike.
"""

import os
import time
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name is in parentheses and may hold spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def tree(pid: int) -> list[int]:
    """`pid` and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat_fields(int(entry.name))[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending += children.get(current, [])
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system time of the tree so far, every thread included."""
    ticks = 0
    for member in tree(pid):
        try:
            fields = _stat_fields(member)
        except FileNotFoundError:
            continue
        # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
        ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS_PER_S


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def rss_bytes(pid: int) -> int:
    """Resident memory of the tree now."""
    return 1024 * sum(_status_kib(member, "VmRSS") for member in tree(pid))


def anonymous_bytes(pid: int) -> int:
    """Resident memory of the tree that is its own: heap and stacks, no file pages.

    SQLite maps the database file into memory once per connection, and each mapping
    counts towards RSS again; anonymous memory is what the process allocated.
    """
    return 1024 * sum(_status_kib(member, "RssAnon") for member in tree(pid))


def peak_rss_bytes(pid: int) -> int:
    """The sum of each process's high-water mark of resident memory."""
    return 1024 * sum(_status_kib(member, "VmHWM") for member in tree(pid))


def wait_idle(pid: int, quiet_s: float = 0.2, timeout_s: float = 60.0) -> None:
    """Wait until the tree has used no CPU for `quiet_s`: a slow server may still be
    answering the requests of a run wrk has already ended, and the next run would
    queue behind them."""
    deadline = time.monotonic() + timeout_s
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = cpu_seconds(pid)
        if now == last:
            return
        last = now
    raise RuntimeError(f"server {pid} stayed busy {timeout_s:.0f} s after a run")
