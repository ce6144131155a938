//! `sealant keys list|rotate|retire`: the controller's key inventory (`GET /v1/keys` through
//! the API server's service proxy) and the RBAC-governed lifecycle requests, which are
//! annotations on key Secrets that the controller acts on.
//!
//! Against a controller without `/v1/keys` (Bitnami's answers 404) the key Secrets are
//! listed with the user's own RBAC instead. Only `tls.crt` is deserialized from them: the
//! private key in the reply is skipped by the parser and the reply buffer is zeroized.

use crate::{
    cluster::{
        ClusterArgs, Connection, block_on, connect,
        proxy::{self, encode},
    },
    error::CliError,
    io::write_stdout,
    requests::{KeysListRequest, KeysRetireRequest, KeysRotateRequest},
};
use http::{Method, StatusCode};
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::api::{Api, Patch, PatchParams};
use sealant_api::contract::{
    KEY_LABEL, KeyInfo, KeyInventory, KeyLabel, KeyState, REASON_KEY_RETIRE_REFUSED,
    RETIRE_REQUESTED_AT, ROTATE_REQUESTED_AT, Route,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use zeroize::Zeroize;

/// Between two looks at the controller's progress while waiting (bounded by `--timeout`).
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Shortest fingerprint prefix `keys retire` accepts.
pub const MIN_PREFIX: usize = 8;

/// The key inventory as `keys list --json` prints it: the controller's `GET /v1/keys`
/// reply, plus where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub source: InventorySource,
    pub usage_counted: bool,
    pub keys: Vec<KeyInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InventorySource {
    /// `GET /v1/keys`.
    Controller,
    /// The key Secrets, read with the user's RBAC (a controller without `/v1/keys`).
    KeySecrets,
}

pub fn list(req: KeysListRequest) -> Result<(), CliError> {
    block_on(run_list(req))
}

pub fn rotate(req: KeysRotateRequest) -> Result<(), CliError> {
    block_on(run_rotate(req))
}

pub fn retire(req: KeysRetireRequest) -> Result<(), CliError> {
    block_on(run_retire(req))
}

async fn run_list(req: KeysListRequest) -> Result<(), CliError> {
    let conn = connect(&req.cluster, None).await?;
    let inventory = inventory(&conn, &req.cluster, true).await?;
    let text = if req.json {
        let mut text = serde_json::to_string_pretty(&inventory)
            .map_err(|e| CliError::Internal(format!("encoding the key list: {e}")))?;
        text.push('\n');
        text
    } else {
        table(&inventory)
    };
    write_stdout(text.as_bytes())
}

/// The table `keys list` prints.
fn table(inventory: &Inventory) -> String {
    let mut rows = vec![[
        "FINGERPRINT".to_owned(),
        "CREATED".to_owned(),
        "NOT AFTER".to_owned(),
        "STATE".to_owned(),
        "USAGE".to_owned(),
        "SECRETS".to_owned(),
    ]];
    for key in &inventory.keys {
        rows.push([
            key.fingerprint.clone(),
            key.not_before.clone().unwrap_or_else(|| "-".into()),
            key.not_after.clone().unwrap_or_else(|| "-".into()),
            key.state.as_str().to_owned(),
            match key.usage {
                Some(n) if inventory.usage_counted => n.to_string(),
                _ => "unknown".into(),
            },
            key.secrets.join(","),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn controller_error(cluster: &ClusterArgs, reason: String) -> CliError {
    CliError::Controller {
        controller: cluster.controller_label(),
        reason,
    }
}

/// The inventory from `GET /v1/keys`, else (404, as from Bitnami's controller) from the key
/// Secrets. `note`: say on stderr when usage is unknown because of the fallback.
pub async fn inventory(
    conn: &Connection,
    cluster: &ClusterArgs,
    note: bool,
) -> Result<Inventory, CliError> {
    let target = proxy::resolve_service(conn, cluster)
        .await
        .map_err(|reason| controller_error(cluster, reason))?;
    let reply = proxy::call(
        conn,
        Method::GET,
        &target.proxy_path(Route::Keys.path()),
        None,
    )
    .await
    .map_err(|e| {
        controller_error(
            cluster,
            format!("GET /v1/keys via {}: {e}", target.describe()),
        )
    })?;
    match reply.status {
        s if s.is_success() => {
            let reply: KeyInventory = serde_json::from_slice(&reply.body).map_err(|e| {
                controller_error(cluster, format!("unreadable GET /v1/keys reply: {e}"))
            })?;
            let mut inventory = Inventory {
                source: InventorySource::Controller,
                usage_counted: reply.usage_counted,
                keys: reply.keys,
            };
            // Newest first; keys without a readable NotBefore last.
            inventory.keys.sort_by_key(|k| {
                std::cmp::Reverse(
                    k.not_before
                        .as_deref()
                        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()),
                )
            });
            if !inventory.usage_counted {
                for key in &mut inventory.keys {
                    key.usage = None;
                }
            }
            Ok(inventory)
        }
        // The API server's own 404 (no such Service) is a Status object; the controller's
        // (Bitnami's "404 page not found") is not.
        StatusCode::NOT_FOUND if !is_api_status(&reply.body) => {
            if note {
                eprintln!(
                    "note: controller {} has no /v1/keys ({}); listing its key Secrets instead \
                     (usage unknown)",
                    cluster.controller_label(),
                    reply.describe()
                );
            }
            from_key_secrets(conn, &cluster.controller_namespace).await
        }
        _ => {
            let mut reason = format!(
                "GET /v1/keys via {}: {}",
                target.describe(),
                reply.describe()
            );
            if reply.status == StatusCode::FORBIDDEN {
                reason.push_str(&format!(
                    " (needs RBAC `get services/proxy` in namespace {})",
                    cluster.controller_namespace
                ));
            }
            Err(controller_error(cluster, reason))
        }
    }
}

fn is_api_status(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.get("kind").and_then(Value::as_str) == Some("Status"))
}

#[derive(Deserialize)]
struct KeySecretList {
    #[serde(default)]
    items: Vec<KeySecret>,
}

/// A key Secret, reduced to what is public: any other data key (the private key) is skipped
/// by the parser, never copied.
#[derive(Deserialize)]
struct KeySecret {
    metadata: KeySecretMeta,
    #[serde(default)]
    data: CertOnly,
}

#[derive(Deserialize)]
struct KeySecretMeta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct CertOnly {
    #[serde(rename = "tls.crt", default)]
    tls_crt: Option<ByteString>,
}

/// The inventory read from the key Secrets labelled `active`: newest certificate = active.
async fn from_key_secrets(conn: &Connection, ns: &str) -> Result<Inventory, CliError> {
    let path = format!(
        "/api/v1/namespaces/{}/secrets?labelSelector={}",
        encode(ns),
        encode(KEY_LABEL)
    );
    let mut reply = proxy::call(conn, Method::GET, &path, None)
        .await
        .map_err(|e| CliError::Cluster {
            reason: format!("listing key Secrets in namespace {ns}: {e}"),
        })?;
    if !reply.status.is_success() {
        let reason = format!(
            "listing key Secrets in namespace {ns}: {} (needs RBAC `list secrets` in {ns}, or a \
             controller that serves /v1/keys)",
            reply.describe()
        );
        reply.body.zeroize();
        return Err(CliError::Cluster { reason });
    }
    let parsed = serde_json::from_slice::<KeySecretList>(&reply.body);
    reply.body.zeroize();
    let list = parsed.map_err(|e| CliError::Cluster {
        reason: format!("listing key Secrets in namespace {ns}: unreadable reply: {e}"),
    })?;
    let mut found: BTreeMap<String, (sealant_keys::Certificate, Vec<String>)> = BTreeMap::new();
    for item in list.items {
        let name = item.metadata.name;
        if item.metadata.labels.get(KEY_LABEL).map(String::as_str)
            != Some(KeyLabel::Active.as_str())
        {
            continue;
        }
        let cert = item
            .data
            .tls_crt
            .ok_or_else(|| "no tls.crt".to_owned())
            .and_then(|crt| {
                sealant_keys::parse_certificates(&crt.0)
                    .map_err(|e| e.to_string())
                    .and_then(|certs| {
                        certs
                            .into_iter()
                            .next()
                            .ok_or_else(|| "no certificate".to_owned())
                    })
            });
        match cert {
            Ok(cert) => {
                found
                    .entry(cert.fingerprint().to_hex())
                    .or_insert_with(|| (cert, Vec::new()))
                    .1
                    .push(name);
            }
            Err(e) => {
                eprintln!("warning: key Secret {ns}/{name}: tls.crt unreadable ({e}); skipped")
            }
        }
    }
    let mut keys: Vec<(sealant_keys::Certificate, Vec<String>)> = found.into_values().collect();
    keys.sort_by_key(|(cert, _)| std::cmp::Reverse(cert.not_before()));
    let keys = keys
        .into_iter()
        .enumerate()
        .map(|(i, (cert, secrets))| KeyInfo {
            fingerprint: cert.fingerprint().to_hex(),
            key_type: sealant_api::contract::KeyType::Rsa,
            secrets,
            not_before: cert.not_before().format(&Rfc3339).ok(),
            not_after: cert.not_after().format(&Rfc3339).ok(),
            state: if i == 0 {
                KeyState::Active
            } else {
                KeyState::DecryptOnly
            },
            usage: None,
        })
        .collect();
    Ok(Inventory {
        source: InventorySource::KeySecrets,
        usage_counted: false,
        keys,
    })
}

fn now_rfc3339() -> Result<String, CliError> {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| CliError::Internal("cannot format the current time".into()))
}

/// Set one annotation on a key Secret (a metadata-only merge patch; the reply carries no data).
async fn annotate(
    conn: &Connection,
    ns: &str,
    secret: &str,
    annotation: &str,
    value: &str,
) -> Result<(), CliError> {
    let api: Api<Secret> = Api::namespaced(conn.client.clone(), ns);
    let patch = serde_json::json!({ "metadata": { "annotations": { annotation: value } } });
    api.patch_metadata(secret, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(|e| CliError::Cluster {
            reason: match &e {
                kube::Error::Api(s) if s.code == 403 => format!(
                    "annotating Secret {ns}/{secret} with {annotation}: {} (needs RBAC `patch \
                     secrets` in namespace {ns})",
                    s.message
                ),
                _ => format!("annotating Secret {ns}/{secret} with {annotation}: {e}"),
            },
        })
}

async fn run_rotate(req: KeysRotateRequest) -> Result<(), CliError> {
    let cluster = &req.cluster;
    let ns = &cluster.controller_namespace;
    let conn = connect(cluster, None).await?;
    let before = inventory(&conn, cluster, true).await?;
    let active = before
        .keys
        .iter()
        .find(|k| k.state == KeyState::Active)
        .ok_or_else(|| controller_error(cluster, "has no active key to rotate".into()))?;
    let secret = active.secrets.first().ok_or_else(|| {
        controller_error(
            cluster,
            format!("the active key {} has no key Secret", active.fingerprint),
        )
    })?;
    let now = now_rfc3339()?;
    annotate(&conn, ns, secret, ROTATE_REQUESTED_AT, &now).await?;
    eprintln!("rotation requested: {ROTATE_REQUESTED_AT}={now} on Secret {ns}/{secret}");
    let Some(timeout) = req.wait else {
        return Ok(());
    };
    let known: BTreeSet<&str> = before.keys.iter().map(|k| k.fingerprint.as_str()).collect();
    let deadline = Instant::now() + timeout;
    loop {
        let current = inventory(&conn, cluster, false).await?;
        if let Some(new) = current
            .keys
            .iter()
            .find(|k| !known.contains(k.fingerprint.as_str()))
        {
            eprintln!(
                "new key {} ({}) in Secret {ns}/{}",
                new.fingerprint,
                new.state.as_str(),
                new.secrets.join(",")
            );
            return write_stdout(format!("{}\n", new.fingerprint).as_bytes());
        }
        if Instant::now() >= deadline {
            return Err(controller_error(
                cluster,
                format!(
                    "no new key appeared within {}s after the rotation request on Secret \
                     {ns}/{secret} (the request stays; is a sealant controller running? \
                     Bitnami's ignores {ROTATE_REQUESTED_AT})",
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// `sha256:AB:CD…` → `abcd…`; at least [`MIN_PREFIX`] hex digits.
pub fn normalize_prefix(text: &str) -> Result<String, CliError> {
    sealant_crypto::Fingerprint::normalize_hex(text)
        .filter(|hex| hex.len() >= MIN_PREFIX)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "fingerprint {:?}: give at least {MIN_PREFIX} hex digits of the key's SHA-256 \
                 fingerprint (as `sealant keys list` prints it)",
                text.trim()
            ))
        })
}

/// The one key whose fingerprint starts with `prefix`.
pub fn pick<'a>(keys: &'a [KeyInfo], prefix: &str) -> Result<&'a KeyInfo, CliError> {
    let matches: Vec<&KeyInfo> = keys
        .iter()
        .filter(|k| k.fingerprint.to_ascii_lowercase().starts_with(prefix))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::Usage(format!(
            "no loaded key has a fingerprint starting with {prefix} (see `sealant keys list`; \
             retired keys are not listed)"
        ))),
        many => Err(CliError::Usage(format!(
            "fingerprint prefix {prefix} matches {} keys ({}); give more digits",
            many.len(),
            many.iter()
                .map(|k| k.fingerprint.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

async fn run_retire(req: KeysRetireRequest) -> Result<(), CliError> {
    let prefix = normalize_prefix(&req.fingerprint)?;
    let cluster = &req.cluster;
    let ns = &cluster.controller_namespace;
    let conn = connect(cluster, None).await?;
    let inventory = inventory(&conn, cluster, true).await?;
    let key = pick(&inventory.keys, &prefix)?;
    let fingerprint = key.fingerprint.clone();
    let secret = key
        .secrets
        .first()
        .ok_or_else(|| controller_error(cluster, format!("key {fingerprint} has no key Secret")))?
        .clone();
    let object = format!("{ns}/{secret}");
    if key.state == KeyState::Active {
        return Err(CliError::KeyRetireRefused {
            fingerprint,
            secret: object,
            reason: "it is the active key (it seals new secrets); run `sealant keys rotate` first"
                .into(),
        });
    }
    match key.usage {
        Some(n) if inventory.usage_counted && n > 0 => {
            return Err(CliError::KeyRetireRefused {
                fingerprint,
                secret: object,
                reason: format!(
                    "{n} SealedSecret(s) still use it; re-encrypt them first (sealant reencrypt)"
                ),
            });
        }
        Some(_) if inventory.usage_counted => {}
        _ => eprintln!(
            "note: the key's usage is unknown here; the controller checks it before retiring"
        ),
    }
    let seen = refusal_events(&conn, ns, &secret).await.unwrap_or_default();
    let now = now_rfc3339()?;
    annotate(&conn, ns, &secret, RETIRE_REQUESTED_AT, &now).await?;
    eprintln!("retirement requested: {RETIRE_REQUESTED_AT}={now} on Secret {object}");
    let Some(timeout) = req.wait else {
        return Ok(());
    };
    let api: Api<Secret> = Api::namespaced(conn.client.clone(), ns);
    let deadline = Instant::now() + timeout;
    loop {
        match api.get_metadata_opt(&secret).await {
            Ok(Some(meta)) => {
                let labels = meta.metadata.labels.unwrap_or_default();
                if labels.get(KEY_LABEL).map(String::as_str) == Some(KeyLabel::Retired.as_str()) {
                    eprintln!(
                        "retired: key {fingerprint} (Secret {object} relabelled {})",
                        KeyLabel::Retired.as_str()
                    );
                    return Ok(());
                }
            }
            Ok(None) => {
                return Err(CliError::Cluster {
                    reason: format!("key Secret {object} disappeared while retiring it"),
                });
            }
            Err(e) => {
                return Err(CliError::Cluster {
                    reason: format!("reading Secret {object}: {e}"),
                });
            }
        }
        if let Ok(events) = refusal_events(&conn, ns, &secret).await
            && let Some((_, message)) = events
                .iter()
                .find(|(id, _)| !seen.contains_key(id.as_str()))
        {
            return Err(CliError::KeyRetireRefused {
                fingerprint,
                secret: object,
                reason: format!("the controller refused: {message}"),
            });
        }
        if Instant::now() >= deadline {
            return Err(controller_error(
                cluster,
                format!(
                    "no outcome within {}s for the retirement of key {fingerprint} (Secret \
                     {object} still labelled active, no {REASON_KEY_RETIRE_REFUSED} Event); the request \
                     stays on the Secret",
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// `KeyRetireRefused` Events about Secret `secret`, as `name@resourceVersion` → message, from
/// events.k8s.io/v1 and core v1 (an Event the controller updates again gets a new id).
async fn refusal_events(
    conn: &Connection,
    ns: &str,
    secret: &str,
) -> Result<BTreeMap<String, String>, String> {
    let sources = [
        (
            format!(
                "/apis/events.k8s.io/v1/namespaces/{}/events?fieldSelector={}",
                encode(ns),
                encode(&format!("regarding.name={secret}"))
            ),
            "/regarding",
            "/note",
        ),
        (
            format!(
                "/api/v1/namespaces/{}/events?fieldSelector={}",
                encode(ns),
                encode(&format!("involvedObject.name={secret}"))
            ),
            "/involvedObject",
            "/message",
        ),
    ];
    let mut found = BTreeMap::new();
    let mut any = false;
    for (path, regarding, message) in sources {
        let Ok(reply) = proxy::call(conn, Method::GET, &path, None).await else {
            continue;
        };
        if !reply.status.is_success() {
            continue;
        }
        any = true;
        let Ok(list) = serde_json::from_slice::<Value>(&reply.body) else {
            continue;
        };
        for event in list
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let str_at = |p: &str| event.pointer(p).and_then(Value::as_str).unwrap_or("");
            if str_at("/reason") != REASON_KEY_RETIRE_REFUSED
                || str_at(&format!("{regarding}/name")) != secret
                || !matches!(str_at(&format!("{regarding}/kind")), "Secret" | "")
            {
                continue;
            }
            let id = format!(
                "{path}#{}@{}",
                str_at("/metadata/name"),
                str_at("/metadata/resourceVersion")
            );
            found.insert(id, str_at(message).to_owned());
        }
    }
    if any {
        Ok(found)
    } else {
        Err(format!("cannot list Events in namespace {ns}"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(fp: &str, state: KeyState) -> KeyInfo {
        KeyInfo {
            fingerprint: fp.into(),
            key_type: sealant_api::contract::KeyType::Rsa,
            secrets: vec!["k".into()],
            not_before: None,
            not_after: None,
            state,
            usage: Some(0),
        }
    }

    #[test]
    fn prefixes_are_normalized_and_must_be_long_enough() {
        assert_eq!(normalize_prefix("sha256:AB:CD:EF:01").unwrap(), "abcdef01");
        assert!(normalize_prefix("abc").is_err());
        assert!(normalize_prefix("zzzzzzzzzz").is_err());
        assert!(normalize_prefix("").is_err());
    }

    #[test]
    fn pick_needs_exactly_one_match() {
        let keys = [
            key("abcdef0011", KeyState::Active),
            key("abcdef0022", KeyState::DecryptOnly),
        ];
        assert_eq!(
            pick(&keys, "abcdef0022").unwrap().state,
            KeyState::DecryptOnly
        );
        let err = pick(&keys, "abcdef00").unwrap_err().to_string();
        assert!(err.contains("matches 2 keys"), "{err}");
        assert!(pick(&keys, "12345678").is_err());
    }

    #[test]
    fn table_says_unknown_usage() {
        let inventory = Inventory {
            source: InventorySource::KeySecrets,
            usage_counted: false,
            keys: vec![key("abcdef0011", KeyState::Active)],
        };
        let text = table(&inventory);
        assert!(text.starts_with("FINGERPRINT"), "{text}");
        assert!(text.contains("unknown"), "{text}");
    }
}
