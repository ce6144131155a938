//! Writing the generated Secret: create, replace, or merge (`patch` annotation), with the
//! ownership rules Bitnami users rely on.

use super::target::WipedSecret;
use crate::{ControllerError, error::ApiCall, keys::wipe_secret_data};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, ResourceExt,
    api::{PartialObjectMeta, Patch, PatchParams, PostParams},
};
use sealant_api::{SealedSecret, annotations};

/// How the existing Secret may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Create,
    Replace,
    Merge,
}

/// Decide how to write, or refuse. An existing Secret this SealedSecret does not own is
/// touched only when the Secret itself says `managed` or `patch`, as in Bitnami
/// (`isAnnotatedToBeManaged(secret)`): authority comes from the object being affected. The
/// same annotations on the SealedSecret or its template are the writer's claim over someone
/// else's Secret and count for nothing here (the template's copy only ends up on the Secret
/// the controller writes).
pub fn write_mode(
    ss: &SealedSecret,
    existing: Option<&PartialObjectMeta<Secret>>,
) -> Result<WriteMode, ControllerError> {
    let Some(existing) = existing else {
        return Ok(WriteMode::Create);
    };
    let says = |name: &str| {
        existing
            .annotations()
            .get(name)
            .is_some_and(|v| v == "true")
    };
    if says(annotations::PATCH) {
        return Ok(WriteMode::Merge);
    }
    if is_owned_by(ss, existing) || says(annotations::MANAGED) {
        return Ok(WriteMode::Replace);
    }
    Err(ControllerError::Unmanaged {
        secret: format!("{}/{}", ss.namespace_str(), ss.name_str()),
        sealed: format!("{}/{}", ss.namespace_str(), ss.name_str()),
    })
}

/// True when the Secret names this SealedSecret (by uid) as its controller, or — when owner
/// references are switched off — carries our digest annotation, i.e. we generated it.
pub fn is_owned_by(ss: &SealedSecret, secret: &PartialObjectMeta<Secret>) -> bool {
    let uid = ss.metadata.uid.as_deref();
    let by_reference = secret
        .owner_references()
        .iter()
        .any(|r| r.controller == Some(true) && Some(r.uid.as_str()) == uid);
    by_reference
        || (super::target::skips_owner_reference(ss)
            && secret
                .annotations()
                .contains_key(sealant_api::digest::SEALED_DIGEST))
}

/// Write `target` and return the new resourceVersion.
pub async fn write_secret(
    secrets: &Api<Secret>,
    mode: WriteMode,
    mut target: WipedSecret,
    existing_version: Option<String>,
) -> Result<Option<String>, ControllerError> {
    let name = target.0.name_any();
    let namespace = target.0.namespace().unwrap_or_default();
    let result = match mode {
        WriteMode::Create => secrets.create(&PostParams::default(), &target.0).await,
        WriteMode::Replace => {
            // The version we based our decision on: a concurrent change gets a 409 and a
            // retry rather than being overwritten unseen.
            target.0.metadata.resource_version = existing_version;
            secrets
                .replace(&name, &PostParams::default(), &target.0)
                .await
        }
        WriteMode::Merge => {
            secrets
                .patch(&name, &PatchParams::default(), &Patch::Merge(&target.0))
                .await
        }
    };
    drop(target);
    match result {
        Ok(mut written) => {
            // The API server echoes the data back.
            wipe_secret_data(&mut written);
            Ok(written.resource_version())
        }
        Err(kube::Error::Api(status))
            if status.code == 422 && status.message.contains("immutable") =>
        {
            Err(ControllerError::Immutable {
                secret: format!("{namespace}/{name}"),
            })
        }
        Err(source) => Err(ControllerError::Api {
            call: match mode {
                WriteMode::Create => ApiCall::CreateSecret,
                WriteMode::Replace => ApiCall::ReplaceSecret,
                WriteMode::Merge => ApiCall::PatchSecret,
            },
            object: format!("Secret {namespace}/{name}"),
            source,
        }),
    }
}
