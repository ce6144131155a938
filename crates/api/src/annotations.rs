//! Annotation and label names shared with Bitnami Sealed Secrets, and the scope they encode.

use sealant_crypto::Scope;
use std::collections::BTreeMap;

/// Prefix of every Sealed Secrets annotation.
pub const PREFIX: &str = "sealedsecrets.bitnami.com/";
/// `"true"`: the value is bound to the namespace only (label = `namespace`).
pub const NAMESPACE_WIDE: &str = "sealedsecrets.bitnami.com/namespace-wide";
/// `"true"`: the value is bound to nothing (empty label).
pub const CLUSTER_WIDE: &str = "sealedsecrets.bitnami.com/cluster-wide";
/// `"true"` on an existing Secret: the controller may adopt it.
pub const MANAGED: &str = "sealedsecrets.bitnami.com/managed";
/// `"true"`: merge into the existing Secret, keeping its other keys.
pub const PATCH: &str = "sealedsecrets.bitnami.com/patch";
/// `"true"`: do not set an ownerReference on the generated Secret.
pub const SKIP_SET_OWNER_REFERENCES: &str = "sealedsecrets.bitnami.com/skip-set-owner-references";

/// Sealant's own annotations live under this prefix (Bitnami ignores unknown annotations).
pub const SEALANT_PREFIX: &str = "sealant.dev/";
/// The sealed-for hint on a SealedSecret's top-level metadata; see [`crate::SealedFor`].
pub use crate::sealed_for::SEALED_FOR;
/// `"true"` on a plaintext Secret: `sealant check` accepts it (fixtures, dummy values).
pub const ALLOW_PLAINTEXT: &str = "sealant.dev/allow-plaintext";

/// kubectl keeps a full copy of the applied object here, plaintext included
/// (Bitnami issue #227), so it must never be copied into a SealedSecret.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// kubecfg's equivalent of [`LAST_APPLIED`]; Bitnami strips it too.
pub const KUBECFG_LAST_APPLIED: &str = "kubecfg.ksonnet.io/last-applied-configuration";

/// Annotations that embed a copy of the whole object and so may hold plaintext.
pub const LAST_APPLIED_ANNOTATIONS: [&str; 2] = [LAST_APPLIED, KUBECFG_LAST_APPLIED];

/// The scope the annotations select. As in Bitnami, only the exact value `"true"` counts and
/// cluster-wide wins when both are set.
pub fn scope_from_annotations(annotations: &BTreeMap<String, String>) -> Scope {
    let is_true = |name: &str| annotations.get(name).is_some_and(|v| v == "true");
    if is_true(CLUSTER_WIDE) {
        Scope::ClusterWide
    } else if is_true(NAMESPACE_WIDE) {
        Scope::NamespaceWide
    } else {
        Scope::Strict
    }
}

/// Make the annotations say exactly `scope`: both scope annotations are removed, then the one
/// for `scope` (if any) is set, like Bitnami's `UpdateScopeAnnotations`.
pub fn set_scope_annotations(annotations: &mut BTreeMap<String, String>, scope: Scope) {
    annotations.remove(NAMESPACE_WIDE);
    annotations.remove(CLUSTER_WIDE);
    match scope {
        Scope::Strict => {}
        Scope::NamespaceWide => {
            annotations.insert(NAMESPACE_WIDE.to_owned(), "true".to_owned());
        }
        Scope::ClusterWide => {
            annotations.insert(CLUSTER_WIDE.to_owned(), "true".to_owned());
        }
    }
}

/// True when `name` is one of the two scope annotations.
pub fn is_scope_annotation(name: &str) -> bool {
    name == NAMESPACE_WIDE || name == CLUSTER_WIDE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annos(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn cluster_wide_wins() {
        let a = annos(&[(NAMESPACE_WIDE, "true"), (CLUSTER_WIDE, "true")]);
        assert_eq!(scope_from_annotations(&a), Scope::ClusterWide);
        assert_eq!(
            scope_from_annotations(&annos(&[(NAMESPACE_WIDE, "true")])),
            Scope::NamespaceWide
        );
        assert_eq!(scope_from_annotations(&annos(&[])), Scope::Strict);
        // Only the exact string "true" counts, as in Bitnami.
        assert_eq!(
            scope_from_annotations(&annos(&[(CLUSTER_WIDE, "True")])),
            Scope::Strict
        );
    }

    #[test]
    fn set_replaces_previous_scope() {
        let mut a = annos(&[(CLUSTER_WIDE, "true"), ("other", "x")]);
        set_scope_annotations(&mut a, Scope::NamespaceWide);
        assert_eq!(a, annos(&[(NAMESPACE_WIDE, "true"), ("other", "x")]));
        set_scope_annotations(&mut a, Scope::Strict);
        assert_eq!(a, annos(&[("other", "x")]));
        for s in Scope::ALL {
            set_scope_annotations(&mut a, s);
            assert_eq!(scope_from_annotations(&a), s);
        }
    }
}
