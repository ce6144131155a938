//! Trust on first use, as ssh's known_hosts: which cluster a certificate belongs to, and a
//! warning when a cluster's certificate is not the one last seen.
//!
//! A URL does not name a cluster: kind, minikube and every port-forward answer at
//! `127.0.0.1:6443`. The API server's CA does: two clusters behind one address have different
//! CAs. Without a CA (plain http, `--insecure-skip-tls-verify`) the URL is all there is.
//!
//! A changed certificate only warns. Key rotation legitimately changes the newest key; a user
//! who wants a refusal pins it with `--cert-fingerprint`.

use sha2::{Digest, Sha256};

/// The identity of the cluster `config` talks to: `ca sha256:…` over its CA bundle, else
/// `server <url>`.
pub fn cluster_identity(config: &kube::Config) -> String {
    match config.root_cert.as_deref() {
        Some(certs) if !certs.is_empty() => {
            let mut digest = Sha256::new();
            for der in certs {
                // Length-prefixed, so that no two bundles hash alike by re-cutting the bytes.
                digest.update((der.len() as u64).to_be_bytes());
                digest.update(der);
            }
            format!("ca sha256:{}", hex::encode(digest.finalize()))
        }
        _ => format!("server {}", config.cluster_url),
    }
}

/// What was seen before for this cluster and controller.
pub struct LastSeen<'a> {
    pub fingerprint: &'a str,
    pub source: &'a str,
    pub fetched_at: u64,
}

/// The warning for a certificate that is not the last one seen, or `None` when it is.
pub fn change_warning(
    last: &LastSeen<'_>,
    fingerprint: &str,
    source: &str,
    server: &str,
    identity: &str,
    controller: &str,
) -> Option<String> {
    (last.fingerprint != fingerprint).then(|| {
        format!(
            "warning: the sealing certificate of controller {controller} on {server} ({identity}) \
             has changed since it was last seen.\n  last seen: {} (from {}, at {} Unix time)\n  \
             now:       {fingerprint} (from {source})\n  A key rotation changes it; if you did \
             not expect one, check the new fingerprint with the cluster's operators, and pin \
             it with --cert-fingerprint.",
            last.fingerprint, last.source, last.fetched_at
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(roots: Option<Vec<Vec<u8>>>) -> kube::Config {
        let mut config = kube::Config::new("https://127.0.0.1:6443".parse().unwrap());
        config.root_cert = roots;
        config
    }

    #[test]
    fn the_ca_names_the_cluster_and_the_url_only_without_one() {
        let a = cluster_identity(&config(Some(vec![b"ca-a".to_vec()])));
        let b = cluster_identity(&config(Some(vec![b"ca-b".to_vec()])));
        assert_ne!(a, b);
        assert!(a.starts_with("ca sha256:"), "{a}");
        let split = cluster_identity(&config(Some(vec![b"ca-".to_vec(), b"a".to_vec()])));
        assert_ne!(a, split);
        assert_eq!(
            cluster_identity(&config(None)),
            "server https://127.0.0.1:6443/"
        );
        assert_eq!(
            cluster_identity(&config(Some(Vec::new()))),
            cluster_identity(&config(None))
        );
    }

    #[test]
    fn warns_only_on_a_change_naming_both_fingerprints_and_the_sources() {
        let last = LastSeen {
            fingerprint: "aa",
            source: "ConfigMap x/y",
            fetched_at: 7,
        };
        assert!(change_warning(&last, "aa", "s", "u", "i", "c").is_none());
        let text = change_warning(&last, "bb", "service proxy z", "u", "i", "c").unwrap();
        for needle in [
            "aa",
            "bb",
            "ConfigMap x/y",
            "service proxy z",
            "--cert-fingerprint",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
    }
}
