//! `--copy-metadata` (#1625): the input Secret's labels and annotations also on the
//! SealedSecret's own metadata, so that tools acting on the SealedSecret see them (an Argo CD
//! `argocd.argoproj.io/sync-wave`, a kustomize label selector). Off by default: kubeseal
//! puts them only in `spec.template`, and default output stays kubeseal's, byte for byte.

use sealant_api::{SealedSecret, annotations};
use std::collections::BTreeMap;

/// Prefixes of keys never copied, with why:
/// - `kubectl.kubernetes.io/`: kubectl's bookkeeping about a live object
///   (`last-applied-configuration` holds a full copy of the Secret, plaintext included);
/// - `sealedsecrets.bitnami.com/`: scope is set from the sealing itself, and `managed`,
///   `patch`, `skip-set-owner-references` are instructions about the generated Secret that
///   belong in the template only;
/// - `sealant.dev/`: sealant's own (the sealed-for hint is computed, `allow-plaintext`
///   speaks about the plaintext Secret);
/// - `kubernetes.io/service-account.`: the token binding of a service-account Secret.
const NEVER_COPIED: [&str; 4] = [
    "kubectl.kubernetes.io/",
    annotations::PREFIX,
    annotations::SEALANT_PREFIX,
    "kubernetes.io/service-account.",
];

fn copied(key: &str) -> bool {
    !NEVER_COPIED.iter().any(|prefix| key.starts_with(prefix))
        && !annotations::LAST_APPLIED_ANNOTATIONS.contains(&key)
}

fn merge(into: &mut Option<BTreeMap<String, String>>, from: Option<&BTreeMap<String, String>>) {
    let extra: BTreeMap<String, String> = from
        .into_iter()
        .flatten()
        .filter(|(k, _)| copied(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if extra.is_empty() {
        return;
    }
    let target = into.get_or_insert_with(BTreeMap::new);
    for (k, v) in extra {
        // What sealing set (scope, sealed-for) stays; those keys are never copied anyway.
        target.entry(k).or_insert(v);
    }
}

/// Copy the template's labels and annotations (the input Secret's, as sealing kept them) onto
/// `sealed`'s own metadata.
pub fn copy_metadata(sealed: &mut SealedSecret) {
    let template = sealed.spec.template.metadata.clone();
    merge(&mut sealed.metadata.labels, template.labels.as_ref());
    merge(
        &mut sealed.metadata.annotations,
        template.annotations.as_ref(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookkeeping_keys_stay_behind() {
        for key in [
            "kubectl.kubernetes.io/last-applied-configuration",
            "kubectl.kubernetes.io/restartedAt",
            "kubecfg.ksonnet.io/last-applied-configuration",
            "sealedsecrets.bitnami.com/managed",
            "sealedsecrets.bitnami.com/cluster-wide",
            "sealant.dev/allow-plaintext",
            "kubernetes.io/service-account.name",
        ] {
            assert!(!copied(key), "{key}");
        }
        for key in [
            "argocd.argoproj.io/sync-wave",
            "app.kubernetes.io/name",
            "team",
        ] {
            assert!(copied(key), "{key}");
        }
    }
}
