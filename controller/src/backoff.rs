//! The retry delay every failing loop uses: `--retry-base` doubled per consecutive failure,
//! capped at `--retry-max`, without end (a controller never gives up on an object or on its
//! keys; it only waits longer).

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait after the `failures`-th consecutive failure (1 for the first).
    pub fn delay(&self, failures: u32) -> Duration {
        // 2^20 × any sensible base is far past any sensible max; the cap keeps the power finite.
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
        self.base.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_base_and_stops_at_max() {
        let b = Backoff {
            base: Duration::from_millis(10),
            max: Duration::from_secs(1),
        };
        let delays: Vec<u128> = (1..=9).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        assert_eq!(b.delay(0), Duration::from_millis(10));
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(1));
    }
}
