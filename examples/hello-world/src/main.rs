//! `hello-world`: the smallest axum server that answers `GET /health` as the Rust twin
//! does, on `HOST:PORT`. The benchmarks measure it as the ceiling of the machine, the
//! load generator and the framework together; `TOKIO_WORKER_THREADS` sets its threads.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let listener = TcpListener::bind(format!("{host}:{port}")).await?;
    axum::serve(listener, app()).await
}

// --8<-- [start:app]
fn app() -> Router {
    Router::new().route("/health", get(health))
}

async fn health() -> Json<Value> {
    Json(json!({"status": true}))
}
// --8<-- [end:app]
