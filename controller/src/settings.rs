//! The flags, resolved once at start-up into what each part of the controller needs: no
//! task holds, clones or re-reads the whole [`Flags`].

use crate::{
    ControllerError, Flags, ReconcileSettings, backoff::Backoff, keys::KeyGenerationSettings,
    leader::ElectionSettings, reconcile::ExtraMetadata,
};
use sealant_keys::RotationPolicy;

/// Everything [`crate::start_with`] needs from the flags.
pub(crate) struct Settings {
    /// Where the key Secrets, the certificate ConfigMap and the Lease live.
    pub namespace: String,
    /// `None` with `--leader-elect=false`: this replica always leads.
    pub election: Option<ElectionSettings>,
    pub reconcile: ReconcileSettings,
    pub term: TermSettings,
}

/// What each leadership term needs.
pub(crate) struct TermSettings {
    pub namespace: String,
    /// The namespaces to watch; `None` means all.
    pub watched: Option<Vec<String>>,
    /// `--namespace-selector`: also watch the namespaces whose labels match, as they change.
    pub namespace_selector: Option<String>,
    pub key_generation: KeyGenerationSettings,
    pub rotation: RotationPolicy,
    /// Delay before retrying to load or create the keys.
    pub retry: Backoff,
    pub scope: ScopeSettings,
}

/// What each watched scope's kube-runtime `Controller` needs.
#[derive(Clone)]
pub(crate) struct ScopeSettings {
    /// `--label-selector`, when set.
    pub label_selector: Option<String>,
    /// `--concurrency`: reconciles at once per scope.
    pub concurrency: u16,
    /// False with `--skip-recreate`: no watch on the generated Secrets.
    pub watch_secrets: bool,
}

impl Settings {
    pub(crate) fn resolve(flags: &Flags) -> Result<Self, ControllerError> {
        let namespace = controller_namespace(flags);
        let election = flags
            .leader_elect
            .then(|| flags.election(&namespace))
            .transpose()?;
        let retry = Backoff {
            base: flags.retry_base,
            max: flags.retry_max,
        };
        let namespace_selector = Some(flags.namespace_selector.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Ok(Self {
            election,
            reconcile: ReconcileSettings {
                update_status: flags.update_status,
                accept_deprecated_v1_data: flags.accept_deprecated_v1_data,
                old_gc_behavior: flags.old_gc_behavior,
                retry,
                render_limits: flags.render_limits(),
                unseal_retries: flags.max_unseal_retries.unwrap_or(0),
                extra_metadata: ExtraMetadata::new(
                    flags.additional_secret_labels.0.clone(),
                    flags.additional_secret_annotations.0.clone(),
                )
                .map_err(ControllerError::Config)?,
            },
            term: TermSettings {
                namespace: namespace.clone(),
                watched: match (&namespace_selector, flags.watched_namespaces(&namespace)) {
                    // The selector narrows "all namespaces" to the namespaces it selects.
                    (Some(_), None) => Some(Vec::new()),
                    (_, listed) => listed,
                },
                namespace_selector,
                key_generation: flags.key_generation(),
                rotation: flags.rotation_policy(),
                retry,
                scope: ScopeSettings {
                    label_selector: (!flags.label_selector.is_empty())
                        .then(|| flags.label_selector.clone()),
                    concurrency: flags.concurrency,
                    watch_secrets: !flags.skip_recreate,
                },
            },
            namespace,
        })
    }
}

/// The namespace holding the key Secrets: `--controller-namespace`, else the Pod's own
/// (downward API `POD_NAMESPACE`, or the service account's namespace file), else
/// kubeseal's default `kube-system`.
pub fn controller_namespace(flags: &Flags) -> String {
    flags
        .controller_namespace
        .clone()
        .or_else(|| std::env::var("POD_NAMESPACE").ok())
        .or_else(|| {
            std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
                .ok()
                .map(|s| s.trim().to_owned())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "kube-system".to_owned())
}
