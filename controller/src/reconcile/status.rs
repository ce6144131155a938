//! Status conditions for GitOps tools: `Synced` (Bitnami's, read by Argo CD's built-in
//! health check), `Ready` (kstatus/Flux) and, for a permanent failure, `Stalled` (kstatus
//! reports the object as Failed instead of InProgress forever), plus `observedGeneration`.
//!
//! The status is written only when it would change, so an unchanged object costs no write.

use k8s_openapi::{apimachinery::pkg::apis::meta::v1::Time, jiff::Timestamp};
use sealant_api::{
    CONDITION_READY, CONDITION_SYNCED, SealedSecret, SealedSecretCondition, SealedSecretStatus,
};

/// kstatus's condition for "stopped making progress until something changes". Present
/// (`True`) only while the object is stalled; removed once it syncs or is retried.
pub const CONDITION_STALLED: &str = "Stalled";

/// What the last reconcile concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub ok: bool,
    /// The failure is permanent: the object waits, at no cost, for a change.
    pub stalled: bool,
    pub reason: String,
    pub message: String,
}

impl Verdict {
    pub fn ok(message: String) -> Self {
        Self {
            ok: true,
            stalled: false,
            reason: "Unsealed".to_owned(),
            message,
        }
    }

    pub fn failed(reason: &str, message: String) -> Self {
        Self {
            ok: false,
            stalled: false,
            reason: reason.to_owned(),
            message,
        }
    }

    /// A failure that retrying cannot fix (see `reconcile::stall`).
    pub fn stalled(reason: &str, message: String) -> Self {
        Self {
            stalled: true,
            ..Self::failed(reason, message)
        }
    }

    /// What identifies this verdict for one generation (the process's write memo).
    pub fn key(&self, generation: Option<i64>) -> String {
        format!(
            "{generation:?}|{}|{}|{}|{}",
            self.ok, self.stalled, self.reason, self.message
        )
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
    let says = |c: &SealedSecretCondition, status: &str| {
        c.status == status
            && c.reason.as_deref() == Some(verdict.reason.as_str())
            && c.message.as_deref() == Some(verdict.message.as_str())
    };
    let stalled_now = current
        .conditions
        .iter()
        .find(|c| c.type_ == CONDITION_STALLED);
    let stall_same = match stalled_now {
        Some(c) => verdict.stalled && says(c, "True"),
        None => !verdict.stalled,
    };
    let same = current.observed_generation == generation
        && stall_same
        && [CONDITION_SYNCED, CONDITION_READY].iter().all(|type_| {
            current
                .conditions
                .iter()
                .any(|c| c.type_ == *type_ && says(c, status_word))
        });
    if same {
        return None;
    }
    let now = Time(Timestamp::now());
    let condition = |type_: &str, status: &str| {
        let previous = current.conditions.iter().find(|c| c.type_ == type_);
        let transition = match previous {
            Some(p) if p.status == status => p.last_transition_time.clone(),
            _ => None,
        };
        SealedSecretCondition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            last_update_time: Some(now.clone()),
            last_transition_time: transition.or_else(|| Some(now.clone())),
            reason: Some(verdict.reason.clone()),
            message: Some(verdict.message.clone()),
        }
    };
    // Synced first: Bitnami's printer columns read `.status.conditions[0]`.
    let mut conditions = vec![
        condition(CONDITION_SYNCED, status_word),
        condition(CONDITION_READY, status_word),
    ];
    if verdict.stalled {
        conditions.push(condition(CONDITION_STALLED, "True"));
    }
    // Conditions other tools added are kept.
    conditions.extend(current.conditions.into_iter().filter(|c| {
        c.type_ != CONDITION_SYNCED && c.type_ != CONDITION_READY && c.type_ != CONDITION_STALLED
    }));
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
        assert_eq!(
            failed.conditions.len(),
            2,
            "a retried failure is not stalled"
        );
    }

    #[test]
    fn stalled_appears_with_a_permanent_failure_and_goes_with_success() {
        let mut ss = object(1);
        let verdict = Verdict::stalled("ErrUnsealFailed", "no key opens it".to_owned());
        let stalled = desired_status(&ss, &verdict).unwrap();
        let condition = stalled
            .conditions
            .iter()
            .find(|c| c.type_ == CONDITION_STALLED)
            .unwrap();
        assert_eq!(condition.status, "True");
        assert_eq!(condition.reason.as_deref(), Some("ErrUnsealFailed"));
        assert_eq!(condition.message.as_deref(), Some("no key opens it"));
        assert_eq!(stalled.conditions[0].type_, "Synced");
        assert_eq!(stalled.conditions[0].status, "False");
        ss.status = Some(stalled);
        assert!(desired_status(&ss, &verdict).is_none(), "written once");
        // The same failure, now retried (a transient cause): Stalled goes.
        let retried = desired_status(
            &ss,
            &Verdict::failed("ErrUnsealFailed", "no key opens it".to_owned()),
        )
        .unwrap();
        assert!(
            retried
                .conditions
                .iter()
                .all(|c| c.type_ != CONDITION_STALLED)
        );
        let synced = desired_status(&ss, &Verdict::ok("unsealed".to_owned())).unwrap();
        assert!(
            synced
                .conditions
                .iter()
                .all(|c| c.type_ != CONDITION_STALLED)
        );
        assert_eq!(synced.conditions.len(), 2);
    }
}
