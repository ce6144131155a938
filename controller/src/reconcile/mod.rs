//! One reconcile: SealedSecret in, Secret (and status, and an Event) out — or, when nothing
//! changed, nothing at all.

mod open;
mod status;
mod target;
mod write;

use sealant_api::digest;
pub use sealant_api::digest::{KEY_FINGERPRINT, SEALED_DIGEST, sealed_digest};
pub use status::{Verdict, desired_status};

use crate::{
    Context, ControllerError,
    error::ApiCall,
    events::REASON_UNSEALED,
    metrics::{ConditionType, ReconcileOutcome},
    stats::Outcome,
};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Resource, ResourceExt,
    api::{PartialObjectMeta, Patch, PatchParams},
    runtime::{controller::Action, reflector::ObjectRef},
};
use sealant_api::SealedSecret;
use std::sync::Arc;
use write::{WriteMode, is_owned_by, write_mode, write_secret};

/// The kube-runtime reconcile function.
pub async fn reconcile(
    ss: Arc<SealedSecret>,
    ctx: Arc<Context>,
) -> Result<Action, ControllerError> {
    let object = ObjectRef::from_obj(ss.as_ref());
    let described = format!("{}/{}", ss.namespace_str(), ss.name_str());
    let started = std::time::Instant::now();
    let result = reconcile_inner(&ss, &ctx, &object, &described).await;
    let outcome = match &result {
        Ok(Outcome::Unchanged) => ReconcileOutcome::Unchanged,
        Ok(_) => ReconcileOutcome::Written,
        Err(_) => ReconcileOutcome::Failed,
    };
    ctx.metrics.reconcile_finished(outcome, started.elapsed());
    if let Err(error) = &result {
        ctx.metrics
            .unseal_error(error.metric_reason(), ss.namespace_str());
    }
    result.map(|_| Action::await_change())
}

async fn reconcile_inner(
    ss: &Arc<SealedSecret>,
    ctx: &Arc<Context>,
    object: &ObjectRef<SealedSecret>,
    described: &str,
) -> Result<Outcome, ControllerError> {
    match sync(ss, ctx).await {
        Ok(outcome) => {
            tracing::debug!(object = %described, outcome = ?outcome, "reconciled");
            if outcome == Outcome::Written {
                ctx.events
                    .normal(
                        &ss.object_ref(&()),
                        REASON_UNSEALED,
                        "SealedSecret unsealed successfully".to_owned(),
                    )
                    .await;
            }
            let message = format!("Secret {described} is up to date");
            // Counted after the status write: a failed status write is retried with backoff
            // like any failure, so the backoff must not be reset before it.
            let status = write_status(ss, ctx, &Verdict::ok(message)).await;
            ctx.stats.record(
                described,
                if status.is_ok() {
                    outcome
                } else {
                    Outcome::Failed
                },
            );
            status?;
            ctx.succeeded(object);
            Ok(outcome)
        }
        Err(error) => {
            ctx.stats.record(described, Outcome::Failed);
            tracing::warn!(object = %described, reason = error.reason(), %error, "reconcile failed");
            if error.wants_new_key() {
                ctx.wait_for_key(object);
            }
            // A failed read says nothing about the object; only verdicts about it are
            // published (and a transient read error would flap the condition).
            if !error.is_failed_read() {
                ctx.events
                    .warning(&ss.object_ref(&()), error.reason(), error.to_string())
                    .await;
                let verdict = Verdict::failed(error.reason(), error.to_string());
                if let Err(status_error) = write_status(ss, ctx, &verdict).await {
                    tracing::warn!(object = %described, error = %status_error, "status write failed");
                }
            }
            Err(error)
        }
    }
}

/// The kube-runtime error policy: capped exponential backoff, without end.
pub fn error_policy(ss: Arc<SealedSecret>, _error: &ControllerError, ctx: Arc<Context>) -> Action {
    Action::requeue(ctx.next_backoff(&ObjectRef::from_obj(ss.as_ref())))
}

/// Bring the Secret in line with `ss`.
async fn sync(ss: &Arc<SealedSecret>, ctx: &Context) -> Result<Outcome, ControllerError> {
    let namespace = ss.namespace_str().to_owned();
    let name = ss.name_str().to_owned();
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    // Metadata only: the decision never needs the Secret's values.
    let existing =
        secrets
            .get_metadata_opt(&name)
            .await
            .map_err(|source| ControllerError::Api {
                call: ApiCall::ReadSecret,
                object: format!("Secret {namespace}/{name}"),
                source,
            })?;
    let digest = sealed_digest(ss);
    if let Some(existing) = &existing
        && is_up_to_date(ss, ctx, existing, &digest)
    {
        let key = digest::recorded_fingerprint(existing.metadata.annotations.as_ref());
        ctx.record_key_use(&namespace, &name, key);
        return Ok(Outcome::Unchanged);
    }

    if !ctx.settings.accept_deprecated_v1_data
        && ss.spec.data.as_deref().is_some_and(|d| !d.is_empty())
    {
        return Err(ControllerError::LegacyDataRefused {
            object: format!("{namespace}/{name}"),
        });
    }
    let mode = write_mode(ss, existing.as_ref())?;
    let recorded = existing
        .as_ref()
        .and_then(|e| digest::recorded_fingerprint(e.metadata.annotations.as_ref()));
    let hint = open::hint_for(ss, recorded);
    ctx.metrics.unseal_request();
    let unsealed = open::unseal_on_pool(ctx, ss.clone(), hint).await?;
    let key = unsealed.fingerprint;
    let target = target::build_target(ss, unsealed.secret, &digest, key);
    let existing_version = existing.as_ref().and_then(|e| e.resource_version());
    let version = write_secret(&secrets, mode, target, existing_version).await?;
    ctx.remember_version(&namespace, &name, version);
    ctx.record_key_use(&namespace, &name, key);
    Ok(Outcome::Written)
}

/// True when the Secret was generated from exactly this input by a key we still hold, and
/// nobody changed it since we last looked.
fn is_up_to_date(
    ss: &SealedSecret,
    ctx: &Context,
    existing: &PartialObjectMeta<Secret>,
    digest: &str,
) -> bool {
    let annotations = existing.annotations();
    if annotations.get(SEALED_DIGEST).map(String::as_str) != Some(digest) {
        return false;
    }
    // The fingerprint is the next reconcile's hint; a Secret without one predates it.
    if digest::recorded_fingerprint(Some(annotations)).is_none() {
        return false;
    }
    // Ownership must still hold: a Secret whose ownerReference was removed is rewritten.
    let ours = is_owned_by(ss, existing)
        || matches!(write_mode(ss, Some(existing)), Ok(WriteMode::Merge))
        || target::skips_owner_reference(ss);
    if !ours {
        return false;
    }
    let (namespace, name) = (ss.namespace_str(), ss.name_str());
    let version = existing.resource_version();
    match ctx.known_version(namespace, name) {
        // First sight since start: adopt what is there as the baseline, so a later edit by
        // someone else shows up as a different resourceVersion.
        None => {
            ctx.remember_version(namespace, name, version);
            true
        }
        Some(known) => Some(known) == version,
    }
}

/// Write the status only when it would change.
async fn write_status(
    ss: &SealedSecret,
    ctx: &Context,
    verdict: &Verdict,
) -> Result<(), ControllerError> {
    if !ctx.settings.update_status {
        return Ok(());
    }
    let instance = ss
        .labels()
        .get("app.kubernetes.io/instance")
        .map_or("", String::as_str);
    for condition in ConditionType::ALL {
        ctx.metrics.set_condition(
            ss.namespace_str(),
            ss.name_str(),
            instance,
            condition,
            verdict.ok.into(),
        );
    }
    let Some(status) = desired_status(ss, verdict) else {
        return Ok(());
    };
    let object = ObjectRef::from_obj(ss);
    let status_key = format!(
        "{:?}|{}|{}|{}",
        ss.metadata.generation, verdict.ok, verdict.reason, verdict.message
    );
    if ctx.status_already_written(&object, &status_key) {
        return Ok(());
    }
    let api: Api<SealedSecret> = Api::namespaced(ctx.client.clone(), ss.namespace_str());
    let patch = serde_json::json!({ "status": status });
    api.patch_status(
        ss.name_str(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .map_err(|source| ControllerError::Api {
        call: ApiCall::WriteStatus,
        object: ss.describe(),
        source,
    })?;
    ctx.stats.record_status_write();
    ctx.status_written(&object, status_key);
    Ok(())
}
