//! The `/metrics` endpoint.

use std::time::Instant;

use axum::Router;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{HttpHandler, KeySnapshot, Metrics};

/// The OpenMetrics text format, which is what prometheus-client writes (`# EOF`, `_total`
/// on counter samples). Prometheus negotiates it and also accepts it unasked.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A router serving `GET /metrics` from `metrics`, with the key metrics read from
/// `snapshot` on every scrape.
///
/// The router records its own requests as [`HttpHandler::Metrics`]; do not wrap it in
/// another recorder, or scrapes are counted twice. A scrape sees the previous scrapes,
/// not itself, because it is recorded after its body is built.
pub fn router<F>(metrics: Metrics, snapshot: F) -> Router
where
    F: Fn() -> KeySnapshot + Clone + Send + Sync + 'static,
{
    Router::new().route(
        "/metrics",
        get(move |method: Method| {
            let metrics = metrics.clone();
            let snapshot = snapshot.clone();
            async move { scrape(&metrics, &snapshot, &method) }
        }),
    )
}

fn scrape(metrics: &Metrics, snapshot: &impl Fn() -> KeySnapshot, method: &Method) -> Response {
    let started = Instant::now();
    let response = match metrics.encode(&snapshot()) {
        Ok(body) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response(),
        Err(std::fmt::Error) => {
            // Only writing into a String can fail here, which it does not in practice;
            // answer rather than panic so a scrape can never take the server down.
            tracing::warn!("encoding metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    metrics.http_request(
        HttpHandler::Metrics,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
