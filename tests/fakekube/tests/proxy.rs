//! The `services/{svc}/proxy/{path}` route, forwarded to a registered local HTTP server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Request, StatusCode, Uri, header};
use axum::routing::{get, post};
use common::{client_without_retries, code, kubectl_available, kubectl_ok, setup};

const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

/// A stand-in for the controller's HTTP API.
async fn upstream() -> SocketAddr {
    let app = Router::new()
        .route(
            "/v1/cert.pem",
            get(|| async { ([(header::CONTENT_TYPE, "application/x-pem-file")], PEM) }),
        )
        .route(
            "/v1/verify",
            post(|headers: HeaderMap, body: Bytes| async move {
                let ct = headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                if body.as_ref() == b"bad" {
                    return (StatusCode::CONFLICT, "cannot verify").into_response_parts();
                }
                (
                    StatusCode::OK,
                    format!("{ct}|{}", String::from_utf8_lossy(&body)),
                )
                    .into_response_parts()
            }),
        )
        .route("/echo", get(|uri: Uri| async move { uri.to_string() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

trait Parts {
    fn into_response_parts(self) -> (StatusCode, String);
}
impl<S: Into<String>> Parts for (StatusCode, S) {
    fn into_response_parts(self) -> (StatusCode, String) {
        (self.0, self.1.into())
    }
}

const BASE: &str = "/api/v1/namespaces/kube-system/services";

#[tokio::test(flavor = "multi_thread")]
async fn proxies_to_registered_service() {
    let (fk, client) = setup().await;
    let addr = upstream().await;
    fk.fake
        .register_service("kube-system", "sealed-secrets-controller", addr);

    for svc in [
        "http:sealed-secrets-controller:http",
        "sealed-secrets-controller",
        "sealed-secrets-controller:8080",
    ] {
        let req = Request::get(format!("{BASE}/{svc}/proxy/v1/cert.pem"))
            .body(Vec::new())
            .unwrap();
        assert_eq!(client.request_text(req).await.unwrap(), PEM, "{svc}");
    }
    // POST: method, body and content type are forwarded; the upstream status comes back.
    let req = Request::post(format!("{BASE}/sealed-secrets-controller/proxy/v1/verify"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(br#"{"x":1}"#.to_vec())
        .unwrap();
    assert_eq!(
        client.request_text(req).await.unwrap(),
        r#"application/json|{"x":1}"#
    );
    let req = Request::post(format!("{BASE}/sealed-secrets-controller/proxy/v1/verify"))
        .body(b"bad".to_vec())
        .unwrap();
    assert_eq!(code(client.request_text(req).await), 409);
    // The query string is forwarded.
    let req = Request::get(format!(
        "{BASE}/sealed-secrets-controller/proxy/echo?a=1&b=two"
    ))
    .body(Vec::new())
    .unwrap();
    assert_eq!(client.request_text(req).await.unwrap(), "/echo?a=1&b=two");
    assert_eq!(fk.fake.request_count("get", "services/proxy"), 4);
    assert_eq!(fk.fake.request_count("create", "services/proxy"), 2);

    if kubectl_available() {
        let path = format!("{BASE}/http:sealed-secrets-controller:http/proxy/v1/cert.pem");
        assert_eq!(kubectl_ok(&fk, &["get", "--raw", &path]).await, PEM);
    }
}

#[tokio::test]
async fn unknown_or_unreachable_services() {
    let (fk, _) = setup().await;
    // 503 is retried by kube's default client; this test wants to see it.
    let client = client_without_retries(&fk);
    let req = Request::get(format!("{BASE}/nope/proxy/v1/cert.pem"))
        .body(Vec::new())
        .unwrap();
    match client.request_text(req).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (404, "NotFound"));
            assert_eq!(s.message, r#"services "nope" not found"#);
        }
        other => panic!("expected 404, got {other:?}"),
    }
    // Registered, but nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    fk.fake.register_service("kube-system", "down", closed);
    let req = Request::get(format!("{BASE}/down/proxy/v1/cert.pem"))
        .body(Vec::new())
        .unwrap();
    assert_eq!(code(client.request_text(req).await), 503);
    // Faults can be injected on the proxy too.
    let addr = upstream().await;
    fk.fake.register_service("kube-system", "up", addr);
    fk.fake.inject_fault("get", "services/proxy", 500, 1);
    let req = || {
        Request::get(format!("{BASE}/up/proxy/v1/cert.pem"))
            .body(Vec::new())
            .unwrap()
    };
    assert_eq!(code(client.request_text(req()).await), 500);
    assert_eq!(client.request_text(req()).await.unwrap(), PEM);
    fk.fake.unregister_service("kube-system", "up");
    assert_eq!(code(client.request_text(req()).await), 404);
}
