//! `/api/v1/namespaces/{ns}/services/{svc}/proxy/{path}`: forwarded over plain HTTP/1.1 to an
//! address registered with [`FakeKube::register_service`], like the real server's service
//! proxy (which would dial an endpoint of the Service).
//!
//! The client is a minimal hand-written HTTP/1.1 exchange (`Connection: close`, read to EOF,
//! `Content-Length` or chunked bodies) so the fake needs no HTTP client dependency.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::FakeKube;
use crate::reply::{bad_request, json_reply, reason_for, status};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

/// A parsed proxy path.
pub(crate) struct ProxyPath {
    namespace: String,
    /// `name`, `name:port` or `scheme:name:port`.
    service: String,
    /// The path to forward, starting with '/', still percent-encoded.
    rest: String,
}

pub(crate) fn parse(path: &str) -> Option<ProxyPath> {
    let tail = path.strip_prefix("/api/v1/namespaces/")?;
    let (namespace, tail) = tail.split_once('/')?;
    let tail = tail.strip_prefix("services/")?;
    let (service, tail) = tail.split_once('/')?;
    let rest = tail.strip_prefix("proxy")?;
    if !(rest.is_empty() || rest.starts_with('/')) || namespace.is_empty() || service.is_empty() {
        return None;
    }
    Some(ProxyPath {
        namespace: namespace.to_string(),
        service: service.to_string(),
        rest: if rest.is_empty() {
            "/".into()
        } else {
            rest.to_string()
        },
    })
}

/// `[scheme:]name[:port]` → (scheme, name), as the real server splits it.
fn split_service(s: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        [name] | [name, _] => Some(("", name)),
        [scheme, name, _] => Some((scheme, name)),
        _ => None,
    }
}

struct Upstream {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl FakeKube {
    pub(crate) async fn proxy(
        &self,
        p: ProxyPath,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Response {
        let Some((scheme, name)) = split_service(&p.service) else {
            return bad_request(&format!("invalid service request {:?}", p.service))
                .into_response();
        };
        if !matches!(scheme, "" | "http") {
            return bad_request(&format!("the fake proxies plain http only, not {scheme:?}"))
                .into_response();
        }
        let verb = match *method {
            Method::GET | Method::HEAD => "get",
            Method::POST => "create",
            Method::PUT => "update",
            Method::PATCH => "patch",
            Method::DELETE => "delete",
            _ => "proxy",
        };
        let (fault, addr) = {
            let mut s = self.lock();
            *s.requests
                .entry((verb.to_string(), "services/proxy".to_string()))
                .or_default() += 1;
            s.request_log.push(crate::request_log::LoggedRequest {
                verb: verb.to_string(),
                group: String::new(),
                resource: "services".into(),
                subresource: "proxy".into(),
                namespace: p.namespace.clone(),
                name: p.service.clone(),
                user: crate::request_log::user(headers),
            });
            let fault = s.faults.take(verb, "services/proxy");
            s.request_times.push((std::time::Instant::now(), fault));
            let addr = s
                .services
                .get(&(p.namespace.clone(), name.to_string()))
                .copied();
            (fault, addr)
        };
        self.bump();
        if let Some(code) = fault {
            return status(code, reason_for(code), "injected fault").into_response();
        }
        let Some(addr) = addr else {
            return json_reply(
                StatusCode::NOT_FOUND,
                "application/json",
                &json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                    "message": format!("services \"{name}\" not found"),"reason":"NotFound",
                    "details":{"name": name, "kind":"services"},"code":404}),
            );
        };
        let target = match uri.query() {
            Some(q) => format!("{}?{q}", p.rest),
            None => p.rest,
        };
        let hdr = |h: header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok());
        let forwarded = [
            ("Content-Type", hdr(header::CONTENT_TYPE)),
            ("Accept", hdr(header::ACCEPT)),
        ];
        match forward(addr, method.as_str(), &target, &forwarded, &body).await {
            Ok(up) => {
                let code = StatusCode::from_u16(up.status).unwrap_or(StatusCode::BAD_GATEWAY);
                let mut resp = (code, up.body).into_response();
                if let Some(ct) = up.content_type.and_then(|c| c.parse().ok()) {
                    resp.headers_mut().insert(header::CONTENT_TYPE, ct);
                }
                resp
            }
            Err(e) => status(
                503,
                "ServiceUnavailable",
                &format!("error trying to reach service: dial tcp {addr}: {e}"),
            )
            .into_response(),
        }
    }
}

async fn forward(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, Option<&str>)],
    body: &[u8],
) -> std::io::Result<Upstream> {
    let timeout = |e| std::io::Error::new(std::io::ErrorKind::TimedOut, e);
    let mut stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| timeout("connect timed out"))??;
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        if let Some(v) = v {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("\r\n");
    let exchange = async {
        stream.write_all(req.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut raw = Vec::new();
        (&mut stream)
            .take(MAX_RESPONSE)
            .read_to_end(&mut raw)
            .await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(EXCHANGE_TIMEOUT, exchange)
        .await
        .map_err(|_| timeout("no response from the service"))??;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed HTTP response")
    })
}

fn parse_response(raw: &[u8]) -> Option<Upstream> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(raw.get(..split)?).ok()?;
    let rest = raw.get(split + 4..)?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let (mut content_type, mut length, mut chunked) = (None, None, false);
    for l in lines {
        let (k, v) = l.split_once(':')?;
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(v.to_string()),
            "content-length" => length = v.parse::<usize>().ok(),
            "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n)?.to_vec()
    } else {
        rest.to_vec()
    };
    Some(Upstream {
        status,
        content_type,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_line = std::str::from_utf8(b.get(..eol)?).ok()?;
        let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
        b = b.get(eol + 2..)?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn proxy_paths() {
        let p = parse("/api/v1/namespaces/ns/services/http:svc:http/proxy/v1/cert.pem");
        assert!(p.as_ref().is_some_and(|p| p.namespace == "ns"
            && p.service == "http:svc:http"
            && p.rest == "/v1/cert.pem"));
        assert!(parse("/api/v1/namespaces/ns/services/svc/proxy").is_some_and(|p| p.rest == "/"));
        assert!(parse("/api/v1/namespaces/ns/services/svc").is_none());
        assert!(parse("/api/v1/namespaces/ns/services/svc/proxyx").is_none());
        assert_eq!(split_service("svc"), Some(("", "svc")));
        assert_eq!(split_service("svc:8080"), Some(("", "svc")));
        assert_eq!(split_service("http:svc:http"), Some(("http", "svc")));
    }

    #[test]
    fn responses() {
        let r = parse_response(b"HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        assert!(r.is_some_and(|r| r.status == 201
            && r.body == b"abcde"
            && r.content_type.as_deref() == Some("text/plain")));
        let r = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA");
        assert!(r.is_some_and(|r| r.body == b"ok"));
    }
}
