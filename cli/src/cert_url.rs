//! Fetching a certificate from a URL, one hop at a time.
//!
//! Every URL, the first and each redirect target alike, must be `https://`, or plain
//! `http://` to a loopback address: a certificate fetched over an unauthenticated network
//! path could be swapped for an attacker's, who could then read every value sealed with it.
//! An HTTP client that follows redirects on its own checks only the first URL, so redirects
//! are followed here, and each target is checked before any connection is made to it. A
//! redirect never goes from https down to plain http, even to loopback.

use crate::error::CliError;
use std::{io::Read, time::Duration};

/// Largest certificate bundle we accept from a URL.
const MAX_CERT_BYTES: u64 = 1 << 20;
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed before giving up (release downloads take one or two).
pub const MAX_REDIRECTS: usize = 5;

/// The body at `url`, following at most [`MAX_REDIRECTS`] redirects, each allowed by the
/// rule above.
pub fn fetch(url: &str) -> Result<Vec<u8>, CliError> {
    let fail = |reason: String| CliError::Fetch {
        url: url.to_owned(),
        reason,
    };
    check_url(url).map_err(fail)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(FETCH_TIMEOUT))
        // Redirects are ours to follow: see the module comment.
        .max_redirects(0)
        .build()
        .into();
    let mut current = url.to_owned();
    for _ in 0..=MAX_REDIRECTS {
        let response = agent
            .get(&current)
            .call()
            .map_err(|e| fail(hop_reason(url, &current, e.to_string())))?;
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    fail(hop_reason(
                        url,
                        &current,
                        format!("{} without a usable Location header", response.status()),
                    ))
                })?;
            let next = resolve(&current, location)
                .map_err(|why| fail(format!("redirected from {current} to {location:?}: {why}")))?;
            check_redirect(&current, &next)
                .map_err(|why| fail(format!("redirected to {next}: {why}")))?;
            current = next;
            continue;
        }
        let mut body = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(MAX_CERT_BYTES)
            .read_to_end(&mut body)
            .map_err(|e| fail(hop_reason(url, &current, e.to_string())))?;
        return Ok(body);
    }
    Err(fail(format!(
        "more than {MAX_REDIRECTS} redirects (last to {current})"
    )))
}

/// An error, naming the hop when it is not the URL the user gave.
fn hop_reason(first: &str, current: &str, reason: String) -> String {
    if first == current {
        reason
    } else {
        format!("after a redirect to {current}: {reason}")
    }
}

/// The rule every URL must pass.
fn check_url(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if url.starts_with("http://") {
        return if is_loopback_url(url) {
            Ok(())
        } else {
            Err("plain http is only allowed for loopback addresses; use https://".into())
        };
    }
    Err("only https:// (or http:// to a loopback address) is allowed".into())
}

/// The rule for a redirect target: the URL rule, and no step down from https.
fn check_redirect(from: &str, to: &str) -> Result<(), String> {
    if from.starts_with("https://") && !to.starts_with("https://") {
        return Err("a redirect may not step down from https to plain http".into());
    }
    check_url(to)
}

/// A Location header made absolute against the URL that sent it (RFC 3986 §5.2, for the
/// forms servers send: absolute, scheme-relative, absolute-path, and path-relative).
fn resolve(base: &str, location: &str) -> Result<String, String> {
    if location.contains("://") {
        return Ok(location.to_owned());
    }
    let (scheme, rest) = base.split_once("://").ok_or("the URL has no scheme")?;
    if let Some(authority_and_path) = location.strip_prefix("//") {
        return Ok(format!("{scheme}://{authority_and_path}"));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..authority_end]);
    if location.starts_with('/') {
        return Ok(format!("{origin}{location}"));
    }
    let path = rest[authority_end..]
        .split(['?', '#'])
        .next()
        .unwrap_or_default();
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    Ok(format!("{origin}{dir}{location}"))
}

fn is_loopback_url(url: &str) -> bool {
    let rest = url.trim_start_matches("http://");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Userinfo (`user@host`) would otherwise hide the real host.
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("http://127.0.0.1:8080/v1/cert.pem"));
        assert!(is_loopback_url("http://localhost/x"));
        assert!(is_loopback_url("http://[::1]:80/x"));
        assert!(!is_loopback_url("http://10.0.0.1/x"));
        assert!(!is_loopback_url("http://example.com/x"));
        assert!(!is_loopback_url("http://0.0.0.0:8080/x"));
        assert!(!is_loopback_url("http://127.0.0.1@example.com/x"));
        // Userinfo that looks like a loopback host:port does not hide the real host.
        assert!(!is_loopback_url("http://127.0.0.1:80@example.com/x"));
    }

    #[test]
    fn plain_http_to_remote_is_refused_before_any_request() {
        let err = fetch("http://192.0.2.1/cert.pem");
        assert!(matches!(err, Err(CliError::Fetch { .. })));
    }

    #[test]
    fn every_hop_passes_the_rule() {
        assert!(check_redirect("http://127.0.0.1/a", "http://localhost:9/b").is_ok());
        assert!(check_redirect("http://127.0.0.1/a", "https://example.com/b").is_ok());
        assert!(check_redirect("https://example.com/a", "https://cdn.example.net/b").is_ok());
        assert!(check_redirect("http://127.0.0.1/a", "http://192.0.2.1/b").is_err());
        assert!(check_redirect("https://example.com/a", "http://127.0.0.1/b").is_err());
        assert!(check_redirect("https://example.com/a", "file:///etc/passwd").is_err());
    }

    #[test]
    fn locations_resolve_against_the_sender() {
        let base = "https://h:1/dir/cert.pem?x=1";
        assert_eq!(resolve(base, "https://o/p").unwrap(), "https://o/p");
        assert_eq!(resolve(base, "//o/p").unwrap(), "https://o/p");
        assert_eq!(resolve(base, "/p").unwrap(), "https://h:1/p");
        assert_eq!(
            resolve(base, "other.pem").unwrap(),
            "https://h:1/dir/other.pem"
        );
        assert_eq!(resolve("http://h", "p").unwrap(), "http://h/p");
    }
}
