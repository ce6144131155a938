//! One watched scope (all namespaces, or one namespace): a kube-runtime `Controller` over
//! its SealedSecrets, woken by their Secrets (metadata only, unless `--skip-recreate`) and by
//! new keys.

use crate::{
    Context,
    reconcile::{SEALED_DIGEST, cached, error_policy, reconcile},
    settings::ScopeSettings,
};
use futures::{FutureExt, Stream, StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, PartialObjectMeta},
    runtime::{
        Controller, WatchStreamExt,
        controller::Config as ControllerConfig,
        reflector::{self, ObjectRef},
        watcher,
    },
};
use sealant_api::SealedSecret;
use std::sync::Arc;
use tokio::sync::watch;

fn api_for<K>(client: &Client, scope: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>,
{
    match scope {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// One kube-runtime Controller for one scope.
pub(super) async fn run_scope(
    client: Client,
    scope: Option<String>,
    settings: ScopeSettings,
    ctx: Arc<Context>,
    mut stopped: watch::Receiver<bool>,
    synced: tokio::sync::mpsc::Sender<()>,
) {
    let mut ss_config = watcher::Config::default();
    if let Some(selector) = &settings.label_selector {
        ss_config = ss_config.labels(selector);
    }
    let (reader, mut writer) = reflector::store::<SealedSecret>();
    ctx.add_store(scope.as_deref(), reader.clone());
    let gc_ctx = ctx.clone();
    let cache = reader.clone();
    let slim_ctx = ctx.clone();
    // What kube-runtime's `reflector` and `predicate_filter` do, in one step: the event is
    // slimmed (only what reconcile decisions need is cached; the ciphertexts are parked for
    // a due reconcile, within a budget, or read again: see `reconcile::cached`), judged
    // against the copy the cache still holds, then applied to the cache. Judging against
    // that copy needs no second map of every object (the predicate filter keeps one).
    let sealed = watcher(
        api_for::<SealedSecret>(&client, scope.as_deref()),
        ss_config,
    )
    .default_backoff()
    .map_ok(move |mut event| {
        let news = cached::slim_event(&mut event, &cache, &slim_ctx);
        writer.apply_watcher_event(&event);
        (event, news)
    })
    .inspect({
        // Seen here rather than through `Store::wait_until_ready`: that future shares one
        // waker slot with kube's own runner, so a second waiter is never woken.
        let mut first_list = Some(synced);
        move |event| match event {
            Ok((watcher::Event::Delete(ss), _)) => on_sealed_secret_deleted(&gc_ctx, ss),
            Ok((watcher::Event::InitDone, _)) => {
                if let Some(tx) = first_list.take() {
                    let _ = tx.try_send(());
                }
            }
            _ => {}
        }
    })
    .try_filter_map(|(event, news)| {
        futures::future::ready(Ok(match event {
            watcher::Event::Apply(ss) | watcher::Event::InitApply(ss) if news => Some(ss),
            _ => None,
        }))
    });

    // Metadata only: no Secret value is ever held in a cache. The target Secret shares its
    // SealedSecret's namespace and name, so the mapping also covers Secrets written
    // without an ownerReference.
    // With `--skip-recreate` (Bitnami's limited-permission mode) no Secret is watched, so
    // none needs list or watch permission; a changed Secret is then restored only when its
    // SealedSecret changes or the controller restarts.
    let secret_changes = if settings.watch_secrets {
        let names_ctx = ctx.clone();
        let names_scope = scope.clone();
        watcher(
            api_for::<PartialObjectMeta<Secret>>(&client, scope.as_deref()),
            watcher::Config::default(),
        )
        .default_backoff()
        // Every Secret's name, ours or not, for `reconcile::secret_names`.
        .inspect_ok(move |event| match event {
            watcher::Event::Apply(secret) | watcher::Event::InitApply(secret) => {
                if let Some(namespace) = secret.metadata.namespace.as_deref() {
                    names_ctx.secret_names.saw(namespace, &secret.name_any());
                }
            }
            watcher::Event::InitDone => names_ctx.secret_names.set_listed(names_scope.as_deref()),
            watcher::Event::Init | watcher::Event::Delete(_) => {}
        })
        .touched_objects()
        .left_stream()
    } else {
        stream::pending().right_stream()
    };

    let mut stop_seen = stopped.clone();
    let shutdown = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    // kube-runtime holds its runner until the store's first list completes; a graceful
    // shutdown requested before then would wait for a list whose watch it has just cut.
    // With the store not ready no reconcile can be running, so dropping is safe.
    let ready = reader.clone();
    let stop_before_ready = async move {
        let _ = stop_seen.wait_for(|stop| *stop).await;
        if ready.wait_until_ready().now_or_never().is_none() {
            return;
        }
        futures::future::pending::<()>().await;
    };
    let ctx_for_cleanup = ctx.clone();
    let cached = reader.clone();
    let ctx_for_secrets = ctx.clone();
    let controller = Controller::for_stream(sealed, reader)
        .with_config(ControllerConfig::default().concurrency(settings.concurrency))
        // Only a Secret whose SealedSecret is cached wakes anything: unrelated Secrets (most
        // of a cluster's) would each queue a reconcile request that finds no object. One
        // whose SealedSecret is not cached yet loses nothing: the SealedSecret's own arrival
        // in the cache reconciles it.
        .watches_stream(secret_changes, move |secret| {
            let object =
                ObjectRef::<SealedSecret>::new(&secret.name_any()).within(&secret.namespace()?);
            cached.get(&object)?;
            if let Some(version) = secret.resource_version() {
                let digest = secret.annotations().get(SEALED_DIGEST).map(String::as_str);
                ctx_for_secrets.saw_secret(&object, version, digest);
            }
            (!is_own_write(&ctx_for_secrets, &object, &secret)).then_some(object)
        })
        .reconcile_on(retry_on_new_key(ctx.clone(), scope.clone()))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|_| futures::future::ready(()));
    tokio::select! {
        () = controller => {}
        () = stop_before_ready => {}
    }
    ctx_for_cleanup.remove_store(scope.as_deref());
}

/// Whether `secret` is exactly the version this controller last wrote or verified for
/// `object`: the echo of our own write, which a reconcile would find current (its first
/// check is this same comparison). Any later change by anyone has another resourceVersion
/// and still wakes the object.
fn is_own_write(
    ctx: &Context,
    object: &ObjectRef<SealedSecret>,
    secret: &PartialObjectMeta<Secret>,
) -> bool {
    secret
        .resource_version()
        .is_some_and(|version| ctx.is_verified_version(object, &version))
}

/// Objects that failed to decrypt, each time a new key arrives.
fn retry_on_new_key(
    ctx: Arc<Context>,
    scope: Option<String>,
) -> impl Stream<Item = ObjectRef<SealedSecret>> + Send + 'static {
    let new_keys = ctx.keys.subscribe_new_keys();
    stream::unfold(new_keys, |mut rx| async move {
        rx.changed().await.ok()?;
        Some(((), rx))
    })
    .flat_map(move |()| stream::iter(ctx.take_waiting_for_key(scope.as_deref())))
}

/// Forget per-object state, and with `--old-gc-behavior` delete the generated Secret
/// ourselves (for Secrets without an ownerReference, which garbage collection never sees).
fn on_sealed_secret_deleted(ctx: &Arc<Context>, ss: &SealedSecret) {
    ctx.forget(&ObjectRef::from_obj(ss));
    if !ctx.settings.old_gc_behavior {
        return;
    }
    let ctx = ctx.clone();
    let (namespace, name) = (ss.namespace_str().to_owned(), ss.name_str().to_owned());
    let uid = ss.metadata.uid.clone();
    tokio::spawn(async move {
        let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
        let Ok(Some(existing)) = secrets.get_metadata_opt(&name).await else {
            return;
        };
        let ours = existing
            .owner_references()
            .iter()
            .any(|r| Some(&r.uid) == uid.as_ref())
            || existing.annotations().contains_key(SEALED_DIGEST);
        if ours && let Err(error) = secrets.delete(&name, &DeleteParams::default()).await {
            tracing::warn!(object = %format!("{namespace}/{name}"), %error, "deleting the Secret failed");
        }
    });
}
