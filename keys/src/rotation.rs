//! When the controller must make a new key. Pure: the clock is an argument, so the schedule
//! is testable without waiting, and it survives restarts because it is computed from the
//! newest key's age rather than from a timer started at boot.

use time::{Duration, OffsetDateTime};

/// The renewal rules: Bitnami's `--key-renew-period` and `--key-cutoff-time`, plus an
/// explicit rotation request (an RFC 3339 time written on a key Secret through the API, so
/// RBAC governs who may ask).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RotationPolicy {
    /// A new key this long after the newest one; `None` (Bitnami's 0) disables renewal.
    pub renew_period: Option<Duration>,
    /// A newest key older than this is replaced at once.
    pub cutoff: Option<OffsetDateTime>,
}

/// Why a new key is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationReason {
    /// There is no key at all.
    NoKey,
    /// The newest key is older than the renewal period.
    Renewal,
    /// The newest key predates `--key-cutoff-time`.
    Cutoff,
    /// Someone asked for a new key after the newest one was made.
    Requested,
}

impl RotationPolicy {
    /// Whether a new key is due `now`, given the newest key's NotBefore and the latest
    /// rotation request. A request is satisfied by any key made at or after it, so
    /// repeating the same request does nothing.
    pub fn due(
        &self,
        newest: Option<OffsetDateTime>,
        requested: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Option<RotationReason> {
        let Some(newest) = newest else {
            return Some(RotationReason::NoKey);
        };
        // Certificates keep whole seconds; compare at that precision.
        if let Some(requested) = requested.map(whole_seconds)
            && newest < requested
            && requested <= now
        {
            return Some(RotationReason::Requested);
        }
        if self.cutoff.is_some_and(|cutoff| newest < cutoff) {
            return Some(RotationReason::Cutoff);
        }
        if self
            .renew_period
            .is_some_and(|period| newest + period <= now)
        {
            return Some(RotationReason::Renewal);
        }
        None
    }

    /// When the next renewal falls due, for sleeping until then (`None`: never by schedule).
    pub fn next_renewal(&self, newest: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
        Some(newest? + self.renew_period?)
    }
}

fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NEWEST: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);

    fn policy() -> RotationPolicy {
        RotationPolicy {
            renew_period: Some(Duration::days(30)),
            cutoff: None,
        }
    }

    #[test]
    fn renews_on_schedule_from_the_newest_key() {
        let p = policy();
        assert_eq!(p.due(Some(NEWEST), None, NEWEST + Duration::days(29)), None);
        assert_eq!(
            p.due(Some(NEWEST), None, NEWEST + Duration::days(30)),
            Some(RotationReason::Renewal)
        );
        assert_eq!(
            p.next_renewal(Some(NEWEST)),
            Some(NEWEST + Duration::days(30))
        );
        let off = RotationPolicy::default();
        assert_eq!(
            off.due(Some(NEWEST), None, NEWEST + Duration::days(3650)),
            None
        );
        assert_eq!(off.next_renewal(Some(NEWEST)), None);
        assert_eq!(off.due(None, None, NEWEST), Some(RotationReason::NoKey));
    }

    #[test]
    fn cutoff_forces_a_key_only_when_the_newest_is_older() {
        let p = RotationPolicy {
            renew_period: None,
            cutoff: Some(datetime!(2026-02-01 0:00 UTC)),
        };
        let now = datetime!(2026-03-01 0:00 UTC);
        assert_eq!(p.due(Some(NEWEST), None, now), Some(RotationReason::Cutoff));
        assert_eq!(p.due(Some(datetime!(2026-02-02 0:00 UTC)), None, now), None);
    }

    #[test]
    fn a_request_is_honoured_once() {
        let p = RotationPolicy::default();
        let asked = datetime!(2026-01-05 12:00:00.700 UTC);
        let now = datetime!(2026-01-05 12:00:01 UTC);
        assert_eq!(
            p.due(Some(NEWEST), Some(asked), now),
            Some(RotationReason::Requested)
        );
        // The key made in answer has a NotBefore in the same second: satisfied.
        let made = datetime!(2026-01-05 12:00:00 UTC);
        assert_eq!(p.due(Some(made), Some(asked), now), None);
        // A request dated in the future is not acted on early.
        assert_eq!(
            p.due(Some(NEWEST), Some(now + Duration::hours(1)), now),
            None
        );
    }
}
