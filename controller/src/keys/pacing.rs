//! Spacing of certificate ConfigMap repairs.
//!
//! A single tampering is repaired at once. But if something keeps changing the ConfigMap
//! back (another controller or a GitOps tool managing the same name, or two replicas that
//! briefly disagree about the keys during a hand-over), repairing at once every time would
//! be a hot write loop against the API server. Repairs in a row are therefore spaced out,
//! doubling from [`FIRST_SPACING`] up to [`MAX_SPACING`]; a quiet spell of [`CALM`] resets
//! the streak. Every repair is still counted and raises an Event, so a fight stays visible.

use std::time::Duration;
use tokio::time::Instant;

/// The least time between the first two repairs of a streak.
const FIRST_SPACING: Duration = Duration::from_secs(1);
/// The most time between two repairs.
const MAX_SPACING: Duration = Duration::from_secs(60);
/// A repair this long after the previous one starts a new streak.
const CALM: Duration = Duration::from_secs(600);

#[derive(Debug, Default)]
pub(super) struct RepairPacing {
    last: Option<Instant>,
    /// Repairs in the current streak.
    streak: u32,
}

impl RepairPacing {
    /// How long to wait, at `now`, before the next repair.
    pub(super) fn delay(&self, now: Instant) -> Duration {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < CALM => {
                let exponent = self.streak.saturating_sub(1).min(16);
                let spacing = FIRST_SPACING.saturating_mul(1 << exponent).min(MAX_SPACING);
                spacing.saturating_sub(now.saturating_duration_since(last))
            }
            _ => Duration::ZERO,
        }
    }

    /// A repair was made at `now`.
    pub(super) fn record(&mut self, now: Instant) {
        let in_streak = self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < CALM);
        self.streak = if in_streak {
            self.streak.saturating_add(1)
        } else {
            1
        };
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_repair_is_immediate_and_a_fight_is_spaced_out() {
        let start = Instant::now();
        let mut pacing = RepairPacing::default();
        assert_eq!(pacing.delay(start), Duration::ZERO);
        pacing.record(start);
        // The next one waits a second, then two, four, ... up to a minute.
        assert_eq!(pacing.delay(start), Duration::from_secs(1));
        assert_eq!(
            pacing.delay(start + Duration::from_millis(400)),
            Duration::from_millis(600)
        );
        let mut at = start;
        for expected in [1, 2, 4, 8, 16, 32, 60, 60] {
            at += Duration::from_secs(expected);
            assert_eq!(pacing.delay(at), Duration::ZERO);
            pacing.record(at);
            let next = pacing.delay(at).as_secs();
            assert!(next <= 60, "{next}");
        }
        assert_eq!(pacing.delay(at), Duration::from_secs(60));
        // After a quiet spell, immediate again.
        assert_eq!(pacing.delay(at + CALM), Duration::ZERO);
        pacing.record(at + CALM);
        assert_eq!(pacing.delay(at + CALM), Duration::from_secs(1));
    }
}
