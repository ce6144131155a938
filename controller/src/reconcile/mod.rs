//! One reconcile: SealedSecret in, Secret (and status, and an Event) out — or, when nothing
//! changed, nothing at all.
//!
//! * [`drift`]: how a Secret changed by someone else is told from one the controller wrote,
//!   after a restart too, without decrypting.
//! * [`stall`]: how a permanent failure stops costing anything until something changes.
//! * [`pending`]: the ciphertexts a watch event brought, kept for its reconcile so that a
//!   new object is not read back.
//! * [`secret_names`]: which Secrets surely do not exist, so that a new object's Secret is
//!   created without reading a 404 first.

pub mod cached;
mod drift;
mod extra_metadata;
mod open;
pub mod pending;
pub mod secret_names;
mod stall;
mod status;
mod target;
mod write;

pub use drift::{DATA_MAC, MacKey};
pub use extra_metadata::ExtraMetadata;
use sealant_api::digest;
pub use sealant_api::digest::{KEY_FINGERPRINT, SEALED_DIGEST, sealed_digest};
pub use stall::{Attempt, Stall};
pub use status::{CONDITION_STALLED, Verdict, desired_status};

use crate::{
    Context, ControllerError,
    error::ApiCall,
    events::{REASON_SECRET_RESTORED, REASON_UNSEALED},
    metrics::{ConditionType, ReconcileOutcome},
    stats::Outcome,
};
use drift::{Seal, Subject};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Resource, ResourceExt,
    api::{PartialObjectMeta, Patch, PatchParams},
    runtime::{controller::Action, reflector::ObjectRef},
};
use sealant_api::SealedSecret;
use sealant_crypto::Fingerprint;
use std::sync::Arc;
use target::WipedSecret;
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
    // Whatever happened, parts parked for this object have had their use (see [`pending`]).
    ctx.pending.forget(&object);
    let outcome = match &result {
        Ok(Outcome::Unchanged) => ReconcileOutcome::Unchanged,
        Ok(Outcome::Stalled) => ReconcileOutcome::Stalled,
        Ok(_) => ReconcileOutcome::Written,
        Err(_) => ReconcileOutcome::Failed,
    };
    ctx.metrics.reconcile_finished(outcome, started.elapsed());
    result.map(|_| Action::await_change())
}

/// What [`sync`] did.
enum Synced {
    /// The Secret was already what the SealedSecret makes.
    Unchanged,
    /// The Secret was created or updated.
    Written,
    /// Someone else had changed the Secret; it has been written back.
    Restored,
    /// Nothing changed since a permanent failure: skipped. Carries that failure's verdict.
    Stalled(Verdict),
    /// The SealedSecret was deleted while this reconcile ran: nothing written.
    Deleted,
    /// Current, but lacked the controller-wide labels or annotations: patched, no decryption.
    Relabelled,
    /// Created without a read (see [`secret_names`]), but a Secret had appeared since the
    /// watch last looked: nothing written, to be decided again on a read.
    Raced,
}

async fn reconcile_inner(
    ss: &Arc<SealedSecret>,
    ctx: &Arc<Context>,
    object: &ObjectRef<SealedSecret>,
    described: &str,
) -> Result<Outcome, ControllerError> {
    let mut attempt = None;
    let mut synced = sync(ss, ctx, object, &mut attempt, true).await;
    if matches!(synced, Ok(Synced::Raced)) {
        // Decided again on the Secret that is there, exactly as if it had been read first.
        synced = sync(ss, ctx, object, &mut attempt, false).await;
    }
    let (outcome, verdict) = match synced {
        Ok(Synced::Stalled(verdict)) => {
            tracing::debug!(object = %described, "stalled: nothing changed since the last failure");
            (Outcome::Stalled, verdict)
        }
        Ok(Synced::Deleted) => {
            // No status to write on an object that is gone.
            tracing::debug!(object = %described, "deleted while reconciling: nothing written");
            ctx.stats.record(described, Outcome::Unchanged);
            return Ok(Outcome::Unchanged);
        }
        Ok(synced) => {
            let outcome = match synced {
                Synced::Restored => {
                    ctx.events
                        .warning(
                            &ss.object_ref(&()),
                            REASON_SECRET_RESTORED,
                            format!(
                                "Secret {described} was changed by someone other than the \
                                 controller; restored from its SealedSecret"
                            ),
                        )
                        .await;
                    Outcome::Restored
                }
                Synced::Written => {
                    ctx.events
                        .normal(
                            &ss.object_ref(&()),
                            REASON_UNSEALED,
                            "SealedSecret unsealed successfully".to_owned(),
                        )
                        .await;
                    Outcome::Written
                }
                // A flag change, not news about the object: no Event.
                Synced::Relabelled => Outcome::Written,
                _ => Outcome::Unchanged,
            };
            tracing::debug!(object = %described, outcome = ?outcome, "reconciled");
            (
                outcome,
                Verdict::ok(format!("Secret {described} is up to date")),
            )
        }
        Err(error) => return failed(ss, ctx, object, described, error, attempt).await,
    };
    // Counted after the status write: a failed status write is retried with backoff like
    // any failure, so the backoff must not be reset before it.
    let status = write_status(ss, ctx, object, &verdict).await;
    ctx.stats.record(
        described,
        if status.is_ok() {
            outcome
        } else {
            Outcome::Failed
        },
    );
    if let Err(error) = status {
        ctx.metrics
            .unseal_error(error.metric_reason(), ss.namespace_str());
        return Err(error);
    }
    if outcome != Outcome::Stalled {
        ctx.succeeded(object);
    }
    Ok(outcome)
}

/// Publish a failure (status, Event, metric, log) and decide its future: a permanent one
/// stalls the object on `attempt` (after `--max-unseal-retries` retries), one a new key
/// could fix waits for that key.
async fn failed(
    ss: &SealedSecret,
    ctx: &Context,
    object: &ObjectRef<SealedSecret>,
    described: &str,
    error: ControllerError,
    attempt: Option<Attempt>,
) -> Result<Outcome, ControllerError> {
    ctx.stats.record(described, Outcome::Failed);
    ctx.metrics
        .unseal_error(error.metric_reason(), ss.namespace_str());
    tracing::warn!(object = %described, reason = error.reason(), %error, "reconcile failed");
    if error.wants_new_key() {
        ctx.wait_for_key(object);
    }
    // A failed read says nothing about the object; only verdicts about it are published
    // (and a transient read error would flap the condition).
    if error.is_failed_read() {
        return Err(error);
    }
    // `--max-unseal-retries`: a permanent failure is first retried (with backoff) that
    // many times, as Bitnami retried every failure, then Stalled.
    let retries_spent = ctx.failures(object) >= ctx.settings.unseal_retries;
    let stall = attempt.filter(|_| error.is_permanent() && retries_spent);
    let verdict = if stall.is_some() {
        Verdict::stalled(error.reason(), error.to_string())
    } else {
        Verdict::failed(error.reason(), error.to_string())
    };
    ctx.events
        .warning(&ss.object_ref(&()), error.reason(), error.to_string())
        .await;
    let status = write_status(ss, ctx, object, &verdict).await;
    if let Some(attempt) = stall {
        ctx.stall(object, Stall { attempt, verdict });
    }
    match status {
        Ok(()) => Err(error),
        // Not stalled until the status says so: the transient error gets the backoff, and
        // the next reconcile (stalled, so without RSA work) writes the status again.
        Err(status_error) => {
            tracing::warn!(object = %described, error = %status_error, "status write failed");
            Err(status_error)
        }
    }
}

/// The kube-runtime error policy: a stalled object waits for a change (a new key, or a
/// change of it or its Secret, each of which triggers a reconcile); anything else retries
/// with capped exponential backoff, without end.
pub fn error_policy(ss: Arc<SealedSecret>, error: &ControllerError, ctx: Arc<Context>) -> Action {
    let object = ObjectRef::from_obj(ss.as_ref());
    if error.is_permanent() && ctx.stall_holds(&object) {
        return Action::await_change();
    }
    Action::requeue(ctx.next_backoff(&object))
}

/// The target Secret as read: its metadata, and its data when the drift seal is checked.
struct Found {
    meta: PartialObjectMeta<Secret>,
    full: Option<WipedSecret>,
}

impl Found {
    fn from_full(secret: Secret) -> Self {
        Self {
            meta: PartialObjectMeta {
                types: None,
                metadata: secret.metadata.clone(),
                _phantom: std::marker::PhantomData,
            },
            full: Some(WipedSecret(secret)),
        }
    }
}

/// Read the target Secret: metadata only, unless `with_data` (a first look, whose seal is
/// checked). A read never needs more.
async fn read_secret(
    secrets: &Api<Secret>,
    described: &str,
    name: &str,
    with_data: bool,
) -> Result<Option<Found>, ControllerError> {
    let failed = |source| ControllerError::Api {
        call: ApiCall::ReadSecret,
        object: format!("Secret {described}"),
        source,
    };
    if with_data {
        Ok(secrets
            .get_opt(name)
            .await
            .map_err(failed)?
            .map(Found::from_full))
    } else {
        Ok(secrets
            .get_metadata_opt(name)
            .await
            .map_err(failed)?
            .map(|meta| Found { meta, full: None }))
    }
}

/// How the existing Secret relates to the SealedSecret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    /// Made from exactly this input by a key we hold, and unchanged since.
    Current,
    /// Made from other input, by an older controller, or not ours: written as usual.
    Stale,
    /// Ours and made from this input, but changed by someone else: written back.
    Tampered,
}

/// Bring the Secret in line with `ss`. `attempt` is filled once the reconcile knows what a
/// permanent failure would depend on. `may_skip_read`: a Secret the watch has never shown
/// is created without reading it first (see [`secret_names`]).
async fn sync(
    ss: &Arc<SealedSecret>,
    ctx: &Context,
    object: &ObjectRef<SealedSecret>,
    attempt: &mut Option<Attempt>,
    may_skip_read: bool,
) -> Result<Synced, ControllerError> {
    let namespace = ss.namespace_str().to_owned();
    let name = ss.name_str().to_owned();
    let described = format!("{namespace}/{name}");
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    // The cache holds a reduced copy (see [`cached`]): its digest is the whole object's.
    let digest = cached::digest_of(ss);
    // The echo of our own write (a Secret event that raced the write's reply): current,
    // known without a request.
    if ctx.seen_current(object, &digest) {
        return Ok(Synced::Unchanged);
    }
    let verified = ctx.has_verified_version(object);
    let unread = may_skip_read && !verified && ctx.secret_names.surely_absent(&namespace, &name);
    let mut existing = if unread {
        None
    } else {
        read_secret(&secrets, &described, &name, !verified).await?
    };
    let freshness = match &mut existing {
        None => Freshness::Stale,
        Some(found) => freshness(ss, ctx, object, &secrets, found, &digest).await?,
    };
    let existing_meta = existing.as_ref().map(|f| &f.meta);
    if freshness == Freshness::Current {
        let key = existing_meta
            .and_then(|m| digest::recorded_fingerprint(m.metadata.annotations.as_ref()));
        ctx.record_key_use(object, key);
        let missing =
            existing_meta.and_then(|m| ctx.settings.extra_metadata.missing(ss, &m.metadata));
        if let Some(patch) = missing {
            let version = patch_metadata(&secrets, &described, &name, &patch).await?;
            ctx.remember_version(object, version);
            return Ok(Synced::Relabelled);
        }
        return Ok(Synced::Unchanged);
    }

    // Read before decrypting: a key arriving during the attempt makes it a new attempt.
    let this = Attempt {
        digest: digest.clone(),
        secret_version: existing_meta.and_then(|m| m.resource_version()),
        new_keys: ctx.new_keys_seen(),
    };
    if let Some(verdict) = ctx.stalled_on(object, &this) {
        return Ok(Synced::Stalled(verdict));
    }
    *attempt = Some(this);

    // Work is due: decryption needs the whole object, read once now.
    let Some(whole) = cached::full(ctx, ss).await? else {
        return Ok(Synced::Deleted);
    };
    // What was read may be newer than the cached copy: the Secret records what it is made of.
    let digest = whole.digest;
    let ss = &whole.object;

    if !ctx.settings.accept_deprecated_v1_data
        && ss.spec.data.as_deref().is_some_and(|d| !d.is_empty())
    {
        return Err(ControllerError::LegacyDataRefused { object: described });
    }
    let mode = write_mode(ss, existing_meta)?;
    let recorded =
        existing_meta.and_then(|m| digest::recorded_fingerprint(m.metadata.annotations.as_ref()));
    let hint = open::hint_for(ss, recorded);
    ctx.metrics.unseal_request();
    let unsealed = open::unseal_on_pool(ctx, ss.clone(), hint).await?;
    let key = unsealed.fingerprint;
    let mut target = target::build_target(ss, unsealed.secret, &digest, key);
    ctx.settings.extra_metadata.apply(&mut target.0.metadata);
    if let Some(fp) = key
        && let Some(mac) = ctx.mac_key(&fp)
    {
        let subject = Subject {
            namespace: &namespace,
            name: &name,
            digest: &digest,
            key: fp,
        };
        drift::seal_written(&mut target.0, &mac, &subject);
    }
    let existing_version = existing_meta.and_then(|m| m.resource_version());
    drop(existing);
    // This reconcile works on a snapshot of the object. If the SealedSecret was deleted
    // meanwhile, creating its missing Secret would bring back what `--old-gc-behavior` just
    // deleted on purpose, and a Secret without an ownerReference would then outlive its
    // SealedSecret for good. The watch removes a deleted object from the cache before the
    // deletion of its Secret starts, so checking the cache after reading the Secret as
    // missing closes that race.
    if mode == WriteMode::Create && !ctx.is_cached(object, ss.metadata.uid.as_deref()) {
        return Ok(Synced::Deleted);
    }
    let version = match write_secret(&secrets, mode, target, existing_version).await {
        Err(error) if unread && error.is_secret_already_there() => return Ok(Synced::Raced),
        written => written?,
    };
    ctx.remember_version(object, version);
    ctx.record_key_use(object, key);
    Ok(if freshness == Freshness::Tampered {
        Synced::Restored
    } else {
        Synced::Written
    })
}

/// Merge-patch the Secret's labels and annotations only (its data is not read or sent), and
/// return its new resourceVersion.
async fn patch_metadata(
    secrets: &Api<Secret>,
    described: &str,
    name: &str,
    patch: &serde_json::Value,
) -> Result<Option<String>, ControllerError> {
    let patched = secrets
        .patch_metadata(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .map_err(|source| ControllerError::Api {
            call: ApiCall::PatchSecret,
            object: format!("Secret {described}"),
            source,
        })?;
    Ok(patched.resource_version())
}

/// Whether `found` is current. Decided on metadata while its resourceVersion is the one this
/// controller last wrote or verified; otherwise (a first look, or someone else's write) on
/// the seal over its data, read once (see [`drift`]).
async fn freshness(
    ss: &Arc<SealedSecret>,
    ctx: &Context,
    object: &ObjectRef<SealedSecret>,
    secrets: &Api<Secret>,
    found: &mut Found,
    digest: &str,
) -> Result<Freshness, ControllerError> {
    let Some(key) = made_by_us_from(ss, &found.meta, digest) else {
        return Ok(Freshness::Stale);
    };
    let version = found.meta.resource_version();
    if version.is_some_and(|v| ctx.is_verified_version(object, &v)) {
        return Ok(Freshness::Current);
    }
    if found.full.is_none() {
        let described = format!("{}/{}", ss.namespace_str(), ss.name_str());
        match read_secret(secrets, &described, ss.name_str(), true).await? {
            Some(full) => *found = full,
            None => return Ok(Freshness::Stale),
        }
        // Read again, so decide again on what was read.
        if made_by_us_from(ss, &found.meta, digest) != Some(key) {
            return Ok(Freshness::Stale);
        }
    }
    let Some(secret) = found.full.as_ref() else {
        return Ok(Freshness::Stale);
    };
    let merged = matches!(write_mode(ss, Some(&found.meta)), Ok(WriteMode::Merge));
    // A `patch` Secret's seal covers only the keys the object defines, which the cached
    // copy does not keep (see [`cached`]): read the whole object for them. One newer than
    // the cached copy is not what the Secret was checked against; its own event follows.
    let whole = if merged {
        match cached::full(ctx, ss).await? {
            Some(whole) if whole.digest == digest => whole.object,
            _ => return Ok(Freshness::Stale),
        }
    } else {
        ss.clone()
    };
    let subject = Subject {
        namespace: ss.namespace_str(),
        name: ss.name_str(),
        digest,
        key,
    };
    Ok(
        match drift::check(
            &whole,
            &secret.0,
            ctx.mac_key(&key).as_ref(),
            &subject,
            merged,
        ) {
            Seal::Intact => {
                ctx.remember_version(object, found.meta.resource_version());
                Freshness::Current
            }
            Seal::Unverifiable => Freshness::Stale,
            Seal::Broken => Freshness::Tampered,
        },
    )
}

/// The key recorded on `existing` when it says it was generated from exactly this input and
/// it is still ours; `None` otherwise.
fn made_by_us_from(
    ss: &SealedSecret,
    existing: &PartialObjectMeta<Secret>,
    digest: &str,
) -> Option<Fingerprint> {
    let annotations = existing.annotations();
    if annotations.get(SEALED_DIGEST).map(String::as_str) != Some(digest) {
        return None;
    }
    // The fingerprint is the next reconcile's hint; a Secret without one predates it.
    let key = digest::recorded_fingerprint(Some(annotations))?;
    // Ownership must still hold: a Secret whose ownerReference was removed is rewritten.
    let ours = is_owned_by(ss, existing)
        || matches!(write_mode(ss, Some(existing)), Ok(WriteMode::Merge))
        || target::skips_owner_reference(ss);
    ours.then_some(key)
}

/// Write the status only when it would change.
async fn write_status(
    ss: &SealedSecret,
    ctx: &Context,
    object: &ObjectRef<SealedSecret>,
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
        ctx.metrics.conditions().set(
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
    let status_key = verdict.key(ss.metadata.generation);
    if ctx.status_already_written(object, &status_key) {
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
    ctx.status_written(object, &status_key);
    Ok(())
}
