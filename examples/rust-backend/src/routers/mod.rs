//! The API's routers, mounted by `main::create_app`, as `reference_backend/routers/`.

pub mod auths;
pub mod chats;
pub mod completions;
pub mod models;
pub mod openai;
pub mod users;
