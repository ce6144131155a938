//! Status conditions for GitOps tools: `Synced` (Bitnami's, read by Argo CD's built-in
//! health check) and `Ready` (kstatus/Flux), plus `observedGeneration`.
//!
//! The status is written only when it would change, so an unchanged object costs no write.

use k8s_openapi::{apimachinery::pkg::apis::meta::v1::Time, jiff::Timestamp};
use sealant_api::{
    CONDITION_READY, CONDITION_SYNCED, SealedSecret, SealedSecretCondition, SealedSecretStatus,
};

/// What the last reconcile concluded.
pub struct Verdict {
    pub ok: bool,
    pub reason: String,
    pub message: String,
}

impl Verdict {
    pub fn ok(message: String) -> Self {
        Self {
            ok: true,
            reason: "Unsealed".to_owned(),
            message,
        }
    }

    pub fn failed(reason: &str, message: String) -> Self {
        Self {
            ok: false,
            reason: reason.to_owned(),
            message,
        }
    }
}

/// The status to write, or `None` when the current one already says the same.
///
/// Timestamps are not compared: `lastUpdateTime` moving on its own would make every
/// reconcile a write. `lastTransitionTime` is kept while a condition's status stays.
pub fn desired_status(ss: &SealedSecret, verdict: &Verdict) -> Option<SealedSecretStatus> {
    let current = ss.status.clone().unwrap_or_default();
    let generation = ss.metadata.generation;
    let status_word = if verdict.ok { "True" } else { "False" };
    let same = current.observed_generation == generation
        && [CONDITION_SYNCED, CONDITION_READY].iter().all(|type_| {
            current.conditions.iter().any(|c| {
                c.type_ == *type_
                    && c.status == status_word
                    && c.reason.as_deref() == Some(verdict.reason.as_str())
                    && c.message.as_deref() == Some(verdict.message.as_str())
            })
        });
    if same {
        return None;
    }
    let now = Time(Timestamp::now());
    let condition = |type_: &str| {
        let previous = current.conditions.iter().find(|c| c.type_ == type_);
        let transition = match previous {
            Some(p) if p.status == status_word => p.last_transition_time.clone(),
            _ => None,
        };
        SealedSecretCondition {
            type_: type_.to_owned(),
            status: status_word.to_owned(),
            last_update_time: Some(now.clone()),
            last_transition_time: transition.or_else(|| Some(now.clone())),
            reason: Some(verdict.reason.clone()),
            message: Some(verdict.message.clone()),
        }
    };
    // Synced first: Bitnami's printer columns read `.status.conditions[0]`.
    let mut conditions = vec![condition(CONDITION_SYNCED), condition(CONDITION_READY)];
    // Conditions other tools added are kept.
    conditions.extend(
        current
            .conditions
            .into_iter()
            .filter(|c| c.type_ != CONDITION_SYNCED && c.type_ != CONDITION_READY),
    );
    Some(SealedSecretStatus {
        observed_generation: generation,
        conditions,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn object(generation: i64) -> SealedSecret {
        let mut ss = SealedSecret::new("db", Default::default());
        ss.metadata.generation = Some(generation);
        ss
    }

    #[test]
    fn unchanged_verdict_writes_nothing() {
        let mut ss = object(3);
        let first = desired_status(&ss, &Verdict::ok("unsealed".to_owned())).unwrap();
        assert_eq!(first.observed_generation, Some(3));
        assert_eq!(first.conditions[0].type_, "Synced");
        assert_eq!(first.conditions[1].type_, "Ready");
        ss.status = Some(first);
        assert!(desired_status(&ss, &Verdict::ok("unsealed".to_owned())).is_none());
    }

    #[test]
    fn new_generation_or_failure_rewrites_and_tracks_transitions() {
        let mut ss = object(1);
        ss.status = desired_status(&ss, &Verdict::ok("unsealed".to_owned()));
        let t0 = ss.status.as_ref().unwrap().conditions[0]
            .last_transition_time
            .clone();
        ss.metadata.generation = Some(2);
        let again = desired_status(&ss, &Verdict::ok("unsealed".to_owned())).unwrap();
        assert_eq!(again.observed_generation, Some(2));
        assert_eq!(
            again.conditions[0].last_transition_time, t0,
            "no transition"
        );
        let failed = desired_status(
            &ss,
            &Verdict::failed("ErrUnsealFailed", "no key".to_owned()),
        )
        .unwrap();
        assert_eq!(failed.conditions[0].status, "False");
        assert_eq!(
            failed.conditions[1].reason.as_deref(),
            Some("ErrUnsealFailed")
        );
    }
}
