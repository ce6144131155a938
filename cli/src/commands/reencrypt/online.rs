//! Online re-encryption: each SealedSecret is posted as JSON to the controller's
//! `POST /v1/rotate` through the services proxy, as `validate` posts to `/v1/verify`.
//! 200 carries the object re-sealed under the newest key (unchanged when it already was);
//! 409 means the controller cannot re-encrypt it (one reply for every reason, by design).
//!
//! With `--update-recipients`, each v2 object goes to `POST /v1/recipients` instead, with
//! the key ids of its file's creation rule; the controller's 403 names the ones it may not
//! wrap for (neither its own keys nor in its `--allowed-recipients`), which are then
//! described from the rule; an API server's 403 (RBAC) is a failure to reach the controller.

use super::rotator::{Outcome, Rotator};
use crate::{
    cluster::certs::CertArgs,
    v2::{
        recipients::ResolvedRecipient,
        update_recipients::{not_v2, rule_recipients, same_recipients},
    },
};
use crate::{
    cluster::{
        ClusterArgs, Connection, connect,
        proxy::{self, ServiceTarget},
    },
    error::CliError,
};
use http::{Method, StatusCode};
use sealant_api::{
    SealedSecret,
    contract::{RECIPIENTS_NOT_ALLOWED, RecipientsRequest, Route},
    envelope_v2::is_v2_object,
};
use sealant_crypto::Fingerprint;
use serde_json::Value;

pub struct Online {
    runtime: tokio::runtime::Runtime,
    conn: Connection,
    target: ServiceTarget,
    cluster: ClusterArgs,
    /// `--update-recipients`; `None`: `/v1/rotate`.
    recipients: Option<RuleRecipients>,
}

/// `--update-recipients` online: where the rules' recipients resolve, and the current
/// file's rule (its name and its recipients).
struct RuleRecipients {
    cert_args: CertArgs,
    current: Option<(String, Vec<ResolvedRecipient>)>,
}

/// The rule's recipients a controller's 403 refuses, described from our side (kind, key id,
/// origin): the reply's own text is never printed. `None` unless the reply is the
/// controller's refusal ([`RECIPIENTS_NOT_ALLOWED`]) naming at least one of them: an API
/// server's 403 (RBAC on the services proxy) is not about the recipients.
fn refused_recipients(body: &[u8], rule: &[ResolvedRecipient]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let listed = text
        .strip_prefix(RECIPIENTS_NOT_ALLOWED)?
        .strip_prefix(": ")?;
    let listed = listed.split(';').next()?;
    let named: Vec<String> = rule
        .iter()
        .filter(|r| listed.split(", ").any(|id| id == r.id().key_id.to_hex()))
        .map(ResolvedRecipient::describe)
        .collect();
    (!named.is_empty()).then(|| {
        format!(
            "the controller may not wrap for {}: only for its own keys and those it was \
             started with --allowed-recipients for",
            named.join(", ")
        )
    })
}

impl Online {
    /// Configure the client and find the controller's Service (exit 3 when either fails).
    pub fn connect(cluster: ClusterArgs, namespace: Option<&str>) -> Result<Self, CliError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
        let conn = runtime.block_on(connect(&cluster, namespace))?;
        let target = runtime
            .block_on(proxy::resolve_service(&conn, &cluster))
            .map_err(|reason| proxy::controller_unreachable(&cluster, reason))?;
        Ok(Self {
            runtime,
            conn,
            target,
            cluster,
            recipients: None,
        })
    }

    /// Re-wrap for each file's creation rule (`--update-recipients`) instead of rotating.
    pub fn update_recipients(mut self, cert_args: CertArgs) -> Self {
        self.recipients = Some(RuleRecipients {
            cert_args,
            current: None,
        });
        self
    }

    /// The object as the controller should see it: the namespace filled in when it has none.
    fn with_namespace(&self, document: &Value, sealed: &SealedSecret) -> Value {
        let mut value = document.clone();
        if sealed.namespace_str().is_empty()
            && let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.insert(
                "namespace".into(),
                Value::String(self.conn.namespace.clone()),
            );
        }
        value
    }

    /// Post `body` to `route`; `rule`: the recipients a `/v1/recipients` request named.
    fn post(
        &self,
        route: Route,
        body: Vec<u8>,
        sealed: &SealedSecret,
        rule: Option<&[ResolvedRecipient]>,
    ) -> Result<Outcome, CliError> {
        let path = self.target.proxy_path(route.path());
        let reply = self
            .runtime
            .block_on(proxy::call(&self.conn, Method::POST, &path, Some(body)));
        let failed = |reason: String| {
            let reason = match &self.target.note {
                Some(note) => format!("{reason} ({note})"),
                None => reason,
            };
            proxy::controller_unreachable(
                &self.cluster,
                format!(
                    "re-encrypting {} via {}: {reason}",
                    sealed.describe(),
                    self.target.describe()
                ),
            )
        };
        let reply = reply.map_err(failed)?;
        let refused = rule
            .filter(|_| reply.status == StatusCode::FORBIDDEN)
            .and_then(|rule| refused_recipients(&reply.body, rule));
        if let Some(refused) = refused {
            return Ok(Outcome::Refused(refused));
        }
        match reply.status {
            s if s.is_success() => serde_json::from_slice::<SealedSecret>(&reply.body)
                .map(|rotated| Outcome::Rotated(Box::new(rotated)))
                .map_err(|e| failed(format!("the answer is not a SealedSecret: {e}"))),
            StatusCode::CONFLICT => Ok(Outcome::Refused(
                "the controller cannot re-encrypt it (wrong name, namespace, scope or key)".into(),
            )),
            // Bitnami's controller, or a Sealant before `/v1/recipients`.
            StatusCode::NOT_FOUND if rule.is_some() => Err(failed(format!(
                "{}; this controller does not re-wrap recipients: give --private-key of one \
                 current recipient to do it offline",
                reply.describe()
            ))),
            _ => Err(failed(reply.describe())),
        }
    }

    /// `--update-recipients`: the current rule's key ids, or the object as it is when every
    /// header already has exactly them.
    fn rewrap(&self, document: &Value, sealed: &SealedSecret) -> Result<Outcome, CliError> {
        let Some(RuleRecipients {
            current: Some((rule, recipients)),
            ..
        }) = &self.recipients
        else {
            return Err(CliError::Internal("no creation rule for the file".into()));
        };
        if !is_v2_object(sealed) {
            return Ok(not_v2(rule));
        }
        let ids: Vec<Fingerprint> = recipients.iter().map(|r| r.id().key_id).collect();
        if same_recipients(sealed, &ids) {
            return Ok(Outcome::Rotated(Box::new(sealed.clone())));
        }
        let request = RecipientsRequest {
            sealed_secret: self.with_namespace(document, sealed),
            recipients: ids.iter().map(Fingerprint::to_hex).collect(),
        };
        let body = serde_json::to_vec(&request).map_err(|e| CliError::Internal(e.to_string()))?;
        self.post(Route::Recipients, body, sealed, Some(recipients))
    }
}

impl Rotator for Online {
    fn rotate(&mut self, document: &Value, sealed: &SealedSecret) -> Result<Outcome, CliError> {
        if self.recipients.is_some() {
            return self.rewrap(document, sealed);
        }
        let value = self.with_namespace(document, sealed);
        let body = serde_json::to_vec(&value).map_err(|e| CliError::Internal(e.to_string()))?;
        self.post(Route::Rotate, body, sealed, None)
    }

    fn start_file(&mut self, file: &std::path::Path) -> Result<(), String> {
        if let Some(recipients) = &mut self.recipients {
            recipients.current = None;
            recipients.current = Some(rule_recipients(file, &recipients.cert_args)?);
        }
        Ok(())
    }

    fn default_namespace(&self) -> Option<&str> {
        Some(&self.conn.namespace)
    }
}
