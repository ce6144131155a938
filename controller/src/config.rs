//! Command-line flags. Bitnami's controller flags keep their names, defaults and
//! `SEALED_SECRETS_*` variables so an existing Deployment can switch images unchanged; ours
//! are marked "(sealant)".

use crate::go_duration::parse_go_duration;
use clap::{Parser, ValueEnum};
use std::{path::PathBuf, time::Duration};

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

    /// Key renewal period; 0 disables renewal. (Parsed; renewal belongs to the key-lifecycle work.)
    #[arg(long, env = "SEALED_SECRETS_KEY_RENEW_PERIOD", default_value = "720h", value_parser = parse_go_duration)]
    pub key_renew_period: Duration,

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
    fn bad_duration_is_a_usage_error() {
        let err = Flags::try_parse_from(["sealant-controller", "--key-ttl=10d"]).unwrap_err();
        assert!(err.to_string().contains("unknown unit"), "{err}");
    }
}
