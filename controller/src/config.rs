//! Command-line flags. Bitnami's controller flags keep their names, defaults and
//! `SEALED_SECRETS_*` variables so an existing Deployment can switch images unchanged; ours
//! are marked "(sealant)".

use crate::http::{
    BODY_READ_TIMEOUT, DEFAULT_HTTP_QUEUE, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_VALUES_PER_REQUEST,
    DEFAULT_RATE_BURST, DEFAULT_RATE_PER_SECOND, DEFAULT_REQUESTS_BURST,
    DEFAULT_REQUESTS_PER_SECOND, DEFAULT_RESERVED_RSA_WORKERS, Limits, MAX_HTTP_QUEUE,
};
use clap::{Parser, ValueEnum};
use sealant_api::RenderLimits;
use sealant_api::parse_go_duration;
use std::{collections::BTreeMap, path::PathBuf, time::Duration};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "sealant-controller",
    version,
    about = "Unseals SealedSecrets into Secrets (drop-in for the Sealed Secrets controller)",
    // Go flag packages let a later flag win; Deployments and tests rely on that.
    args_override_self = true,
    // Every `bool` flag takes Go's syntax (`--flag`, `--flag=false`, `--flag=F`, …).
    mut_args = crate::go_flags::go_style_bool
)]
pub struct Flags {
    /// Prefix of the key Secrets' generateName.
    #[arg(
        long,
        env = "SEALED_SECRETS_KEY_PREFIX",
        default_value = "sealed-secrets-key"
    )]
    pub key_prefix: String,

    /// Size of generated RSA keys, in bits.
    #[arg(long, env = "SEALED_SECRETS_KEY_SIZE", default_value_t = 4096)]
    pub key_size: usize,

    /// Validity of generated certificates (Go duration).
    #[arg(long, env = "SEALED_SECRETS_KEY_TTL", default_value = "87600h", value_parser = parse_go_duration)]
    pub key_ttl: Duration,

    /// Make a new key this long after the newest one (Go duration); 0 disables renewal.
    #[arg(long, env = "SEALED_SECRETS_KEY_RENEW_PERIOD", default_value = "720h", value_parser = parse_go_duration,
          overrides_with = "rotate_period")]
    pub key_renew_period: Duration,

    /// Make a new key at start when the newest is older than this (RFC 1123Z, e.g.
    /// "Mon, 02 Jan 2006 15:04:05 -0700").
    #[arg(long, env = "SEALED_SECRETS_KEY_CUTOFF_TIME", default_value = "", value_parser = parse_cutoff)]
    pub key_cutoff_time: Cutoff,

    /// Which key seals: CertNotBefore (newest certificate). Bitnami's SecretCreationTimestamp
    /// is refused rather than silently treated as CertNotBefore.
    #[arg(long, env = "SEALED_SECRETS_KEY_ORDER_PRIORITY", default_value = "CertNotBefore", value_parser = parse_key_order)]
    pub key_order_priority: String,

    /// Also hold a hybrid post-quantum key pair (X-Wing: ML-KEM-768 + X25519) for envelope
    /// v2: generated, renewed, rotated and retired like the RSA keys, stored in key Secrets of
    /// its own label (`sealant.dev/hybrid-key`, which Bitnami's controller never loads), and
    /// published as `xwing.pub` in the certificate ConfigMap and on `/v1/xwing.pub`. Off:
    /// hybrid key Secrets that exist still open v2 objects, but none is made or published.
    /// (sealant)
    #[arg(long, env = "SEALANT_HYBRID_KEYS")]
    pub hybrid_keys: bool,

    /// Keys besides its own that `/v1/recipients` (`sealant reencrypt --update-recipients`
    /// online) may wrap envelope v2 data keys for: a file holding a certificate or an X-Wing
    /// public key, or a directory of them (such as a mounted ConfigMap). Repeatable. Only the
    /// administrator decides who may be given access; a request or an object never does.
    /// (sealant)
    #[arg(long, env = "SEALANT_ALLOWED_RECIPIENTS", value_delimiter = ',')]
    pub allowed_recipients: Vec<std::path::PathBuf>,

    /// Labels for new key Secrets: "k1=v1,k2=v2".
    #[arg(long, env = "SEALED_SECRETS_PRIVATEKEY_LABELS", default_value = "", value_parser = parse_key_values)]
    pub privatekey_labels: KeyValues,

    /// Annotations for new key Secrets: "k1=v1,k2=v2".
    #[arg(long, env = "SEALED_SECRETS_PRIVATEKEY_ANNOTATIONS", default_value = "", value_parser = parse_key_values)]
    pub privatekey_annotations: KeyValues,

    /// Common name of generated certificates.
    #[arg(long, env = "SEALED_SECRETS_MY_CN", default_value = "")]
    pub my_cn: String,

    /// Watch SealedSecrets in all namespaces (false: only the controller's own namespace).
    #[arg(long, env = "SEALED_SECRETS_ALL_NAMESPACES", default_value = "true")]
    pub all_namespaces: bool,

    /// Comma-separated extra namespaces to watch when --all-namespaces=false.
    #[arg(long, env = "SEALED_SECRETS_ADDITIONAL_NAMESPACES", default_value = "")]
    pub additional_namespaces: String,

    /// Only SealedSecrets matching this label selector are unsealed.
    #[arg(long, env = "SEALED_SECRETS_LABEL_SELECTOR", default_value = "")]
    pub label_selector: String,

    /// Write status conditions on SealedSecrets.
    #[arg(long, env = "SEALED_SECRETS_UPDATE_STATUS", default_value = "true")]
    pub update_status: bool,

    /// Budget the Events written (Normal: 25 at once, then 1 a second; Warning: 100 at once,
    /// then 5 a second), so a cold start of many objects does not flood the API server;
    /// false: every Event is written. Status conditions and metrics are never budgeted.
    /// (sealant)
    #[arg(long, env = "SEALANT_EVENT_BUDGET", default_value = "true")]
    pub event_budget: bool,

    /// Accept the deprecated `spec.data` field.
    #[arg(long, env = "SEALED_SECRETS_ACCEPT_DEPRECATED_V1_DATA")]
    pub accept_deprecated_v1_data: bool,

    /// Delete the generated Secret explicitly when its SealedSecret is deleted, instead of
    /// relying on ownerReference garbage collection (needed with skip-set-owner-references).
    #[arg(long, env = "SEALED_SECRETS_OLD_GC_BEHAVIOR")]
    pub old_gc_behavior: bool,

    /// Log level: trace, debug, info, warn or error (case-insensitive; Bitnami's INFO/ERROR work).
    #[arg(long, env = "SEALED_SECRETS_LOG_LEVEL", default_value = "INFO")]
    pub log_level: String,

    /// Log format.
    #[arg(
        long,
        env = "SEALED_SECRETS_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// HTTP API address (`/v1/cert.pem`, `/v1/verify`, `/v1/rotate`, `/v1/keys`, probes); empty disables.
    #[arg(long, env = "SEALED_SECRETS_LISTEN_ADDR", default_value = ":8080")]
    pub listen_addr: String,

    /// Prometheus metrics address (`/metrics`); empty disables.
    #[arg(
        long,
        env = "SEALED_SECRETS_LISTEN_METRICS_ADDR",
        default_value = ":8081"
    )]
    pub listen_metrics_addr: String,

    /// Leave `sealed_secrets_controller_condition_info` empty, so /metrics names no
    /// SealedSecret (Bitnami v0.39's flag): for when :8081 is reachable by someone who should
    /// not enumerate every namespace and name. Other metrics keep their labels, as in Bitnami.
    #[arg(long, env = "SEALED_SECRETS_METRICS_OMIT_SECRET_LABELS")]
    pub metrics_omit_secret_labels: bool,

    /// Requests per second one client may make to /v1/verify, and to /v1/rotate, each
    /// counted on its own, sustained (Bitnami's flag and meaning, v0.39+). Unset or 0: no
    /// request limit (Bitnami's default is 2; here the RSA budget below is what protects the
    /// controller). Keyed by the TCP peer, so clients behind the API server's service proxy
    /// share one limit.
    #[arg(long, env = "SEALED_SECRETS_RATE_LIMIT", default_value_t = DEFAULT_REQUESTS_PER_SECOND, value_parser = parse_requests_rate)]
    pub rate_limit: f64,

    /// Requests beyond the first one client may make at once to each endpoint before
    /// --rate-limit applies (Bitnami's flag and meaning: its limiter holds burst + 1).
    #[arg(long, env = "SEALED_SECRETS_RATE_LIMIT_BURST", default_value_t = DEFAULT_REQUESTS_BURST)]
    pub rate_limit_burst: u32,

    /// RSA private operations per second a client may have /v1/verify and /v1/rotate spend,
    /// sustained; 0 turns this budget off. A request costs one per value (a one-value object
    /// one), plus a refusal's padding to one per key. Keyed by the TCP peer. (sealant)
    #[arg(long, env = "SEALANT_VERIFY_RSA_OPS_PER_SECOND", default_value_t = DEFAULT_RATE_PER_SECOND, value_parser = parse_rate)]
    pub verify_rsa_ops_per_second: f64,

    /// RSA private operations a client may spend at once before
    /// --verify-rsa-ops-per-second applies (the bucket size). A request with more values
    /// than this can never be served and gets 413. (sealant)
    #[arg(long, env = "SEALANT_VERIFY_RSA_OPS_BURST", default_value_t = DEFAULT_RATE_BURST)]
    pub verify_rsa_ops_burst: u32,

    /// Most values one /v1/verify or /v1/rotate request may hold; more gets 413 before any
    /// RSA work. (sealant)
    #[arg(long, env = "SEALANT_MAX_VALUES_PER_REQUEST", default_value_t = DEFAULT_MAX_VALUES_PER_REQUEST as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_values_per_request: u64,

    /// Largest /v1/verify or /v1/rotate request body, in bytes; larger gets 413. (sealant)
    #[arg(long, env = "SEALANT_MAX_REQUEST_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_request_bytes: u64,

    /// Verify/rotate requests that may wait for an RSA worker; past them the API answers
    /// 503 with Retry-After. Each may hold a body of --max-request-bytes. (sealant)
    #[arg(long, env = "SEALANT_HTTP_QUEUE", default_value_t = DEFAULT_HTTP_QUEUE as u64,
          value_parser = clap::value_parser!(u64).range(0..=MAX_HTTP_QUEUE as u64))]
    pub http_queue: u64,

    /// RSA workers the HTTP API may never use, kept for unsealing; the API always gets at
    /// least one (shared with reconciles, which then go first at every RSA operation).
    /// (sealant)
    #[arg(
        long,
        env = "SEALANT_RESERVED_RSA_WORKERS",
        default_value_t = DEFAULT_RESERVED_RSA_WORKERS
    )]
    pub reserved_rsa_workers: usize,

    /// How often an object that failed permanently (no key opens it, its template fails,
    /// the Secret is not ours) is tried again, with backoff, before it is Stalled: not tried
    /// again until it, its Secret or the keys change (Bitnami's flag: it gave up after this
    /// many retries). Unset: Stalled at the first such failure. Failures a retry can fix
    /// (API errors) are retried without end either way. Negative counts as 0.
    #[arg(long, env = "SEALED_SECRETS_MAX_UNSEAL_RETRIES", value_parser = parse_retries)]
    pub max_unseal_retries: Option<u32>,

    /// Bitnami's limited-permission mode: do not watch generated Secrets (no list/watch on
    /// Secrets outside the controller's namespace). A Secret deleted or edited by hand is
    /// then restored only when its SealedSecret changes or the controller restarts.
    #[arg(long, env = "SEALED_SECRETS_SKIP_RECREATE")]
    pub skip_recreate: bool,

    /// Bitnami's opt-in watch of the key Secrets. Accepted; the key Secrets are always
    /// watched here, so keys made or restored outside the controller are picked up anyway.
    #[arg(long, env = "SEALED_SECRETS_WATCH_FOR_SECRETS")]
    pub watch_for_secrets: bool,

    /// Sustained requests per second to the Kubernetes API (a client-side token bucket, as
    /// client-go's); negative turns the limit off, 0 means the default. Unset: 25000, above
    /// what a restart of 50,000 objects needs (Bitnami's 5 would take hours for it).
    #[arg(long, env = "SEALED_SECRETS_KUBECLIENT_QPS", allow_negative_numbers = true, value_parser = parse_qps)]
    pub kubeclient_qps: Option<f64>,

    /// Requests to the Kubernetes API allowed at once before --kubeclient-qps applies.
    /// Unset or 0: 20000.
    #[arg(long, env = "SEALED_SECRETS_KUBECLIENT_BURST")]
    pub kubeclient_burst: Option<u32>,

    /// Info and lower go to stdout, warnings and errors to stderr (Bitnami's split); false:
    /// everything to stderr.
    #[arg(long, env = "SEALED_SECRETS_LOG_INFO_STDOUT", default_value = "true")]
    pub log_info_stdout: bool,

    /// Deprecated alias of --key-renew-period (Bitnami's, deprecated there too); the later
    /// of the two wins. Warned about once at start.
    #[arg(long, env = "SEALED_SECRETS_ROTATE_PERIOD", hide = true, value_parser = parse_go_duration,
          overrides_with = "key_renew_period")]
    pub rotate_period: Option<Duration>,

    /// Bitnami's whole-request read deadline of its HTTP server: here the deadline for a
    /// verify/rotate request's body, which is 10 s unless this is shorter (0: 10 s).
    #[arg(long, env = "SEALED_SECRETS_READ_TIMEOUT", default_value = "2m", value_parser = parse_go_duration)]
    pub read_timeout: Duration,

    /// Bitnami's response write deadline of its HTTP server. Accepted; responses here are
    /// small and bounded, written without a separate deadline.
    #[arg(long, env = "SEALED_SECRETS_WRITE_TIMEOUT", default_value = "2m", value_parser = parse_go_duration)]
    pub write_timeout: Duration,

    /// Namespace holding the key Secrets. Defaults to $POD_NAMESPACE, then the service
    /// account's namespace, then kube-system. (sealant)
    #[arg(long, env = "SEALED_SECRETS_CONTROLLER_NAMESPACE")]
    pub controller_namespace: Option<String>,

    /// Kubeconfig to use outside a cluster. (sealant)
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// Reconciles running at once. (sealant)
    #[arg(long, env = "SEALANT_CONCURRENCY", default_value_t = 16)]
    pub concurrency: u16,

    /// Threads doing RSA work; 0 = one per CPU. (sealant)
    #[arg(long, env = "SEALANT_RSA_WORKERS", default_value_t = 0)]
    pub rsa_workers: usize,

    /// Largest value one template may render, intermediate pipeline values included, in
    /// bytes; past it the object fails and stalls. (sealant)
    #[arg(long, env = "SEALANT_TEMPLATE_MAX_KEY_BYTES", default_value_t = RenderLimits::DEFAULT_MAX_KEY_BYTES,
          value_parser = positive_size)]
    pub template_max_key_bytes: usize,

    /// Largest Secret the templates may render (all keys together, with the decrypted values
    /// no template replaces), in bytes; the API server refuses more than 1 MiB. (sealant)
    #[arg(long, env = "SEALANT_TEMPLATE_MAX_SECRET_BYTES", default_value_t = RenderLimits::DEFAULT_MAX_SECRET_BYTES,
          value_parser = positive_size)]
    pub template_max_secret_bytes: usize,

    /// Most `{{ … }}` actions in one template, counted while parsing. (sealant)
    #[arg(long, env = "SEALANT_TEMPLATE_MAX_ACTIONS", default_value_t = RenderLimits::DEFAULT_MAX_ACTIONS,
          value_parser = positive_size)]
    pub template_max_actions: usize,

    /// Most bytes the templates of one Secret may process (read plus allocated): bounds the
    /// CPU time of long pipelines. (sealant)
    #[arg(long, env = "SEALANT_TEMPLATE_MAX_WORK_BYTES", default_value_t = RenderLimits::DEFAULT_MAX_WORK_BYTES,
          value_parser = positive_size)]
    pub template_max_work_bytes: usize,

    /// First retry delay after a failure; doubles up to --retry-max. (sealant)
    #[arg(long, env = "SEALANT_RETRY_BASE", default_value = "1s", value_parser = parse_go_duration)]
    pub retry_base: Duration,

    /// Longest retry delay. (sealant)
    #[arg(long, env = "SEALANT_RETRY_MAX", default_value = "5m", value_parser = parse_go_duration)]
    pub retry_max: Duration,

    /// Elect one leader among replicas through a Lease; only the leader reconciles and
    /// manages keys, every replica serves the HTTP API. (sealant)
    #[arg(long, env = "SEALANT_LEADER_ELECT", default_value = "true")]
    pub leader_elect: bool,

    /// How long a leader's term lasts without renewal: the longest a crashed leader leaves
    /// the cluster without one (whole seconds, at least 2). (sealant)
    #[arg(long, env = "SEALANT_LEADER_ELECT_LEASE_DURATION", default_value = "15s", value_parser = parse_go_duration)]
    pub leader_elect_lease_duration: Duration,

    /// How long before its term ends the leader renews it (whole seconds, less than the
    /// lease duration). (sealant)
    #[arg(long, env = "SEALANT_LEADER_ELECT_RENEW_GRACE", default_value = "5s", value_parser = parse_go_duration)]
    pub leader_elect_renew_grace: Duration,

    /// Name of the Lease. (sealant)
    #[arg(
        long,
        env = "SEALANT_LEADER_ELECT_LEASE_NAME",
        default_value = "sealant-controller-leader"
    )]
    pub leader_elect_lease_name: String,

    /// This replica's holder identity; default: $POD_NAME (or the host name) plus a random
    /// suffix. (sealant)
    #[arg(long, env = "SEALANT_LEADER_ELECT_ID")]
    pub leader_elect_id: Option<String>,

    /// Labels put on every generated Secret, k1=v1,k2=v2; a key the SealedSecret's template
    /// sets keeps the template's value (Bitnami #2059). (sealant)
    #[arg(long, env = "SEALANT_ADDITIONAL_SECRET_LABELS", default_value = "", value_parser = parse_key_values)]
    pub additional_secret_labels: KeyValues,

    /// Annotations put on every generated Secret, k1=v1,k2=v2; the template's keys win.
    /// (sealant)
    #[arg(long, env = "SEALANT_ADDITIONAL_SECRET_ANNOTATIONS", default_value = "", value_parser = parse_key_values)]
    pub additional_secret_annotations: KeyValues,

    /// Watch the namespaces whose labels match this selector, following label changes
    /// (Bitnami #568, #335); with --all-namespaces=false, in addition to the controller's
    /// namespace and --additional-namespaces. (sealant)
    #[arg(long, env = "SEALANT_NAMESPACE_SELECTOR", default_value = "")]
    pub namespace_selector: String,
}

/// `--key-cutoff-time`, parsed (`None` when empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cutoff(pub Option<time::OffsetDateTime>);

fn parse_cutoff(text: &str) -> Result<Cutoff, String> {
    if text.trim().is_empty() {
        return Ok(Cutoff(None));
    }
    // RFC 1123Z is RFC 2822's date-time form, which `time` parses.
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc2822)
        .map(|t| Cutoff(Some(t)))
        .map_err(|_| {
            format!("{text:?} is not an RFC 1123Z time such as \"Mon, 02 Jan 2006 15:04:05 -0700\"")
        })
}

/// `--verify-rsa-ops-per-second`: a finite, non-negative number.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate >= 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate: give RSA operations per second, 0 or more"
        )),
    }
}

/// `--rate-limit`: a finite, non-negative number (Bitnami takes whole numbers; fractions
/// are accepted too).
fn parse_requests_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate >= 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate: give requests per second, 0 or more"
        )),
    }
}

/// `--kubeclient-qps`: any finite number (Bitnami's float32; negative turns the limit off).
fn parse_qps(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(qps) if qps.is_finite() => Ok(qps),
        _ => Err(format!(
            "{text:?} is not a rate: give requests per second (negative turns the limit off)"
        )),
    }
}

/// `--max-unseal-retries`: Bitnami's int; a negative count retries nothing, as 0 does.
fn parse_retries(text: &str) -> Result<u32, String> {
    match text.trim().parse::<i64>() {
        Ok(n) => Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX)),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

fn parse_key_order(text: &str) -> Result<String, String> {
    match text {
        "CertNotBefore" => Ok(text.to_owned()),
        other => Err(format!(
            "key order priority {other:?} is not supported; use CertNotBefore"
        )),
    }
}

/// `k1=v1,k2=v2` flags, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyValues(pub BTreeMap<String, String>);

fn parse_key_values(text: &str) -> Result<KeyValues, String> {
    let mut map = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not key=value"))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(format!("{pair:?} has an empty key"));
        }
        map.insert(k.to_owned(), v.trim().to_owned());
    }
    Ok(KeyValues(map))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Flags {
    /// The namespaces to watch; `None` means all.
    pub fn watched_namespaces(&self, controller_namespace: &str) -> Option<Vec<String>> {
        if self.all_namespaces {
            return None;
        }
        let mut namespaces = vec![controller_namespace.to_owned()];
        for ns in self.additional_namespaces.split(',').map(str::trim) {
            if !ns.is_empty() && !namespaces.iter().any(|n| n == ns) {
                namespaces.push(ns.to_owned());
            }
        }
        Some(namespaces)
    }

    /// The common name for generated certificates (Bitnami's default when --my-cn is empty).
    pub fn common_name(&self) -> String {
        if self.my_cn.is_empty() {
            sealant_keys::DEFAULT_COMMON_NAME.to_owned()
        } else {
            self.my_cn.clone()
        }
    }

    /// The renewal rules these flags describe.
    pub fn rotation_policy(&self) -> sealant_keys::RotationPolicy {
        // The deprecated alias, when it came last (clap drops whichever came first).
        let period = self.rotate_period.unwrap_or(self.key_renew_period);
        sealant_keys::RotationPolicy {
            renew_period: (!period.is_zero())
                .then(|| time::Duration::try_from(period).ok())
                .flatten(),
            cutoff: self.key_cutoff_time.0,
        }
    }

    /// What new keys look like.
    pub fn key_generation(&self) -> crate::keys::KeyGenerationSettings {
        crate::keys::KeyGenerationSettings {
            bits: self.key_size,
            common_name: self.common_name(),
            validity: self.key_ttl,
            prefix: self.key_prefix.clone(),
            labels: self.privatekey_labels.0.clone(),
            annotations: self.privatekey_annotations.0.clone(),
            hybrid: self.hybrid_keys,
        }
    }

    /// The Lease settings (in the controller namespace), checked: whole seconds, a term of
    /// at least 2 s, and a renewal grace shorter than the term.
    pub fn election(
        &self,
        controller_namespace: &str,
    ) -> Result<crate::leader::ElectionSettings, crate::ControllerError> {
        let whole = |d: Duration, flag: &str| {
            if d.subsec_nanos() == 0 {
                Ok(d.as_secs())
            } else {
                Err(crate::ControllerError::Config(format!(
                    "--{flag} must be whole seconds (Lease terms are), got {d:?}"
                )))
            }
        };
        let duration = whole(
            self.leader_elect_lease_duration,
            "leader-elect-lease-duration",
        )?;
        let grace = whole(self.leader_elect_renew_grace, "leader-elect-renew-grace")?;
        if duration < 2 || grace == 0 || grace >= duration {
            return Err(crate::ControllerError::Config(format!(
                "--leader-elect-lease-duration ({duration}s) must be at least 2s and longer than \
                 --leader-elect-renew-grace ({grace}s), which must be at least 1s"
            )));
        }
        Ok(crate::leader::ElectionSettings {
            namespace: controller_namespace.to_owned(),
            lease_name: self.leader_elect_lease_name.clone(),
            identity: self
                .leader_elect_id
                .clone()
                .filter(|id| !id.is_empty())
                .unwrap_or_else(crate::leader::default_identity),
            duration,
            grace,
        })
    }

    /// The HTTP API's limits these flags describe, checked.
    pub fn http_limits(&self) -> Result<Limits, crate::ControllerError> {
        let ops_limited = self.verify_rsa_ops_per_second > 0.0;
        if ops_limited && self.verify_rsa_ops_burst == 0 {
            return Err(crate::ControllerError::Config(
                "--verify-rsa-ops-burst must be at least 1 while --verify-rsa-ops-per-second is \
                 above 0 (--verify-rsa-ops-per-second=0 turns the budget off)"
                    .to_owned(),
            ));
        }
        let size = |value: u64, flag: &str| {
            usize::try_from(value).map_err(|_| {
                crate::ControllerError::Config(format!("--{flag} {value} is too large"))
            })
        };
        let limits = Limits {
            max_body_bytes: size(self.max_request_bytes, "max-request-bytes")?,
            rate_burst: if ops_limited {
                self.verify_rsa_ops_burst
            } else {
                0
            },
            rate_per_second: self.verify_rsa_ops_per_second,
            // Bitnami's burst counts the requests allowed *beyond* the one the rate allows
            // (its limiter holds burst + 1), so --rate-limit-burst=0 still serves one at a time.
            request_bucket: if self.rate_limit > 0.0 {
                self.rate_limit_burst.saturating_add(1)
            } else {
                0
            },
            requests_per_second: self.rate_limit,
            max_values_per_request: size(self.max_values_per_request, "max-values-per-request")?,
            http_queue: size(self.http_queue, "http-queue")?,
            reserved_rsa_workers: self.reserved_rsa_workers,
            // Bitnami's whole-request deadline can shorten ours, never lengthen it; 0 is no
            // deadline there, so ours stays.
            body_read_timeout: if self.read_timeout.is_zero() {
                BODY_READ_TIMEOUT
            } else {
                self.read_timeout.min(BODY_READ_TIMEOUT)
            },
        };
        limits.validate()?;
        Ok(limits)
    }

    /// The template caps every reconcile renders under.
    pub fn render_limits(&self) -> RenderLimits {
        RenderLimits {
            max_key_bytes: self.template_max_key_bytes,
            max_secret_bytes: self.template_max_secret_bytes,
            max_actions: self.template_max_actions,
            max_work_bytes: self.template_max_work_bytes,
        }
    }

    pub fn rsa_worker_count(&self) -> usize {
        if self.rsa_workers > 0 {
            self.rsa_workers
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}

/// A size or count that must be at least 1: a cap of 0 would refuse every object.
fn positive_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err("must be a whole number".to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bitnami_defaults() {
        let f = Flags::try_parse_from(["sealant-controller"]).unwrap();
        assert_eq!(f.key_prefix, "sealed-secrets-key");
        assert_eq!(f.key_size, 4096);
        assert_eq!(f.key_renew_period, Duration::from_secs(720 * 3600));
        assert!(f.all_namespaces && f.update_status);
        assert!(!f.accept_deprecated_v1_data && !f.old_gc_behavior);
        assert_eq!(f.listen_addr, ":8080");
        assert_eq!(f.watched_namespaces("kube-system"), None);
    }

    #[test]
    fn go_style_booleans_and_namespaces() {
        let f = Flags::try_parse_from([
            "sealant-controller",
            "--all-namespaces=false",
            "--additional-namespaces=a, b,,a",
            "--update-status=false",
            "--old-gc-behavior",
        ])
        .unwrap();
        assert!(!f.update_status && f.old_gc_behavior);
        assert_eq!(
            f.watched_namespaces("ctl").unwrap(),
            vec!["ctl".to_owned(), "a".to_owned(), "b".to_owned()]
        );
    }

    #[test]
    fn lifecycle_flags_parse_and_refuse_clearly() {
        let f = Flags::try_parse_from([
            "sealant-controller",
            "--key-cutoff-time=Mon, 02 Jan 2006 15:04:05 -0700",
            "--privatekey-labels=team=sec, tier=keys",
            "--key-renew-period=0",
        ])
        .unwrap();
        assert!(f.key_cutoff_time.0.is_some());
        assert_eq!(f.privatekey_labels.0["tier"], "keys");
        assert_eq!(f.rotation_policy().renew_period, None);
        for bad in [
            "--key-cutoff-time=yesterday",
            "--privatekey-annotations=novalue",
            "--privatekey-labels==v",
            "--key-order-priority=SecretCreationTimestamp",
        ] {
            let err = Flags::try_parse_from(["sealant-controller", bad]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
        }
    }

    #[test]
    fn election_settings_are_checked() {
        let f = Flags::try_parse_from(["sealant-controller"]).unwrap();
        assert!(f.leader_elect);
        let e = f.election("ctl").unwrap();
        assert_eq!((e.duration, e.grace, e.namespace.as_str()), (15, 5, "ctl"));
        for bad in [
            [
                "--leader-elect-lease-duration=1500ms",
                "--leader-elect-renew-grace=1s",
            ],
            [
                "--leader-elect-lease-duration=5s",
                "--leader-elect-renew-grace=5s",
            ],
            [
                "--leader-elect-lease-duration=1s",
                "--leader-elect-renew-grace=0s",
            ],
        ] {
            let f = Flags::try_parse_from(["sealant-controller", bad[0], bad[1]]).unwrap();
            assert!(f.election("ctl").is_err(), "{bad:?}");
        }
        let f = Flags::try_parse_from(["sealant-controller", "--leader-elect-id=me"]).unwrap();
        assert_eq!(f.election("ctl").unwrap().identity, "me");
        // Two processes never share a default identity.
        assert_ne!(
            crate::leader::default_identity(),
            crate::leader::default_identity()
        );
    }

    #[test]
    fn http_limits_default_and_take_the_rsa_budget_flags() {
        let f = Flags::try_parse_from(["sealant-controller"]).unwrap();
        assert_eq!(f.http_limits().unwrap(), Limits::default());

        let f = Flags::try_parse_from([
            "sealant-controller",
            "--verify-rsa-ops-per-second=2",
            "--verify-rsa-ops-burst=20",
            "--max-values-per-request=10",
            "--max-request-bytes=4096",
            "--http-queue=0",
            "--reserved-rsa-workers=3",
        ])
        .unwrap();
        let limits = f.http_limits().unwrap();
        assert_eq!(
            limits,
            Limits {
                max_body_bytes: 4096,
                rate_burst: 20,
                rate_per_second: 2.0,
                max_values_per_request: 10,
                http_queue: 0,
                reserved_rsa_workers: 3,
                ..Limits::default()
            }
        );
        // 0 turns the budget off, whatever the burst.
        let f =
            Flags::try_parse_from(["sealant-controller", "--verify-rsa-ops-per-second=0"]).unwrap();
        assert_eq!(f.http_limits().unwrap().rate_burst, 0);
        // A fraction is a rate too.
        let f = Flags::try_parse_from(["sealant-controller", "--verify-rsa-ops-per-second=0.5"])
            .unwrap();
        assert_eq!(f.http_limits().unwrap().rate_per_second, 0.5);
    }

    #[test]
    fn bitnamis_rate_flags_count_verify_requests() {
        // Off unless set; the RSA budget stays on.
        let f = Flags::try_parse_from(["sealant-controller"]).unwrap();
        assert_eq!(f.http_limits().unwrap().request_bucket, 0);
        // The chart's quoted numbers, as separate arguments; Bitnami's burst counts the
        // requests beyond the first.
        let f = Flags::try_parse_from([
            "sealant-controller",
            "--rate-limit",
            "5",
            "--rate-limit-burst",
            "10",
        ])
        .unwrap();
        let limits = f.http_limits().unwrap();
        assert_eq!(
            (limits.requests_per_second, limits.request_bucket),
            (5.0, 11)
        );
        assert_eq!(limits.rate_burst, DEFAULT_RATE_BURST);
        // Bitnami's default burst once a rate is given; burst 0 still serves one at a time.
        let f = Flags::try_parse_from(["sealant-controller", "--rate-limit=1"]).unwrap();
        assert_eq!(f.http_limits().unwrap().request_bucket, 3);
        let f = Flags::try_parse_from([
            "sealant-controller",
            "--rate-limit=1",
            "--rate-limit-burst=0",
        ])
        .unwrap();
        assert_eq!(f.http_limits().unwrap().request_bucket, 1);
    }

    #[test]
    fn http_limit_flags_refuse_what_cannot_work() {
        for bad in [
            "--rate-limit=-1",
            "--rate-limit=NaN",
            "--rate-limit=fast",
            "--rate-limit-burst=-1",
            "--verify-rsa-ops-per-second=-1",
            "--verify-rsa-ops-per-second=NaN",
            "--verify-rsa-ops-per-second=inf",
            "--verify-rsa-ops-burst=-1",
            "--max-values-per-request=0",
            "--max-request-bytes=0",
            "--http-queue=1025",
            "--reserved-rsa-workers=-1",
        ] {
            let err = Flags::try_parse_from(["sealant-controller", bad]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
        }
        let f = Flags::try_parse_from(["sealant-controller", "--verify-rsa-ops-burst=0"]).unwrap();
        let err = f.http_limits().unwrap_err().to_string();
        assert!(err.contains("--verify-rsa-ops-burst"), "{err}");
    }

    #[test]
    fn bitnamis_other_flags_parse_in_the_charts_forms() {
        let f = Flags::try_parse_from([
            "sealant-controller",
            "--skip-recreate",
            "--watch-for-secrets=True",
            "--log-info-stdout=F",
            "--kubeclient-qps",
            "-1",
            "--kubeclient-burst",
            "10",
            "--max-unseal-retries",
            "5",
            "--read-timeout=30s",
            "--write-timeout",
            "1m",
        ])
        .unwrap();
        assert!(f.skip_recreate && f.watch_for_secrets && !f.log_info_stdout);
        assert_eq!(
            (f.kubeclient_qps, f.kubeclient_burst),
            (Some(-1.0), Some(10))
        );
        assert_eq!(f.max_unseal_retries, Some(5));
        let f = Flags::try_parse_from(["sealant-controller", "--max-unseal-retries=-3"]).unwrap();
        assert_eq!(f.max_unseal_retries, Some(0));
        // Go leaves the argument after a boolean flag alone.
        assert!(Flags::try_parse_from(["sealant-controller", "--skip-recreate", "true"]).is_err());
        assert!(Flags::try_parse_from(["sealant-controller", "--skip-recreate=yes"]).is_err());
    }

    #[test]
    fn read_timeout_can_only_shorten_the_body_deadline() {
        let deadline = |arg: &str| {
            Flags::try_parse_from(["sealant-controller", arg])
                .unwrap()
                .http_limits()
                .unwrap()
                .body_read_timeout
        };
        assert_eq!(deadline("--read-timeout=2m"), BODY_READ_TIMEOUT);
        assert_eq!(deadline("--read-timeout=3s"), Duration::from_secs(3));
        assert_eq!(deadline("--read-timeout=0"), BODY_READ_TIMEOUT);
    }

    #[test]
    fn rotate_period_is_key_renew_period_and_the_later_wins() {
        let renew = |args: &[&str]| {
            let mut all = vec!["sealant-controller"];
            all.extend_from_slice(args);
            Flags::try_parse_from(all)
                .unwrap()
                .rotation_policy()
                .renew_period
        };
        let hours = |h: i64| Some(time::Duration::hours(h));
        assert_eq!(renew(&["--rotate-period=1h"]), hours(1));
        assert_eq!(
            renew(&["--key-renew-period=2h", "--rotate-period=1h"]),
            hours(1)
        );
        assert_eq!(
            renew(&["--rotate-period=1h", "--key-renew-period=2h"]),
            hours(2)
        );
        assert_eq!(renew(&["--rotate-period", "0"]), None);
    }

    #[test]
    fn bad_duration_is_a_usage_error() {
        let err = Flags::try_parse_from(["sealant-controller", "--key-ttl=10d"]).unwrap_err();
        assert!(err.to_string().contains("unknown unit"), "{err}");
    }
}
