//! `piket serve`: start the background workers, print the setup link, serve until SIGTERM/Ctrl-C.

use std::sync::Arc;

use piket_server::clock::SystemClock;
use piket_server::config::Config;
use piket_server::notify::{mail::Mailer, outbox};
use piket_server::{auth, build_state, jobs, metrics_router, router};

pub async fn run(mut config: Config) -> Result<(), String> {
    let listen = config.listen;
    let metrics_listen = config.metrics_listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    // `--listen 127.0.0.1:0` takes a free port: the address actually bound is printed on stdout
    // (what tests and scripts read) and replaces port 0 in a base URL derived from `--listen`.
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    if config.base_url == format!("http://{listen}") {
        config.base_url = format!("http://{bound}");
    }
    let mailer = Arc::new(Mailer::from_config(config.smtp.as_ref())?);
    let state = build_state(config, Arc::new(SystemClock)).await?;
    if !mailer.is_configured() {
        tracing::warn!(
            "no SMTP configured: emails, including password reset links, are written to this log"
        );
    }
    if let Some(token) = auth::service::ensure_setup_token(&state)
        .await
        .map_err(|e| e.to_string())?
    {
        let link = format!("{}/setup?token={token}", state.config.base_url);
        tracing::warn!(%link, "no users yet: open the setup link to create the first admin (single use)");
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = if state.config.outbox_worker {
        tokio::spawn(outbox::run(state.clone(), mailer, stop_rx.clone()))
    } else {
        tracing::info!("outbox worker off on this node (outbox_worker = false)");
        tokio::spawn(async {})
    };
    let events = piket_server::events::spawn_listener(state.clone(), stop_rx.clone()).await;
    let scheduler = tokio::spawn(jobs::run(
        state.clone(),
        piket_server::periodic_jobs(),
        stop_rx.clone(),
    ));
    // Mailboxes: one fetcher per mailbox across all nodes (a lease each).
    let mail = tokio::spawn(piket_server::mail::worker::run(
        state.clone(),
        stop_rx.clone(),
    ));

    tracing::info!(address = %bound, base_url = %state.config.base_url, database = ?state.db.backend, "piket is serving");
    if let Some(addr) = metrics_listen {
        let metrics = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let app = metrics_router(state.clone());
        let mut rx = stop_rx.clone();
        tokio::spawn(async move {
            let _ = axum::serve(metrics, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.changed().await;
                })
                .await;
        });
    }
    println!("piket listening on {bound}");
    piket_server::listen::serve(
        listener,
        router(state.clone()),
        state.config.connections,
        state.config.trusted_proxies.clone(),
        shutdown_signal(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let _ = stop_tx.send(true);
    let _ = tokio::join!(worker, events, scheduler, mail);
    state.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
