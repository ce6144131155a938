//! The binary's two HTTP listeners: the API (`--listen-addr`, probes and `/v1/*`) and the
//! metrics (`--listen-metrics-addr`). Both start before the controller so probes answer
//! while keys load and caches sync.

use crate::{
    ControllerError, Flags, Services,
    http::{AllowedRecipients, HttpState, serve_with},
    metrics,
};
use std::net::SocketAddr;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

/// Go-style listen addresses: `:8080` means every interface; empty disables the listener.
pub fn parse_listen_addr(text: &str) -> Result<Option<SocketAddr>, ControllerError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let full = if text.starts_with(':') {
        format!("0.0.0.0{text}")
    } else {
        text.to_owned()
    };
    full.parse()
        .map(Some)
        .map_err(|_| ControllerError::Config(format!("invalid listen address {text:?}")))
}

/// Running listeners; stop them with [`Servers::shutdown`].
pub struct Servers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The API's state, to stop its RSA work first at shutdown.
    api: Option<HttpState>,
    /// Where each listener actually bound (useful with port 0).
    pub api_addr: Option<SocketAddr>,
    pub metrics_addr: Option<SocketAddr>,
}

impl Servers {
    pub async fn shutdown(self) {
        // Graceful shutdown waits for open requests: end their RSA work first.
        if let Some(api) = &self.api {
            api.stop_rsa_work();
        }
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Bind both listeners and serve them in the background.
pub async fn start_servers(flags: &Flags, services: &Services) -> Result<Servers, ControllerError> {
    let (stop, stopped) = watch::channel(false);
    let shutdown = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let mut tasks = Vec::new();
    let mut api = None;

    let api_addr = match parse_listen_addr(&flags.listen_addr)? {
        None => None,
        Some(addr) => {
            let listener = bind(addr).await?;
            let bound = listener.local_addr().ok();
            let state = HttpState::new(
                services.keys.clone(),
                services.pool.clone(),
                services.readiness.clone(),
                flags.http_limits()?,
            )?
            .with_usage(services.usage_source())
            .with_hybrid_keys(flags.hybrid_keys)
            .with_allowed_recipients(AllowedRecipients::load(&flags.allowed_recipients)?);
            api = Some(state.clone());
            let done = shutdown();
            let recorder = services.metrics.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(error) = serve_with(listener, state, done, move |router| {
                    router.layer(axum::middleware::from_fn_with_state(
                        recorder,
                        record_request,
                    ))
                })
                .await
                {
                    tracing::error!(%error, "HTTP API server failed");
                }
            }));
            bound
        }
    };

    let metrics_addr = match parse_listen_addr(&flags.listen_metrics_addr)? {
        None => None,
        Some(addr) => {
            let listener = bind(addr).await?;
            let bound = listener.local_addr().ok();
            let snapshot_services = services.clone();
            let app = metrics::router(services.metrics.clone(), move || {
                snapshot_services.key_snapshot()
            });
            let done = shutdown();
            tasks.push(tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, app)
                    .with_graceful_shutdown(done)
                    .await
                {
                    tracing::error!(%error, "metrics server failed");
                }
            }));
            bound
        }
    };
    Ok(Servers {
        stop,
        tasks,
        api,
        api_addr,
        metrics_addr,
    })
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ControllerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| ControllerError::Config(format!("cannot listen on {addr}: {e}")))
}

/// Bitnami's request counter and latency histogram for every API request.
async fn record_request(
    axum::extract::State(metrics): axum::extract::State<metrics::Metrics>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let handler = metrics::HttpHandler::from_path(request.uri().path());
    let method = request.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    metrics.http_request(
        handler,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn go_listen_addresses() {
        assert_eq!(
            parse_listen_addr(":8080").unwrap().unwrap().to_string(),
            "0.0.0.0:8080"
        );
        assert_eq!(parse_listen_addr("127.0.0.1:9").unwrap().unwrap().port(), 9);
        assert_eq!(parse_listen_addr("").unwrap(), None);
        assert!(parse_listen_addr("nonsense").is_err());
    }
}
