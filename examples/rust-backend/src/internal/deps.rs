//! What a route can ask for: the settings, the database, Redis, the sign-in throttle,
//! the outbound HTTP client and the model list it fills.
//!
//! All of it lives in one `AppState`, built once by `main::create_app`, so tests can
//! build an app with other settings without touching globals.

use std::sync::Arc;

use redis::aio::ConnectionManager;

use crate::env::Settings;
use crate::internal::db::Db;
use crate::utils::misc::Throttle;
use crate::utils::models::ModelCache;
use crate::utils::rate_limit::RateLimiter;

// --8<-- [start:state]
/// The state every handler shares; cloning it clones a few `Arc`s.
#[derive(Clone)]
pub struct AppState {
    /// Fixed at start-up.
    pub settings: Arc<Settings>,
    // --8<-- [start:in-session]
    /// The database pool. A query borrows a connection for its own duration only, so
    /// a route that waits minutes on a model provider holds none while it waits: the
    /// Python twin needs `in_session` for that, sqlx does it for every query.
    pub db: Db,
    // --8<-- [end:in-session]
    /// `None` without `REDIS_URL`: then only the revocation table, when it is on, lets
    /// signout revoke a token.
    pub redis: Option<ConnectionManager>,
    /// Upstream's sign-in throttle: 15 attempts per email in three minutes.
    pub signin_limiter: Arc<RateLimiter>,
    /// At most one `last_active_at` write per user per
    /// `DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL`, in this process.
    pub activity: Arc<Throttle>,
    /// The one client for every call to a model provider: its connection pool is
    /// shared by all requests, and cloning it clones an `Arc`.
    pub http: reqwest::Client,
    /// The provider models last gathered, and every model by id as last listed.
    pub models: Arc<ModelCache>,
}
// --8<-- [end:state]
