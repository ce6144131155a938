//! Where the sealing certificate comes from: a local file, or a URL.
//!
//! Plain `http://` is accepted only for loopback addresses: a certificate fetched over an
//! unauthenticated network path could be swapped for an attacker's, who could then read
//! every value sealed with it.

use crate::error::CliError;
use std::{io::Read, time::Duration};
use zeroize::Zeroizing;

/// Largest certificate bundle we accept from a URL.
const MAX_CERT_BYTES: u64 = 1 << 20;
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Load the raw bytes of a certificate from a file path or URL.
pub fn read_certificate_bytes(spec: &str) -> Result<Vec<u8>, CliError> {
    if let Some(path) = spec.strip_prefix("file://") {
        return read_file(path);
    }
    if spec.starts_with("https://") || spec.starts_with("http://") {
        return fetch_url(spec);
    }
    read_file(spec)
}

fn read_file(path: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

fn fetch_url(url: &str) -> Result<Vec<u8>, CliError> {
    let fail = |reason: String| CliError::Fetch {
        url: url.to_owned(),
        reason,
    };
    if url.starts_with("http://") && !is_loopback_url(url) {
        return Err(fail(
            "plain http is only allowed for loopback addresses; use https://".into(),
        ));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(FETCH_TIMEOUT))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(MAX_CERT_BYTES)
        .read_to_end(&mut body)
        .map_err(|e| fail(e.to_string()))?;
    Ok(body)
}

fn is_loopback_url(url: &str) -> bool {
    let rest = url.trim_start_matches("http://");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Private key files are plaintext-equivalent: read them into zeroizing memory.
pub fn read_private_key_file(path: &std::path::Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let mut buf = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("http://127.0.0.1:8080/v1/cert.pem"));
        assert!(is_loopback_url("http://localhost/x"));
        assert!(is_loopback_url("http://[::1]:80/x"));
        assert!(!is_loopback_url("http://10.0.0.1/x"));
        assert!(!is_loopback_url("http://example.com/x"));
    }

    #[test]
    fn plain_http_to_remote_is_refused() {
        let err = read_certificate_bytes("http://192.0.2.1/cert.pem");
        assert!(matches!(err, Err(CliError::Fetch { .. })));
    }
}
