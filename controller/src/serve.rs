//! The whole life of the `sealant-controller` process, so its `main` only parses flags and
//! maps the result to an exit code.

use crate::{
    ControllerError, Flags, Services, client_from_flags, install_tls_provider, logging, signals,
    start_servers, start_with,
};

/// Start logging, the HTTP and metrics servers and the controller; run until SIGTERM or
/// SIGINT; then stop the controller (releasing the Lease) before the servers.
pub async fn serve_until_shutdown(flags: &Flags) -> Result<(), ControllerError> {
    logging::init(&flags.log_level, flags.log_format, flags.log_info_stdout)?;
    if flags.rotate_period.is_some() {
        tracing::warn!("--rotate-period is deprecated: use --key-renew-period instead");
    }
    install_tls_provider();
    let client = client_from_flags(flags).await?;
    let services = Services::from_flags(flags);
    let servers = start_servers(flags, &services).await?;
    let running = start_with(client, flags, services).await?;
    tracing::info!(namespace = %running.controller_namespace, "controller started");
    signals::rotate_on_sigusr1(running.renewal_trigger());
    signals::shutdown_requested().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    servers.shutdown().await;
    Ok(())
}
