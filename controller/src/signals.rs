//! Process signals: SIGTERM/SIGINT end the controller gracefully (Kubernetes sends SIGTERM
//! before killing a Pod), SIGUSR1 makes a new key (as in Bitnami).

use crate::keys::RenewalTrigger;

/// Resolves at the first SIGINT or SIGTERM.
pub async fn shutdown_requested() {
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

/// From now on, each SIGUSR1 asks `trigger` for a new key.
pub fn rotate_on_sigusr1(trigger: RenewalTrigger) {
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
