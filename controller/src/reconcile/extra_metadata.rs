//! Controller-wide labels and annotations on every generated Secret
//! (`--additional-secret-labels`, `--additional-secret-annotations`; Bitnami #2059, for
//! example a Velero exclusion label that nobody can forget on one SealedSecret).
//!
//! * The template's own keys win: the SealedSecret's author decides what its Secret says.
//! * They never override the controller's own annotations (digest, key, drift seal); keys
//!   under the controllers' prefixes are refused at start-up (see [`ExtraMetadata::new`]).
//! * They are not part of the drift seal (which covers the data). A Secret that lacks one of
//!   them, or has another value, gets them by a metadata-only merge patch: no decryption, so
//!   changing the flags costs one patch per Secret once, and a restart with unchanged flags
//!   writes nothing.
//! * Removing a key from the flags does not remove it from existing Secrets (the controller
//!   cannot tell its old value from one someone else set); the next rewrite of a replaced
//!   Secret drops it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealant_api::SealedSecret;
use std::collections::BTreeMap;

/// Key prefixes whose annotations and labels carry meaning to a controller (`managed`,
/// `patch`, scopes, our digest and seal): a controller-wide value there would change how every
/// Secret is handled, so such keys are refused.
const RESERVED_PREFIXES: &[&str] = &["sealedsecrets.bitnami.com/", "sealant.dev/"];

/// The flags' labels and annotations, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraMetadata {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

impl ExtraMetadata {
    /// Check the flags' maps: no key under a reserved prefix. The error names the flag and
    /// the key (flag values are configuration, not secrets).
    pub fn new(
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
    ) -> Result<Self, String> {
        for (flag, map) in [
            ("--additional-secret-labels", &labels),
            ("--additional-secret-annotations", &annotations),
        ] {
            if let Some(key) = map
                .keys()
                .find(|k| RESERVED_PREFIXES.iter().any(|p| k.starts_with(p)))
            {
                return Err(format!(
                    "{flag}: key {key:?} is reserved for the controller's own metadata"
                ));
            }
        }
        Ok(Self {
            labels,
            annotations,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.annotations.is_empty()
    }

    /// Add the flags' keys that `metadata` (the template's, as the Secret will carry it)
    /// does not set itself.
    pub fn apply(&self, metadata: &mut ObjectMeta) {
        for (extra, on) in [
            (&self.labels, &mut metadata.labels),
            (&self.annotations, &mut metadata.annotations),
        ] {
            if extra.is_empty() {
                continue;
            }
            let on = on.get_or_insert_with(BTreeMap::new);
            for (k, v) in extra {
                on.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }

    /// The merge patch that brings an existing Secret's labels and annotations in line with
    /// the flags, or `None` when it already carries them. Keys the template sets are the
    /// template's business (the drift check compares those).
    pub fn missing(&self, ss: &SealedSecret, secret: &ObjectMeta) -> Option<serde_json::Value> {
        let template = &ss.spec.template.metadata;
        let lacking = |extra: &BTreeMap<String, String>,
                       template: Option<&BTreeMap<String, String>>,
                       found: Option<&BTreeMap<String, String>>| {
            extra
                .iter()
                .filter(|(k, _)| !template.is_some_and(|t| t.contains_key(*k)))
                .filter(|(k, v)| found.and_then(|f| f.get(*k)) != Some(*v))
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect::<serde_json::Map<_, _>>()
        };
        let labels = lacking(
            &self.labels,
            template.labels.as_ref(),
            secret.labels.as_ref(),
        );
        let annotations = lacking(
            &self.annotations,
            template.annotations.as_ref(),
            secret.annotations.as_ref(),
        );
        if labels.is_empty() && annotations.is_empty() {
            return None;
        }
        let mut metadata = serde_json::Map::new();
        if !labels.is_empty() {
            metadata.insert("labels".into(), labels.into());
        }
        if !annotations.is_empty() {
            metadata.insert("annotations".into(), annotations.into());
        }
        Some(serde_json::json!({ "metadata": metadata }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_template_wins_and_reserved_keys_are_refused() {
        let extra = ExtraMetadata::new(
            map(&[("velero.io/exclude-from-backup", "true"), ("team", "ops")]),
            map(&[("note", "controller")]),
        )
        .unwrap();
        let mut ss = SealedSecret::new("db", Default::default());
        ss.spec.template.metadata.labels = Some(map(&[("team", "db")]));
        let mut target = ss.spec.template.metadata.clone();
        extra.apply(&mut target);
        assert_eq!(
            target.labels.as_ref().unwrap(),
            &map(&[("team", "db"), ("velero.io/exclude-from-backup", "true")])
        );
        assert_eq!(extra.missing(&ss, &target), None);

        let mut stripped = target.clone();
        stripped
            .labels
            .as_mut()
            .unwrap()
            .remove("velero.io/exclude-from-backup");
        stripped
            .labels
            .as_mut()
            .unwrap()
            .insert("team".into(), "other".into());
        let patch = extra.missing(&ss, &stripped).unwrap();
        assert_eq!(
            patch,
            serde_json::json!({"metadata": {"labels": {"velero.io/exclude-from-backup": "true"}}})
        );

        for reserved in ["sealedsecrets.bitnami.com/patch", "sealant.dev/data-mac"] {
            assert!(ExtraMetadata::new(BTreeMap::new(), map(&[(reserved, "true")])).is_err());
            assert!(ExtraMetadata::new(map(&[(reserved, "x")]), BTreeMap::new()).is_err());
        }
    }
}
