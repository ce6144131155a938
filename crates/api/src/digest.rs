//! What the generated Secret records about its input, so an unchanged SealedSecret costs
//! the controller no RSA work, no write and no Event — after a restart too — and so the
//! CLI can tell whether a live Secret was made from the SealedSecret in a file.

use crate::{SealedSecret, annotations};
use sealant_crypto::Fingerprint;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Digest of everything that decides the generated Secret (on the Secret).
pub const SEALED_DIGEST: &str = "sealant.dev/sealed-digest";
/// Fingerprint of the key that opened the values (on the Secret): the next reconcile's hint.
pub const KEY_FINGERPRINT: &str = "sealant.dev/key-fingerprint";

/// Bump when the way a Secret is built from the same input changes, so every Secret is
/// rebuilt once by the new version.
const FORMAT: u32 = 1;

/// `sha256:<hex>` over the inputs of the generated Secret: target, scope, the whole spec
/// (ciphertexts, template metadata, type, immutability, template data) and the annotations
/// that change how the Secret is written. Ciphertexts are public, so the digest leaks nothing.
pub fn sealed_digest(ss: &SealedSecret) -> String {
    let annotation = |name: &str| {
        ss.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(name))
            .cloned()
    };
    let input = json!({
        "format": FORMAT,
        "namespace": ss.namespace_str(),
        "name": ss.name_str(),
        "scope": ss.scope().to_string(),
        "spec": ss.spec,
        "managed": annotation(annotations::MANAGED),
        "patch": annotation(annotations::PATCH),
        "skipOwnerReferences": annotation(annotations::SKIP_SET_OWNER_REFERENCES),
    });
    // serde_json writes maps in key order (BTreeMap and the json! object), so equal input
    // always serializes to equal bytes.
    let bytes = serde_json::to_vec(&input).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
}

/// The key fingerprint recorded on a generated Secret, if any and well-formed.
pub fn recorded_fingerprint(
    secret_annotations: Option<&std::collections::BTreeMap<String, String>>,
) -> Option<Fingerprint> {
    secret_annotations?.get(KEY_FINGERPRINT)?.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use std::collections::BTreeMap;

    fn object() -> SealedSecret {
        let mut ss = SealedSecret::new("db", Default::default());
        ss.metadata.namespace = Some("prod".to_owned());
        ss.spec
            .encrypted_data
            .insert("password".to_owned(), "AgB...".to_owned());
        ss
    }

    #[test]
    fn equal_input_equal_digest_and_every_input_counts() {
        let base = object();
        assert_eq!(sealed_digest(&base), sealed_digest(&object()));
        let mut changes: Vec<SealedSecret> = Vec::new();
        let mut c = object();
        c.spec
            .encrypted_data
            .insert("password".to_owned(), "AgC...".to_owned());
        changes.push(c);
        let mut c = object();
        c.spec.template.metadata = ObjectMeta {
            labels: Some(BTreeMap::from([("app".to_owned(), "db".to_owned())])),
            ..ObjectMeta::default()
        };
        changes.push(c);
        let mut c = object();
        c.metadata.annotations = Some(BTreeMap::from([(
            annotations::NAMESPACE_WIDE.to_owned(),
            "true".to_owned(),
        )]));
        changes.push(c);
        let mut c = object();
        c.metadata.annotations = Some(BTreeMap::from([(
            annotations::PATCH.to_owned(),
            "true".to_owned(),
        )]));
        changes.push(c);
        let mut c = object();
        c.metadata.name = Some("db2".to_owned());
        changes.push(c);
        for changed in &changes {
            assert_ne!(sealed_digest(changed), sealed_digest(&base));
        }
    }

    #[test]
    fn unrelated_metadata_does_not_count() {
        let mut c = object();
        c.metadata.labels = Some(BTreeMap::from([("team".to_owned(), "a".to_owned())]));
        c.metadata.resource_version = Some("42".to_owned());
        assert_eq!(sealed_digest(&c), sealed_digest(&object()));
    }
}
