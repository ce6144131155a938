//! Plaintext from the live Secret (`sealant edit --from-cluster`): the Secret the controller
//! made from this SealedSecret, read with the user's own RBAC (`get secrets` in its
//! namespace).
//!
//! Only a Secret provably made from exactly this file's SealedSecret is used: its
//! `sealant.dev/sealed-digest` annotation must equal the file's digest. Otherwise the live
//! values may belong to another version of the object, and the edit would show them as the
//! current values (and reseal "unchanged" ones the user never saw change). A Secret
//! without the annotation (Bitnami's controller writes none) is refused for the same reason.

use super::buffer::Originals;
use crate::{
    cluster::{ClusterArgs, block_on, connect},
    error::CliError,
};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use sealant_api::{
    SealedSecret, SecretBytes,
    digest::{SEALED_DIGEST, sealed_digest},
};
use std::{collections::BTreeMap, path::Path};
use zeroize::Zeroize;

/// The current values of every key of `sealed`, from its live Secret.
pub fn live_values(
    sealed: &SealedSecret,
    cluster: &ClusterArgs,
    file: &Path,
) -> Result<Originals, CliError> {
    let (namespace, name) = (sealed.namespace_str(), sealed.name_str());
    let object = format!("Secret {namespace}/{name}");
    let mut secret = block_on(async {
        let conn = connect(cluster, Some(namespace)).await?;
        let api: Api<Secret> = Api::namespaced(conn.client, namespace);
        api.get_opt(name).await.map_err(|e| CliError::Cluster {
            reason: match &e {
                kube::Error::Api(s) if s.code == 403 => format!(
                    "reading {object} on {} was forbidden: edit --from-cluster needs \
                     `get secrets` in namespace {namespace} (or use --private-key, or \
                     placeholders with --cert)",
                    conn.server
                ),
                _ => format!("reading {object} on {}: {e}", conn.server),
            },
        })
    })?
    .ok_or_else(|| CliError::Cluster {
        reason: format!(
            "{object} does not exist: the SealedSecret in {} has not been unsealed in this \
             cluster yet (apply it first, or use --private-key)",
            file.display()
        ),
    })?;
    let values = take_values(sealed, &mut secret, &object, file);
    // Whatever was not taken (other keys, or everything after a refusal) is wiped now.
    if let Some(data) = secret.data.as_mut() {
        for value in data.values_mut() {
            value.0.zeroize();
        }
    }
    values
}

fn take_values(
    sealed: &SealedSecret,
    secret: &mut Secret,
    object: &str,
    file: &Path,
) -> Result<Originals, CliError> {
    let recorded = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SEALED_DIGEST));
    let expected = sealed_digest(sealed);
    match recorded {
        Some(digest) if *digest == expected => {}
        Some(_) => {
            return Err(CliError::Usage(format!(
                "{object} was made from a different version of the SealedSecret in {} \
                 (its {SEALED_DIGEST} differs): deploy this file first, or edit with \
                 --private-key",
                file.display()
            )));
        }
        None => {
            return Err(CliError::Usage(format!(
                "{object} carries no {SEALED_DIGEST} annotation, so nothing shows it was made \
                 from the SealedSecret in {} (a controller other than sealant's wrote it?); \
                 edit with --private-key instead",
                file.display()
            )));
        }
    }
    let data = secret.data.get_or_insert_with(BTreeMap::new);
    let mut values = BTreeMap::new();
    for key in sealed.spec.encrypted_data.keys() {
        let value = data.get_mut(key).ok_or_else(|| {
            CliError::Usage(format!(
                "{object} has no key {key:?} although its digest matches {}; re-apply the \
                 file and retry",
                file.display()
            ))
        })?;
        values.insert(
            key.clone(),
            SecretBytes::from_vec(std::mem::take(&mut value.0)),
        );
    }
    Ok(Originals::Plain(values))
}
