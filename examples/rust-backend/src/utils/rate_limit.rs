//! Upstream's sign-in throttle: 15 attempts per email in a rolling three minutes.
//!
//! Counts live in Redis when there is one (shared by every process and by Open WebUI
//! itself, same keys), else in this process's memory, in one-minute buckets.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use crate::utils::misc::now;

/// A rolling window of attempts per key.
pub struct RateLimiter {
    limit: i64,
    bucket_size: i64,
    buckets: i64,
    memory: Mutex<BTreeMap<i64, HashMap<String, i64>>>,
}

impl RateLimiter {
    /// `limit` attempts in `window` seconds, counted in buckets of `bucket_size`.
    #[must_use]
    pub fn new(limit: i64, window: i64, bucket_size: i64) -> Self {
        Self {
            limit,
            bucket_size,
            buckets: window / bucket_size,
            memory: Mutex::new(BTreeMap::new()),
        }
    }

    /// Count one attempt for `key` and say whether it is over the limit.
    pub async fn is_limited(
        &self,
        redis: Option<&ConnectionManager>,
        prefix: &str,
        key: &str,
    ) -> bool {
        let key = key.to_lowercase();
        let bucket = now() / self.bucket_size;
        if let Some(redis) = redis {
            // A Redis failure falls back to counting in memory, as upstream does.
            if let Ok(total) =
                self.redis_total(redis.clone(), prefix, &key, bucket).await
            {
                return total > self.limit;
            }
        }
        self.memory_total(&key, bucket) > self.limit
    }

    async fn redis_total(
        &self,
        mut redis: ConnectionManager,
        prefix: &str,
        key: &str,
        bucket: i64,
    ) -> redis::RedisResult<i64> {
        let name = |bucket: i64| format!("{prefix}:ratelimit:{key}:{bucket}");
        let count: i64 = redis.incr(name(bucket), 1).await?;
        if count == 1 {
            let ttl = (self.buckets + 1) * self.bucket_size;
            let _: bool = redis.expire(name(bucket), ttl).await?;
        }
        let names: Vec<String> = (0..=self.buckets).map(|i| name(bucket - i)).collect();
        let counts: Vec<Option<i64>> = redis.mget(names).await?;
        Ok(counts.into_iter().flatten().sum())
    }

    fn memory_total(&self, key: &str, bucket: i64) -> i64 {
        let mut memory = self.memory.lock().expect("no thread panics holding it");
        memory.retain(|&b, _| b >= bucket - self.buckets);
        *memory
            .entry(bucket)
            .or_default()
            .entry(key.to_owned())
            .or_default() += 1;
        memory
            .values()
            .map(|counts| counts.get(key).copied().unwrap_or(0))
            .sum()
    }
}
