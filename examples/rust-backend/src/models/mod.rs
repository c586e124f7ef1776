//! Upstream's tables of this slice and the payloads built from them, as
//! `reference_backend/models/`.

pub mod access_grants;
pub mod auths;
pub mod chat_messages;
pub mod chats;
pub mod config;
pub mod groups;
pub mod model_history;
#[allow(clippy::module_inception, reason = "the Python twin's name")]
pub mod models;
pub mod revoked_tokens;
pub mod shared_chats;
pub mod users;

use crate::internal::db::Table;

/// Every table of the slice, parents before the tables that point at them. The
/// twins' own `revoked_tokens::TABLE` is not one: it is created only when enabled.
pub const TABLES: [&Table; 10] = [
    &auths::TABLE,
    &chats::TABLE,
    &config::TABLE,
    &models::TABLE,
    &model_history::TABLE,
    &users::USER_TABLE,
    &users::API_KEY_TABLE,
    &chat_messages::TABLE,
    &shared_chats::TABLE,
    &access_grants::TABLE,
];
