//! Where the sealing certificate comes from when `--cert` is not given, in order:
//! 1. the local cache for this cluster and controller, while fresh (`--cert-cache-ttl`);
//! 2. the ConfigMap sealant's controller publishes (`sealant-certificates`, key `cert.pem`),
//!    readable with a plain `get configmaps`;
//! 3. the controller's `/v1/cert.pem` through the service proxy, as kubeseal fetches it
//!    (works against Bitnami's controller; needs `get services/proxy`).
//!
//! stderr names the source and the fingerprint; `--cert-fingerprint` pins it. The cache is
//! per cluster identity, and a certificate fetched afresh that is not the one last seen for
//! that cluster and controller is announced with a warning (`trust.rs`).

use super::{
    ClusterArgs, Connection, block_on, cache, connect,
    proxy::{self, ServiceTarget},
    trust,
};
use crate::{error::CliError, key_sources::read_certificate_bytes};
use clap::Args;
use http::{Method, StatusCode};
use sealant_api::contract::{ACTIVE_CERT_KEY, ACTIVE_HYBRID_KEY, CERTIFICATES_CONFIGMAP, Route};
use sealant_crypto::XWingPublicKey;
use sealant_keys::Certificate;
use std::time::{Duration, SystemTime};

fn duration_arg(text: &str) -> Result<Duration, String> {
    sealant_api::parse_kubectl_duration(text)
}

/// The certificate flags of every sealing command.
#[derive(Debug, Clone, Args)]
pub struct CertArgs {
    /// Certificate to seal with: a PEM file, or an https:// URL (default: from the cluster:
    /// cache, then the controller's ConfigMap, then its service proxy). `seal` takes it more
    /// than once to write one SealedSecret per certificate.
    #[arg(long, env = "SEALANT_CERT", value_name = "FILE|URL")]
    pub cert: Vec<String>,
    /// Refuse to seal unless the certificate's SHA-256 public-key fingerprint is this one.
    #[arg(long, env = "SEALANT_CERT_FINGERPRINT", value_name = "SHA256")]
    pub cert_fingerprint: Option<String>,
    /// How long a certificate fetched from the cluster is reused from the local cache
    /// (0: always ask the cluster).
    #[arg(
        long,
        env = "SEALANT_CERT_CACHE_TTL",
        value_name = "DURATION",
        default_value = "24h",
        value_parser = duration_arg
    )]
    pub cert_cache_ttl: Duration,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

impl Default for CertArgs {
    fn default() -> Self {
        Self {
            cert: Vec::new(),
            cert_fingerprint: None,
            cert_cache_ttl: cache::DEFAULT_TTL,
            cluster: ClusterArgs::default(),
        }
    }
}

/// A certificate and the bytes it came as.
pub struct Fetched {
    pub certificate: Certificate,
    pub pem: Vec<u8>,
}

/// The certificate to seal with: `--cert`, else from the cluster. Checked (RSA, valid now)
/// and pinned.
pub fn sealing_certificate(args: &CertArgs) -> Result<Certificate, CliError> {
    fetch(args).map(|f| f.certificate)
}

/// Every `--cert`, read and checked, in order: `seal` with several certificates. A pin
/// names one certificate, so it does not combine with several.
pub fn each_certificate(args: &CertArgs) -> Result<Vec<Certificate>, CliError> {
    if args.cert_fingerprint.is_some() && args.cert.len() > 1 {
        return Err(CliError::Usage(
            "--cert-fingerprint pins one certificate; it cannot be combined with several --cert"
                .into(),
        ));
    }
    args.cert
        .iter()
        .map(|spec| check(&read_certificate_bytes(spec)?, spec))
        .collect()
}

/// [`sealing_certificate`] with the bytes, for `cert fetch` / `--fetch-cert`.
pub fn fetch(args: &CertArgs) -> Result<Fetched, CliError> {
    let pin = args
        .cert_fingerprint
        .as_deref()
        .map(parse_pin)
        .transpose()?;
    match single_cert(args)? {
        Some(spec) => {
            let pem = read_certificate_bytes(spec)?;
            let certificate = check(&pem, spec)?;
            if let Some(pin) = &pin {
                check_pin(&certificate, pin, spec)?;
            }
            Ok(Fetched { certificate, pem })
        }
        None => block_on(from_cluster(args, pin.as_deref())),
    }
}

/// The one `--cert` of a command that seals for one certificate.
fn single_cert(args: &CertArgs) -> Result<Option<&String>, CliError> {
    match args.cert.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(CliError::Usage(format!(
            "--cert was given {} times; only `sealant seal` (without --raw) seals for several certificates",
            many.len()
        ))),
    }
}

/// `sha256:AB:CD…`, `abcd…` → 64 lowercase hex digits.
pub fn parse_pin(text: &str) -> Result<String, CliError> {
    text.parse::<sealant_crypto::Fingerprint>()
        .map(|fp| fp.to_hex())
        .map_err(|_| {
            CliError::Usage(format!(
                "--cert-fingerprint {text:?} is not a SHA-256 fingerprint (64 hex digits, as \
                 `sealant cert inspect` prints)"
            ))
        })
}

fn check(pem: &[u8], origin: &str) -> Result<Certificate, CliError> {
    sealant_keys::load_sealing_certificate(pem, time::OffsetDateTime::now_utc())
        .map_err(|e| CliError::keys(format!("certificate {origin}"), e))
}

fn check_pin(cert: &Certificate, pin: &str, origin: &str) -> Result<(), CliError> {
    let actual = cert.fingerprint().to_hex();
    if actual == pin {
        Ok(())
    } else {
        Err(CliError::FingerprintMismatch {
            source_name: origin.to_owned(),
            expected: pin.to_owned(),
            actual,
        })
    }
}

/// The cluster's newest hybrid (X-Wing) public key (`--hybrid-keys` on the controller): the
/// certificates ConfigMap's `xwing.pub`, else `/v1/xwing.pub` through the service proxy.
/// Returns the key and the source it came from. Not cached and not pinned: the answer comes
/// over the API server's authenticated connection, and the key id is printed so a reviewer
/// can compare it with `sealant keys list`.
pub fn cluster_hybrid_key(args: &CertArgs) -> Result<(XWingPublicKey, String), CliError> {
    block_on(hybrid_from_cluster(args))
}

/// What [`CliError::CertificateUnavailable`] names when the hybrid key cannot be had.
const HYBRID_KEY_WHAT: &str = "hybrid key (xwing.pub: run the controller with --hybrid-keys)";

async fn hybrid_from_cluster(args: &CertArgs) -> Result<(XWingPublicKey, String), CliError> {
    let conn = connect(&args.cluster, None).await?;
    let mut attempts = Vec::new();
    let found = first_published(
        &conn,
        &args.cluster,
        (ACTIVE_HYBRID_KEY, Route::HybridPublicKey),
        &mut attempts,
        |pem, source, attempts| {
            let parsed = String::from_utf8(pem)
                .map_err(|_| "not a PEM text".to_owned())
                .and_then(|text| XWingPublicKey::from_pem(&text).map_err(|e| e.to_string()));
            match parsed {
                Ok(key) => Ok(Some(key)),
                Err(error) => {
                    attempts.push(Attempt {
                        source: source.to_owned(),
                        error,
                        status: None,
                    });
                    Ok(None)
                }
            }
        },
    )
    .await?;
    found.ok_or_else(|| unavailable(HYBRID_KEY_WHAT, &conn, &args.cluster, &attempts))
}

/// The controller's published key: the certificates ConfigMap's entry, else the route through
/// the service proxy. Returns the first answer `accept` takes, with where it came from; every
/// source that gave nothing usable is recorded in `attempts`.
async fn first_published<T>(
    conn: &Connection,
    cluster: &ClusterArgs,
    (configmap_key, route): (&str, Route),
    attempts: &mut Vec<Attempt>,
    mut accept: impl FnMut(Vec<u8>, &str, &mut Vec<Attempt>) -> Result<Option<T>, CliError>,
) -> Result<Option<(T, String)>, CliError> {
    let ns = &cluster.controller_namespace;
    let configmap_source = format!("ConfigMap {ns}/{CERTIFICATES_CONFIGMAP}");
    match configmap_entry(conn, ns, configmap_key).await {
        Ok(pem) => {
            if let Some(found) = accept(pem, &configmap_source, attempts)? {
                return Ok(Some((found, configmap_source)));
            }
        }
        Err((error, status)) => attempts.push(Attempt {
            source: configmap_source,
            error,
            status,
        }),
    }
    match proxy::resolve_service(conn, cluster).await {
        Ok(target) => {
            let source = target.describe();
            match proxy_get(conn, &target, route).await {
                Ok(pem) => {
                    if let Some(found) = accept(pem, &source, attempts)? {
                        return Ok(Some((found, source)));
                    }
                }
                Err((mut error, status)) => {
                    if let Some(note) = &target.note {
                        error = format!("{error} ({note})");
                    }
                    attempts.push(Attempt {
                        source,
                        error,
                        status,
                    });
                }
            }
        }
        Err(error) => attempts.push(Attempt {
            source: format!("service proxy to controller {}", cluster.controller_label()),
            error,
            status: None,
        }),
    }
    Ok(None)
}

/// One source that did not give a usable certificate.
struct Attempt {
    source: String,
    error: String,
    status: Option<StatusCode>,
}

async fn from_cluster(args: &CertArgs, pin: Option<&str>) -> Result<Fetched, CliError> {
    let conn = connect(&args.cluster, None).await?;
    let controller = args.cluster.controller_label();
    let key = cache::CacheKey {
        server: conn.server.clone(),
        cluster: conn.identity.clone(),
        controller: controller.clone(),
    };
    let cache_path = cache::cache_dir().map(|d| cache::entry_path(&d, &key));
    // Fresh or not, the entry is the last certificate seen for this cluster and controller.
    let last_seen = cache_path.as_ref().and_then(|path| cache::read(path, &key));
    let known = Known {
        key: &key,
        path: cache_path.as_deref(),
        last_seen: last_seen.as_ref(),
    };
    let mut attempts = Vec::new();

    if let Some(path) = &cache_path {
        let cached = last_seen
            .clone()
            .filter(|e| e.is_fresh(args.cert_cache_ttl, SystemTime::now()));
        if let Some(entry) = cached {
            let origin = format!("cache {}", path.display());
            match use_cached(&entry, pin, &origin) {
                Ok(certificate) => {
                    eprintln!(
                        "certificate: from the local cache {} (fetched from {} {}s ago); fingerprint {}",
                        path.display(),
                        entry.source,
                        entry.age(SystemTime::now()).as_secs(),
                        certificate.fingerprint()
                    );
                    return Ok(Fetched {
                        certificate,
                        pem: entry.certificate.into_bytes(),
                    });
                }
                Err(why) => attempts.push(Attempt {
                    source: origin,
                    error: why,
                    status: None,
                }),
            }
        }
    }

    let published = first_published(
        &conn,
        &args.cluster,
        (ACTIVE_CERT_KEY, Route::CertPem),
        &mut attempts,
        |pem, source, attempts| accept(pem, source, pin, attempts),
    )
    .await?;
    match published {
        Some((found, source)) => Ok(finish(found, &source, &known)),
        None => Err(unavailable(
            "sealing certificate",
            &conn,
            &args.cluster,
            &attempts,
        )),
    }
}

fn use_cached(
    entry: &cache::CacheEntry,
    pin: Option<&str>,
    origin: &str,
) -> Result<Certificate, String> {
    let certificate = check(entry.certificate.as_bytes(), origin).map_err(|e| e.to_string())?;
    if certificate.fingerprint().to_hex() != entry.fingerprint {
        return Err("its fingerprint does not match its certificate; ignored".into());
    }
    if let Some(pin) = pin
        && entry.fingerprint != pin
    {
        return Err(format!(
            "cached fingerprint {} is not the pinned one; asking the cluster",
            entry.fingerprint
        ));
    }
    Ok(certificate)
}

/// A certificate a cluster source returned: unusable ones are recorded and the next source
/// is tried; a pin mismatch refuses at once (the next source is the same controller).
fn accept(
    pem: Vec<u8>,
    source: &str,
    pin: Option<&str>,
    attempts: &mut Vec<Attempt>,
) -> Result<Option<Fetched>, CliError> {
    let certificate = match check(&pem, source) {
        Ok(c) => c,
        Err(e) => {
            attempts.push(Attempt {
                source: source.to_owned(),
                error: e.to_string(),
                status: None,
            });
            return Ok(None);
        }
    };
    if let Some(pin) = pin {
        check_pin(&certificate, pin, source)?;
    }
    Ok(Some(Fetched { certificate, pem }))
}

/// Where this cluster's certificate is remembered, and what was remembered.
struct Known<'a> {
    key: &'a cache::CacheKey,
    path: Option<&'a std::path::Path>,
    last_seen: Option<&'a cache::CacheEntry>,
}

/// A certificate fresh from the cluster: announced (with a warning when it is not the last
/// one seen) and remembered.
fn finish(found: Fetched, source: &str, known: &Known<'_>) -> Fetched {
    let fingerprint = found.certificate.fingerprint().to_hex();
    eprintln!("certificate: from {source}; fingerprint {fingerprint}");
    if let Some(last) = known.last_seen {
        let last = trust::LastSeen {
            fingerprint: &last.fingerprint,
            source: &last.source,
            fetched_at: last.fetched_at,
        };
        let key = known.key;
        if let Some(warning) = trust::change_warning(
            &last,
            &fingerprint,
            source,
            &key.server,
            &key.cluster,
            &key.controller,
        ) {
            eprintln!("{warning}");
        }
    }
    if let Some(path) = known.path {
        let entry = cache::CacheEntry {
            server: known.key.server.clone(),
            cluster: known.key.cluster.clone(),
            controller: known.key.controller.clone(),
            source: source.to_owned(),
            fetched_at: cache::now_secs(),
            fingerprint,
            certificate: String::from_utf8_lossy(&found.pem).into_owned(),
        };
        if let Err(e) = cache::write(path, &entry) {
            eprintln!("warning: cannot cache the certificate: {e}");
        }
    }
    found
}

type SourceError = (String, Option<StatusCode>);

/// One key of the certificates ConfigMap.
async fn configmap_entry(conn: &Connection, ns: &str, key: &str) -> Result<Vec<u8>, SourceError> {
    let path = format!(
        "/api/v1/namespaces/{}/configmaps/{CERTIFICATES_CONFIGMAP}",
        proxy::encode(ns)
    );
    let reply = proxy::call(conn, Method::GET, &path, None)
        .await
        .map_err(|e| (e, None))?;
    if !reply.status.is_success() {
        return Err((reply.describe(), Some(reply.status)));
    }
    let configmap: serde_json::Value = serde_json::from_slice(&reply.body)
        .map_err(|e| (format!("unreadable reply: {e}"), None))?;
    configmap
        .pointer(&format!(
            "/data/{}",
            key.replace('~', "~0").replace('/', "~1")
        ))
        .and_then(serde_json::Value::as_str)
        .map(|pem| pem.as_bytes().to_vec())
        .ok_or_else(|| {
            (
                format!("it has no {key} key (the controller has no such key yet?)"),
                None,
            )
        })
}

async fn proxy_get(
    conn: &Connection,
    target: &ServiceTarget,
    route: Route,
) -> Result<Vec<u8>, SourceError> {
    let reply = proxy::call(conn, Method::GET, &target.proxy_path(route.path()), None)
        .await
        .map_err(|e| (e, None))?;
    if reply.status.is_success() {
        Ok(reply.body)
    } else {
        Err((reply.describe(), Some(reply.status)))
    }
}

fn unavailable(
    what: &'static str,
    conn: &Connection,
    args: &ClusterArgs,
    attempts: &[Attempt],
) -> CliError {
    let ns = &args.controller_namespace;
    let mut hints = Vec::new();
    let forbidden = |a: &Attempt| {
        a.status == Some(StatusCode::FORBIDDEN) || a.status == Some(StatusCode::UNAUTHORIZED)
    };
    for attempt in attempts {
        if attempt.source.starts_with("ConfigMap") && forbidden(attempt) {
            hints.push(format!(
                "grant RBAC `get` on configmaps ({CERTIFICATES_CONFIGMAP}) in namespace {ns}"
            ));
        }
        if attempt.source.starts_with("service proxy") && forbidden(attempt) {
            hints.push(format!(
                "grant RBAC `get` on services/proxy (and `get` on services) in namespace {ns}"
            ));
        }
    }
    if attempts
        .iter()
        .all(|a| a.status.is_none() && !a.source.starts_with("cache"))
    {
        hints.push(format!(
            "the API server {} did not answer: check --kubeconfig, --context, --server and \
             the network",
            conn.server
        ));
    }
    hints.push(
        "point at the controller with --controller-namespace and --controller-name, or \
         --controller-selector LABELSEL (Helm release names differ)"
            .to_owned(),
    );
    hints.push("or seal offline with --cert FILE|URL".to_owned());
    CliError::CertificateUnavailable {
        what,
        server: conn.server.clone(),
        controller: args.controller_label(),
        tried: attempts
            .iter()
            .map(|a| format!("{}: {}", a.source, a.error))
            .collect(),
        hints,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_normalised() {
        let hex = "AB".repeat(32);
        assert_eq!(parse_pin(&hex).unwrap(), "ab".repeat(32));
        let colons = vec!["ab"; 32].join(":");
        assert_eq!(
            parse_pin(&format!("sha256:{colons}")).unwrap(),
            "ab".repeat(32)
        );
        assert!(parse_pin("abc").is_err());
        assert!(parse_pin(&"zz".repeat(32)).is_err());
    }
}
