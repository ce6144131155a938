//! Online re-encryption: each SealedSecret is posted as JSON to the controller's
//! `POST /v1/rotate` through the services proxy, as `validate` posts to `/v1/verify`.
//! 200 carries the object re-sealed under the newest key (unchanged when it already was);
//! 409 means the controller cannot re-encrypt it (one reply for every reason, by design).

use super::rotator::{Outcome, Rotator};
use crate::{
    cluster::{
        ClusterArgs, Connection, connect,
        proxy::{self, ServiceTarget},
    },
    error::CliError,
};
use http::{Method, StatusCode};
use sealant_api::SealedSecret;
use serde_json::Value;

pub struct Online {
    runtime: tokio::runtime::Runtime,
    conn: Connection,
    target: ServiceTarget,
    cluster: ClusterArgs,
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
        })
    }
}

impl Rotator for Online {
    fn rotate(&mut self, document: &Value, sealed: &SealedSecret) -> Result<Outcome, CliError> {
        let mut value = document.clone();
        if sealed.namespace_str().is_empty()
            && let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.insert(
                "namespace".into(),
                Value::String(self.conn.namespace.clone()),
            );
        }
        let body = serde_json::to_vec(&value).map_err(|e| CliError::Internal(e.to_string()))?;
        let path = self
            .target
            .proxy_path(sealant_api::contract::Route::Rotate.path());
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
            _ => Err(failed(reply.describe())),
        }
    }

    fn default_namespace(&self) -> Option<&str> {
        Some(&self.conn.namespace)
    }
}
