//! The Secret a SealedSecret becomes, in k8s-openapi's type for the API call.
//!
//! k8s-openapi stores values in plain `Vec`s, so the Secret lives inside [`WipedSecret`],
//! which zeroes the values when dropped (as does a Secret read back for the drift check). (kube's own serialization buffers are outside our
//! reach; they live only for the request.)

use crate::keys::wipe_secret_data;
use k8s_openapi::{
    ByteString, api::core::v1::Secret, apimachinery::pkg::apis::meta::v1::OwnerReference,
};
use kube::Resource;
use sealant_api::digest::{KEY_FINGERPRINT, SEALED_DIGEST};
use sealant_api::{PlainSecret, SealedSecret, annotations};
use sealant_crypto::Fingerprint;
use std::collections::BTreeMap;

/// A Secret holding plaintext, wiped on drop. Deliberately not `Debug`.
pub struct WipedSecret(pub Secret);

impl Drop for WipedSecret {
    fn drop(&mut self) {
        wipe_secret_data(&mut self.0);
    }
}

/// Build the generated Secret: template metadata, our digest and key annotations, and a
/// controller ownerReference unless the object asks for none.
pub fn build_target(
    ss: &SealedSecret,
    mut plain: PlainSecret,
    digest: &str,
    fingerprint: Option<Fingerprint>,
) -> WipedSecret {
    let mut metadata = std::mem::take(&mut plain.metadata);
    // Server-set fields a template might carry must not reach a create or replace.
    metadata.resource_version = None;
    metadata.uid = None;
    metadata.creation_timestamp = None;
    metadata.generation = None;
    metadata.managed_fields = None;
    metadata.generate_name = None;
    let annotations = metadata.annotations.get_or_insert_with(BTreeMap::new);
    annotations.insert(SEALED_DIGEST.to_owned(), digest.to_owned());
    if let Some(fp) = fingerprint {
        annotations.insert(KEY_FINGERPRINT.to_owned(), fp.to_hex());
    }
    metadata.owner_references = (!skips_owner_reference(ss))
        .then(|| owner_reference(ss))
        .flatten()
        .map(|r| vec![r]);
    let data = plain
        .data
        .iter()
        .map(|(k, v)| (k.clone(), ByteString(v.as_bytes().to_vec())))
        .collect();
    WipedSecret(Secret {
        metadata,
        type_: plain.type_.take(),
        immutable: plain.immutable,
        data: Some(data),
        ..Secret::default()
    })
}

/// Bitnami's `NewControllerRef`: controller and blockOwnerDeletion both true.
pub fn owner_reference(ss: &SealedSecret) -> Option<OwnerReference> {
    let mut reference = ss.controller_owner_ref(&())?;
    reference.block_owner_deletion = Some(true);
    Some(reference)
}

/// True when the SealedSecret or its template asks for no ownerReference. This is the one
/// Bitnami annotation read from the SealedSecret side: it only weakens the controller's hold
/// on its own Secret. `managed` and `patch` grant access to an existing Secret and are read
/// from that Secret alone (see `write::write_mode`).
pub fn skips_owner_reference(ss: &SealedSecret) -> bool {
    let is_true = |a: Option<&BTreeMap<String, String>>| {
        a.and_then(|a| a.get(annotations::SKIP_SET_OWNER_REFERENCES))
            .is_some_and(|v| v == "true")
    };
    is_true(ss.metadata.annotations.as_ref())
        || is_true(ss.spec.template.metadata.annotations.as_ref())
}
