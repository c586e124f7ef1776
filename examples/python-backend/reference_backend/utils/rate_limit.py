"""Upstream's sign-in throttle: 15 attempts per email in a rolling three minutes.

Counts live in Redis when there is one (shared by every process and by Open WebUI
itself, same keys), else in this process's memory, in one-minute buckets.
"""

import time
from collections import defaultdict

from redis.exceptions import RedisError


class RateLimiter:
    def __init__(self, limit: int, window: int, bucket_size: int = 60) -> None:
        self.limit = limit
        self.bucket_size = bucket_size
        self.buckets = window // bucket_size
        self.memory: dict[int, dict[str, int]] = defaultdict(dict)

    def is_limited(self, redis, prefix: str, key: str) -> bool:
        """Count one attempt for `key` and say whether it is over the limit."""
        now = int(time.time()) // self.bucket_size
        if redis is not None:
            try:
                return self._redis_total(redis, prefix, key.lower(), now) > self.limit
            except RedisError:
                pass
        return self._memory_total(key.lower(), now) > self.limit

    def _redis_total(self, redis, prefix: str, key: str, now: int) -> int:
        def name(bucket: int) -> str:
            return f"{prefix}:ratelimit:{key}:{bucket}"

        if redis.incr(name(now)) == 1:
            redis.expire(name(now), (self.buckets + 1) * self.bucket_size)
        counts = redis.mget([name(now - i) for i in range(self.buckets + 1)])
        return sum(int(count) for count in counts if count)

    def _memory_total(self, key: str, now: int) -> int:
        for bucket in [b for b in self.memory if b < now - self.buckets]:
            del self.memory[bucket]
        self.memory[now][key] = self.memory[now].get(key, 0) + 1
        return sum(counts.get(key, 0) for counts in self.memory.values())
