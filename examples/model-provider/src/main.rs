//! `model-provider`: a deterministic OpenAI-compatible server on `127.0.0.1:PORT`.
//!
//! It answers `GET /v1/models` and `POST /v1/chat/completions`, streamed or not, with
//! a reply built only from the request, so tests know the text in advance and the
//! benchmarks can hold many streams without a real model. See the README for its
//! environment variables.

mod app;
mod chat;
mod directive;
mod error;
mod log;
mod settings;
mod stream;

use std::net::Ipv4Addr;
use std::process::ExitCode;

use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use crate::settings::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("model-provider: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env(|name| std::env::var(name).ok())?;
    // Installed before the server says it listens, so an early SIGTERM is not lost.
    let mut terminate = signal(SignalKind::terminate())?;
    // Loopback only: the provider is a test fixture, never a service on the network.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, settings.port)).await?;
    println!(
        "model-provider listening on http://{}/v1",
        listener.local_addr()?
    );
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = tokio::signal::ctrl_c() => {},
        }
    };
    axum::serve(listener, app::router(settings))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
