//! The Event budget: how many Events the controller writes, so a cold start of 50,000
//! SealedSecrets does not write 50,000 Events in a burst (issue 18).
//!
//! **Policy.** Two token buckets for the whole process, one per Event type:
//! * `Normal` (`Unsealed`): [`NORMAL_BURST`] at once, then [`NORMAL_PER_SEC`] a second;
//! * `Warning` (failures, restored Secrets, bad key Secrets): [`WARNING_BURST`] at once, then
//!   [`WARNING_PER_SEC`] a second — more room, as a warning is news someone may act on.
//!
//! An Event over budget is not written (a debug log line says so). Nothing is lost that
//! matters: every outcome is also on the SealedSecret's status conditions and in the
//! metrics; Events are best effort, as before. The first Event written after some were
//! skipped logs how many were. Repeats of the same Event on the same object are still
//! aggregated into one Event with a growing `series.count` (kube-runtime's `Recorder`,
//! whose cache stays small because only Events within budget enter it).

use crate::sync::lock;
use kube::runtime::events::EventType;
use std::{sync::Mutex, time::Instant};

pub const NORMAL_BURST: u32 = 25;
pub const NORMAL_PER_SEC: f64 = 1.0;
pub const WARNING_BURST: u32 = 100;
pub const WARNING_PER_SEC: f64 = 5.0;

/// A token bucket without waiting: an Event gets a token now or is skipped.
#[derive(Debug)]
pub struct Budget {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    updated: Instant,
    /// Events skipped since the last one written.
    skipped: u64,
}

/// What [`Budget::take`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Write it; `skipped` Events of this type were skipped since the last one written.
    Write {
        skipped: u64,
    },
    Skip,
}

impl Budget {
    pub fn new(burst: u32, per_sec: f64, now: Instant) -> Self {
        Self {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            per_sec,
            updated: now,
            skipped: 0,
        }
    }

    pub fn take(&mut self, now: Instant) -> Admit {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Admit::Write {
                skipped: std::mem::take(&mut self.skipped),
            }
        } else {
            self.skipped = self.skipped.saturating_add(1);
            Admit::Skip
        }
    }
}

/// One budget per Event type, for the whole process; `None` with `--event-budget=false`.
pub struct Budgets(Option<(Mutex<Budget>, Mutex<Budget>)>);

impl Budgets {
    pub fn new(enabled: bool) -> Self {
        let now = Instant::now();
        Self(enabled.then(|| {
            (
                Mutex::new(Budget::new(NORMAL_BURST, NORMAL_PER_SEC, now)),
                Mutex::new(Budget::new(WARNING_BURST, WARNING_PER_SEC, now)),
            )
        }))
    }

    pub fn take(&self, type_: EventType) -> Admit {
        let Some((normal, warning)) = &self.0 else {
            return Admit::Write { skipped: 0 };
        };
        let budget = match type_ {
            EventType::Normal => normal,
            EventType::Warning => warning,
        };
        lock(budget).take(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_sustained_rate_and_skips_are_reported_once() {
        let start = Instant::now();
        let mut budget = Budget::new(3, 2.0, start);
        let first: Vec<Admit> = (0..5).map(|_| budget.take(start)).collect();
        assert_eq!(
            first,
            [
                Admit::Write { skipped: 0 },
                Admit::Write { skipped: 0 },
                Admit::Write { skipped: 0 },
                Admit::Skip,
                Admit::Skip
            ]
        );
        // Half a second later one token is back, and the two skips are reported with it.
        let later = start + Duration::from_millis(500);
        assert_eq!(budget.take(later), Admit::Write { skipped: 2 });
        assert_eq!(budget.take(later), Admit::Skip);
        // A long quiet spell refills up to the burst, no further.
        let quiet = later + Duration::from_secs(60);
        let refilled = (0..5)
            .filter(|_| matches!(budget.take(quiet), Admit::Write { .. }))
            .count();
        assert_eq!(refilled, 3);
    }

    #[test]
    fn a_cold_start_of_fifty_thousand_writes_a_bounded_number() {
        // 50,000 Unsealed Events over a 3-minute cold start, evenly spread.
        let start = Instant::now();
        let mut budget = Budget::new(NORMAL_BURST, NORMAL_PER_SEC, start);
        let span = Duration::from_secs(180);
        let written = (0..50_000u32)
            .filter(|i| {
                let at = start + span.mul_f64(f64::from(*i) / 50_000.0);
                matches!(budget.take(at), Admit::Write { .. })
            })
            .count();
        let bound = NORMAL_BURST as usize + (NORMAL_PER_SEC * 180.0) as usize + 1;
        assert!(written <= bound, "{written} > {bound}");
        assert!(written >= NORMAL_BURST as usize);
    }
}
