//! Online re-encryption: each SealedSecret is posted as JSON to the controller's
//! `POST /v1/rotate` through the services proxy, as `validate` posts to `/v1/verify`.
//! 200 carries the object re-sealed under the newest key (unchanged when it already was);
//! 409 means the controller cannot re-encrypt it (one reply for every reason, by design).
//!
//! With `--update-recipients`, each v2 object goes to `POST /v1/recipients` instead, with
//! the key ids of its file's creation rule; 403 names the ones the controller may not wrap
//! for (neither its own keys nor in its `--allowed-recipients`).

use super::rotator::{Outcome, Rotator};
use crate::{
    cluster::certs::CertArgs,
    v2::update_recipients::{not_v2, rule_recipients, same_recipients},
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
    contract::{RecipientsRequest, Route},
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
/// file's rule (its name and its recipients' key ids).
struct RuleRecipients {
    cert_args: CertArgs,
    current: Option<(String, Vec<Fingerprint>)>,
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

    fn post(
        &mut self,
        route: Route,
        body: Vec<u8>,
        sealed: &SealedSecret,
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
        match reply.status {
            s if s.is_success() => serde_json::from_slice::<SealedSecret>(&reply.body)
                .map(|rotated| Outcome::Rotated(Box::new(rotated)))
                .map_err(|e| failed(format!("the answer is not a SealedSecret: {e}"))),
            StatusCode::CONFLICT => Ok(Outcome::Refused(
                "the controller cannot re-encrypt it (wrong name, namespace, scope or key)".into(),
            )),
            // The controller's fixed text, naming the key ids it may not wrap for.
            StatusCode::FORBIDDEN => Ok(Outcome::Refused(
                String::from_utf8_lossy(&reply.body).trim().to_owned(),
            )),
            _ => Err(failed(reply.describe())),
        }
    }

    /// `--update-recipients`: the current rule's key ids, or the object as it is when every
    /// header already has exactly them.
    fn rewrap(&mut self, document: &Value, sealed: &SealedSecret) -> Result<Outcome, CliError> {
        let Some(RuleRecipients {
            current: Some((rule, ids)),
            ..
        }) = &self.recipients
        else {
            return Err(CliError::Internal("no creation rule for the file".into()));
        };
        if !is_v2_object(sealed) {
            return Ok(not_v2(rule));
        }
        if same_recipients(sealed, ids) {
            return Ok(Outcome::Rotated(Box::new(sealed.clone())));
        }
        let request = RecipientsRequest {
            sealed_secret: self.with_namespace(document, sealed),
            recipients: ids.iter().map(Fingerprint::to_hex).collect(),
        };
        let body = serde_json::to_vec(&request).map_err(|e| CliError::Internal(e.to_string()))?;
        self.post(Route::Recipients, body, sealed)
    }
}

impl Rotator for Online {
    fn rotate(&mut self, document: &Value, sealed: &SealedSecret) -> Result<Outcome, CliError> {
        if self.recipients.is_some() {
            return self.rewrap(document, sealed);
        }
        let value = self.with_namespace(document, sealed);
        let body = serde_json::to_vec(&value).map_err(|e| CliError::Internal(e.to_string()))?;
        self.post(Route::Rotate, body, sealed)
    }

    fn start_file(&mut self, file: &std::path::Path) -> Result<(), String> {
        if let Some(recipients) = &mut self.recipients {
            recipients.current = None;
            let (rule, resolved) = rule_recipients(file, &recipients.cert_args)?;
            let ids = resolved.iter().map(|r| r.id().key_id).collect();
            recipients.current = Some((rule, ids));
        }
        Ok(())
    }

    fn default_namespace(&self) -> Option<&str> {
        Some(&self.conn.namespace)
    }
}
