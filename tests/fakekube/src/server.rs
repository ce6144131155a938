//! The HTTP front: binding, latency, routing a request to discovery, the service proxy or a
//! resource verb, request counting and fault injection.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use crate::handlers::parse_object;
use crate::reply::{no_route, reason_for, status};
use crate::request::{Output, Target, flag, negotiate, parse_path, parse_query};
use crate::{FakeKube, Running, discovery, proxy};

impl FakeKube {
    /// Bind 127.0.0.1 on `port` (0 = ephemeral) and serve in the background.
    pub async fn start(port: u16) -> std::io::Result<Running> {
        let fake = FakeKube::new();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let f = fake.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let f = f.clone();
                async move { f.handle(method, uri, headers, body).await }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Running { addr, fake })
    }

    async fn handle(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let latency = self.lock().faults.latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let path = uri.path();
        if let Some(r) = discovery::serve(path) {
            return r;
        }
        if let Some(p) = proxy::parse(path) {
            return self.proxy(p, &method, &uri, &headers, body).await;
        }
        let Some(t) = parse_path(path) else {
            return no_route(path).into_response();
        };
        let q = parse_query(&uri);
        let verb = match (&method, t.name.is_some()) {
            (&Method::GET, true) => "get",
            (&Method::GET, false) if flag(&q, "watch") => "watch",
            (&Method::GET, false) => "list",
            (&Method::POST, false) => "create",
            (&Method::PUT, true) => "update",
            (&Method::PATCH, true) => "patch",
            (&Method::DELETE, true) => "delete",
            (&Method::DELETE, false) => "deletecollection",
            _ => {
                return status(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                )
                .into_response();
            }
        };
        // Namespace deletion (termination, finalizers, content removal) is not modeled.
        if (t.res.store == crate::resources::NAMESPACES
            && matches!(verb, "delete" | "deletecollection"))
            || (t.status && !matches!(verb, "get" | "update" | "patch"))
            || (t.res.namespaced
                && t.namespace.is_none()
                && matches!(verb, "create" | "deletecollection"))
        {
            return status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
            .into_response();
        }
        if let Some(code) = self.count_request(verb, &t, &q, &headers) {
            let mut reply = status(code, reason_for(code), "injected fault").into_response();
            let retry_after = self.lock().faults.retry_after;
            if let (429, Some(seconds)) = (code, retry_after) {
                reply
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, seconds.into());
            }
            return reply;
        }
        let Some(out) = negotiate(&headers, verb == "list" || verb == "deletecollection") else {
            return status(406, "NotAcceptable", "only the following media types are accepted: application/json, application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1").into_response();
        };
        self.dispatch(verb, &t, &q, &headers, &body, out)
    }

    /// Count the request and take a matching injected fault.
    fn count_request(
        &self,
        verb: &str,
        t: &Target,
        q: &crate::request::Query,
        headers: &HeaderMap,
    ) -> Option<u16> {
        let resource = t.log_resource();
        let fault = {
            let mut s = self.lock();
            *s.requests
                .entry((verb.to_string(), resource.clone()))
                .or_default() += 1;
            s.request_log.push(t.logged(verb, Some(q), headers));
            let fault = s.faults.take(verb, &resource);
            s.request_times.push((std::time::Instant::now(), fault));
            fault
        };
        // Tests may `wait_until` a request count changes.
        self.bump();
        fault
    }

    fn dispatch(
        &self,
        verb: &str,
        t: &Target,
        q: &crate::request::Query,
        headers: &HeaderMap,
        body: &[u8],
        out: Output,
    ) -> Response {
        match verb {
            "get" => self.get(t, out),
            "list" => self.list(t, q, out),
            "watch" => self.watch(t, q, out),
            "create" => self.create(t, q, parse_object(t, headers, body), out),
            "update" => self.update(t, q, parse_object(t, headers, body), out),
            "patch" => self.patch(t, q, headers, body, out),
            "delete" => self.delete(t, q, body, out),
            _ => self.delete_collection(t, q, body, out),
        }
    }
}
