//! Kubernetes Events in Bitnami's vocabulary (`Unsealed`, `ErrUnsealFailed`,
//! `ErrUpdateFailed`). Publishing is best effort: a failed Event is logged, never fatal,
//! because the status condition carries the same information. How many are written is
//! budgeted ([`crate::event_budget`]).

use crate::event_budget::{Admit, Budgets};
use k8s_openapi::api::core::v1::ObjectReference;
use kube::{
    Client,
    runtime::events::{Event, EventType, Recorder, Reporter},
};
use std::sync::Arc;

pub const REASON_UNSEALED: &str = "Unsealed";
pub const REASON_UNSEAL_FAILED: &str = "ErrUnsealFailed";
pub const REASON_UPDATE_FAILED: &str = "ErrUpdateFailed";
pub const REASON_BAD_KEY_SECRET: &str = "ErrKeySecret";
/// A generated Secret was changed by someone other than the controller and has been
/// written back (sealant; Bitnami has no such Event).
pub const REASON_SECRET_RESTORED: &str = "SecretRestored";

#[derive(Clone)]
pub struct EventSink {
    recorder: Recorder,
    budgets: Arc<Budgets>,
}

impl EventSink {
    /// `budgeted`: `--event-budget` (see [`crate::event_budget`]).
    pub fn new(client: Client, budgeted: bool) -> Self {
        let reporter = Reporter {
            controller: "sealed-secrets-controller".to_owned(),
            instance: std::env::var("POD_NAME").ok(),
        };
        Self {
            recorder: Recorder::new(client, reporter),
            budgets: Arc::new(Budgets::new(budgeted)),
        }
    }

    pub async fn normal(&self, object: &ObjectReference, reason: &str, note: String) {
        self.publish(object, EventType::Normal, reason, note).await;
    }

    pub async fn warning(&self, object: &ObjectReference, reason: &str, note: String) {
        self.publish(object, EventType::Warning, reason, note).await;
    }

    async fn publish(
        &self,
        object: &ObjectReference,
        type_: EventType,
        reason: &str,
        note: String,
    ) {
        match self.budgets.take(type_) {
            Admit::Skip => {
                tracing::debug!(object = %describe_ref(object), reason, "Event over budget: not written");
                return;
            }
            Admit::Write { skipped } if skipped > 0 => {
                tracing::info!(
                    skipped,
                    event_type = ?type_,
                    "Events over budget were not written (the status conditions carry them)"
                );
            }
            Admit::Write { .. } => {}
        }
        let event = Event {
            type_,
            reason: reason.to_owned(),
            // The API server caps notes at 1 kB; messages here name objects and keys only.
            note: Some(truncate(note, 1000)),
            action: reason.to_owned(),
            secondary: None,
        };
        if let Err(error) = self.recorder.publish(&event, object).await {
            tracing::warn!(
                object = %describe_ref(object),
                reason,
                %error,
                "could not publish event"
            );
        }
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

fn describe_ref(object: &ObjectReference) -> String {
    format!(
        "{}/{}",
        object.namespace.as_deref().unwrap_or(""),
        object.name.as_deref().unwrap_or("")
    )
}
