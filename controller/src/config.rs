//! Command-line flags. Bitnami's controller flags keep their names, defaults and
//! `SEALED_SECRETS_*` variables so an existing Deployment can switch images unchanged; ours
//! are marked "(sealant)".

use crate::go_duration::parse_go_duration;
use clap::{Parser, ValueEnum};
use std::{collections::BTreeMap, path::PathBuf, time::Duration};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "sealant-controller",
    version,
    about = "Unseals SealedSecrets into Secrets (drop-in for the Sealed Secrets controller)",
    // Go flag packages let a later flag win; Deployments and tests rely on that.
    args_override_self = true
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
    #[arg(long, env = "SEALED_SECRETS_KEY_RENEW_PERIOD", default_value = "720h", value_parser = parse_go_duration)]
    pub key_renew_period: Duration,

    /// Make a new key at start when the newest is older than this (RFC 1123Z, e.g.
    /// "Mon, 02 Jan 2006 15:04:05 -0700").
    #[arg(long, env = "SEALED_SECRETS_KEY_CUTOFF_TIME", default_value = "", value_parser = parse_cutoff)]
    pub key_cutoff_time: Cutoff,

    /// Which key seals: CertNotBefore (newest certificate). Bitnami's SecretCreationTimestamp
    /// is refused rather than silently treated as CertNotBefore.
    #[arg(long, env = "SEALED_SECRETS_KEY_ORDER_PRIORITY", default_value = "CertNotBefore", value_parser = parse_key_order)]
    pub key_order_priority: String,

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
    #[arg(long, env = "SEALED_SECRETS_ALL_NAMESPACES", default_value = "true",
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          action = clap::ArgAction::Set)]
    pub all_namespaces: bool,

    /// Comma-separated extra namespaces to watch when --all-namespaces=false.
    #[arg(long, env = "SEALED_SECRETS_ADDITIONAL_NAMESPACES", default_value = "")]
    pub additional_namespaces: String,

    /// Only SealedSecrets matching this label selector are unsealed.
    #[arg(long, env = "SEALED_SECRETS_LABEL_SELECTOR", default_value = "")]
    pub label_selector: String,

    /// Write status conditions on SealedSecrets.
    #[arg(long, env = "SEALED_SECRETS_UPDATE_STATUS", default_value = "true",
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          action = clap::ArgAction::Set)]
    pub update_status: bool,

    /// Accept the deprecated `spec.data` field.
    #[arg(long, env = "SEALED_SECRETS_ACCEPT_DEPRECATED_V1_DATA", default_value = "false",
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          action = clap::ArgAction::Set)]
    pub accept_deprecated_v1_data: bool,

    /// Delete the generated Secret explicitly when its SealedSecret is deleted, instead of
    /// relying on ownerReference garbage collection (needed with skip-set-owner-references).
    #[arg(long, env = "SEALED_SECRETS_OLD_GC_BEHAVIOR", default_value = "false",
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          action = clap::ArgAction::Set)]
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

    /// HTTP API address. (Parsed; the API belongs to the key-lifecycle work.)
    #[arg(long, env = "SEALED_SECRETS_LISTEN_ADDR", default_value = ":8080")]
    pub listen_addr: String,

    /// Metrics address. (Parsed; metrics belong to the key-lifecycle work.)
    #[arg(
        long,
        env = "SEALED_SECRETS_LISTEN_METRICS_ADDR",
        default_value = ":8081"
    )]
    pub listen_metrics_addr: String,

    /// Bitnami's retry limit. Accepted and ignored: sealant retries without end, with backoff.
    #[arg(long, env = "SEALED_SECRETS_MAX_UNSEAL_RETRIES", default_value_t = 5)]
    pub max_unseal_retries: u32,

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

    /// First retry delay after a failure; doubles up to --retry-max. (sealant)
    #[arg(long, env = "SEALANT_RETRY_BASE", default_value = "1s", value_parser = parse_go_duration)]
    pub retry_base: Duration,

    /// Longest retry delay. (sealant)
    #[arg(long, env = "SEALANT_RETRY_MAX", default_value = "5m", value_parser = parse_go_duration)]
    pub retry_max: Duration,

    /// Elect one leader among replicas through a Lease; only the leader reconciles and
    /// manages keys, every replica serves the HTTP API. (sealant)
    #[arg(long, env = "SEALANT_LEADER_ELECT", default_value = "true",
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          action = clap::ArgAction::Set)]
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
        sealant_keys::RotationPolicy {
            renew_period: (!self.key_renew_period.is_zero())
                .then(|| time::Duration::try_from(self.key_renew_period).ok())
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

    pub fn rsa_worker_count(&self) -> usize {
        if self.rsa_workers > 0 {
            self.rsa_workers
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
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
    fn bad_duration_is_a_usage_error() {
        let err = Flags::try_parse_from(["sealant-controller", "--key-ttl=10d"]).unwrap_err();
        assert!(err.to_string().contains("unknown unit"), "{err}");
    }
}
