//! `sealant validate FILE...` and kubeseal `--validate`: each SealedSecret document is posted
//! as JSON to the controller's `POST /v1/verify` through the service proxy. 200 means the
//! controller can decrypt it, 409 that it cannot (the controller gives every refusal the same
//! reply, so no reason is available, by design).

use crate::{
    cluster::{
        ClusterArgs, Connection, block_on, connect,
        proxy::{self, ServiceTarget},
    },
    error::CliError,
    io::Input,
    requests::ValidateRequest,
};
use http::{Method, StatusCode};
use sealant_api::contract::Route;
use sealant_api::parse_documents;
use serde_json::Value;

pub fn validate(req: ValidateRequest) -> Result<(), CliError> {
    block_on(run(req))
}

/// One SealedSecret to verify.
struct Object {
    origin: String,
    label: String,
    body: Vec<u8>,
}

enum Verdict {
    Valid,
    Invalid,
}

async fn run(req: ValidateRequest) -> Result<(), CliError> {
    let conn = connect(&req.cluster, req.namespace.as_deref()).await?;
    let mut failures = Vec::new();
    let mut objects = Vec::new();
    for input in &req.inputs {
        match read_objects(input, &conn.namespace) {
            Ok(found) if found.is_empty() => {
                if req.kubeseal_errors {
                    return Err(CliError::CannotValidate {
                        reason: format!("{}: no SealedSecret found", input.display()),
                    });
                }
                failures.push(format!("{}: no SealedSecret documents", input.display()));
            }
            Ok(found) => objects.extend(found),
            Err(e) if req.kubeseal_errors => return Err(e),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let target = if objects.is_empty() {
        None
    } else {
        Some(
            proxy::resolve_service(&conn, &req.cluster)
                .await
                .map_err(|reason| unreachable(&req.cluster, reason, req.kubeseal_errors))?,
        )
    };
    for object in &objects {
        let Some(target) = &target else { break };
        match verify(&conn, target, object).await {
            Ok(Verdict::Valid) => {
                if !req.kubeseal_errors {
                    eprintln!("valid: {} ({})", object.label, object.origin);
                }
            }
            Ok(Verdict::Invalid) => {
                if req.kubeseal_errors {
                    return Err(CliError::NotDecryptable);
                }
                eprintln!(
                    "INVALID: {} ({}): the controller cannot decrypt it (wrong name, namespace, \
                     scope or key)",
                    object.label, object.origin
                );
                failures.push(format!("{} ({})", object.label, object.origin));
            }
            Err(reason) => {
                let reason = match &target.note {
                    Some(note) => format!("{reason} ({note})"),
                    None => reason,
                };
                return Err(unreachable(
                    &req.cluster,
                    format!(
                        "verifying {} ({}) via {}: {reason}",
                        object.label,
                        object.origin,
                        target.describe()
                    ),
                    req.kubeseal_errors,
                ));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::ValidationFailed { failures })
    }
}

fn unreachable(cluster: &ClusterArgs, reason: String, kubeseal: bool) -> CliError {
    if kubeseal {
        CliError::CannotValidate { reason }
    } else {
        proxy::controller_unreachable(cluster, reason)
    }
}

/// The SealedSecret documents of one input, as JSON bodies; other kinds are skipped.
fn read_objects(input: &Input, default_namespace: &str) -> Result<Vec<Object>, CliError> {
    let origin = input.display();
    let text = input.read_text()?;
    let documents = parse_documents(&text).map_err(|e| CliError::api(&origin, e))?;
    let mut objects = Vec::new();
    for document in documents.iter().filter(|d| d.is_sealed_secret()) {
        // Parse it as a SealedSecret first, so malformed objects are named here.
        document
            .to_sealed_secret()
            .map_err(|e| CliError::api(format!("{origin}: {}", document.describe()), e))?;
        let mut value = document.as_value().clone();
        let namespace = match document.namespace() {
            Some(ns) if !ns.is_empty() => ns.to_owned(),
            _ => {
                if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.insert(
                        "namespace".into(),
                        Value::String(default_namespace.to_owned()),
                    );
                }
                default_namespace.to_owned()
            }
        };
        let label = format!("{namespace}/{}", document.name().unwrap_or_default());
        let body = serde_json::to_vec(&value).map_err(|e| CliError::Internal(e.to_string()))?;
        objects.push(Object {
            origin: origin.clone(),
            label,
            body,
        });
    }
    Ok(objects)
}

async fn verify(
    conn: &Connection,
    target: &ServiceTarget,
    object: &Object,
) -> Result<Verdict, String> {
    let reply = proxy::call(
        conn,
        Method::POST,
        &target.proxy_path(Route::Verify.path()),
        Some(object.body.clone()),
    )
    .await?;
    match reply.status {
        s if s.is_success() => Ok(Verdict::Valid),
        StatusCode::CONFLICT => Ok(Verdict::Invalid),
        _ => Err(reply.describe()),
    }
}
