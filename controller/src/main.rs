//! `sealant-controller`: parse flags, run until SIGTERM/SIGINT, map the exit code
//! (0 ok, 1 configuration or usage error, 2 unexpected failure).

use clap::Parser;
use sealant_controller::{
    ControllerError, Flags, Services, client_from_flags, install_tls_provider, logging,
    start_servers, start_with,
};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let flags = match Flags::try_parse() {
        Ok(flags) => flags,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(1);
        }
    };
    match run(flags).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sealant-controller: {error:#}");
            let config_error = error
                .downcast_ref::<ControllerError>()
                .is_some_and(|e| matches!(e, ControllerError::Config(_)));
            ExitCode::from(if config_error { 1 } else { 2 })
        }
    }
}

async fn run(flags: Flags) -> anyhow::Result<()> {
    logging::init(&flags.log_level, flags.log_format)?;
    install_tls_provider();
    let client = client_from_flags(&flags).await?;
    let services = Services::from_flags(&flags);
    let servers = start_servers(&flags, &services).await?;
    let running = start_with(client, &flags, services).await?;
    tracing::info!(namespace = %running.controller_namespace, "controller started");
    rotate_on_sigusr1(running.renewal_trigger());
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    servers.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// SIGUSR1 makes a new key, as in Bitnami.
fn rotate_on_sigusr1(trigger: sealant_controller::keys::RenewalTrigger) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut usr1) = signal(SignalKind::user_defined1()) else {
            tracing::warn!("cannot listen for SIGUSR1; manual rotation by signal is off");
            return;
        };
        while usr1.recv().await.is_some() {
            tracing::info!("SIGUSR1: making a new key");
            trigger.rotate_now();
        }
    });
    #[cfg(not(unix))]
    let _ = trigger;
}
