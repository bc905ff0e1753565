//! How fast to try again: jittered exponential backoff between failed rounds, and the tus chunk
//! size that follows the link (halve on a failure, double after a run of successes).

use std::time::Duration;

use rand::Rng;

/// Jittered exponential backoff: attempt n waits a random time between half and all of
/// `base * 2^(n-1)`, never more than `cap` (10 minutes by default, tus's and sync-designs'
/// guidance), so a hundred phones coming back into range do not retry in step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(600),
        }
    }
}

impl Backoff {
    /// The wait before attempt `attempt` (1 = the first retry).
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << shift).min(self.cap);
        let half = full / 2;
        let jitter_ms = rng.random_range(0..=(full - half).as_millis() as u64);
        (half + Duration::from_millis(jitter_ms)).min(self.cap)
    }
}

/// The size of the next tus PATCH. On 2G a 64 KB chunk takes about 20 s, which bounds the work a
/// dropped connection can waste; on a good link bigger chunks save round trips.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkSizer {
    size: usize,
    pub min: usize,
    pub max: usize,
    successes: u32,
    /// Consecutive successes before the chunk doubles.
    pub grow_after: u32,
}

impl Default for ChunkSizer {
    fn default() -> Self {
        ChunkSizer::new(64 * 1024, 16 * 1024, 512 * 1024)
    }
}

impl ChunkSizer {
    pub fn new(start: usize, min: usize, max: usize) -> Self {
        ChunkSizer {
            size: start.clamp(min, max),
            min,
            max,
            successes: 0,
            grow_after: 3,
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn success(&mut self) {
        self.successes += 1;
        if self.successes >= self.grow_after {
            self.size = (self.size * 2).min(self.max);
            self.successes = 0;
        }
    }

    pub fn failure(&mut self) {
        self.size = (self.size / 2).max(self.min);
        self.successes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn backoff_grows_with_jitter_and_stops_at_ten_minutes() {
        let b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(7);
        for attempt in 1..=40 {
            let full = Duration::from_secs(2)
                .saturating_mul(1 << (attempt - 1).min(30))
                .min(b.cap);
            for _ in 0..50 {
                let d = b.delay(attempt, &mut rng);
                assert!(
                    d >= full / 2 && d <= full,
                    "attempt {attempt}: {d:?} not in [{:?}, {full:?}]",
                    full / 2
                );
                assert!(d <= Duration::from_secs(600));
            }
        }
        // Jitter: retries of the same attempt do not all wait the same.
        let waits: std::collections::HashSet<_> = (0..20).map(|_| b.delay(5, &mut rng)).collect();
        assert!(waits.len() > 10);
        assert!(b.delay(100, &mut rng) >= Duration::from_secs(300));
    }

    #[test]
    fn chunks_halve_on_failure_and_grow_after_three_successes_within_bounds() {
        let mut c = ChunkSizer::default();
        assert_eq!(c.size(), 64 * 1024);
        c.failure();
        assert_eq!(c.size(), 32 * 1024);
        c.failure();
        c.failure();
        c.failure();
        assert_eq!(c.size(), 16 * 1024, "never below the minimum");
        c.success();
        c.success();
        assert_eq!(c.size(), 16 * 1024);
        c.success();
        assert_eq!(c.size(), 32 * 1024);
        c.success();
        c.failure();
        c.success();
        c.success();
        assert_eq!(c.size(), 16 * 1024, "a failure resets the run of successes");
        for _ in 0..100 {
            c.success();
        }
        assert_eq!(c.size(), 512 * 1024, "never above the maximum");
    }
}
