//! How fast to try again and how much to send at once: jittered exponential backoff between
//! failed rounds, and tus chunk and push batch sizes that follow the link (halve on a failure,
//! double after a run of successes).

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

/// A size that follows the link: halved on a failure, doubled after a run of successes, within
/// bounds. It sizes tus PATCHes (bytes) and push batches (versions): on 2G a dropped connection
/// wastes at most one of them, while on a good link bigger ones save round trips.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizer {
    size: usize,
    pub min: usize,
    pub max: usize,
    successes: u32,
    /// Consecutive successes before the size doubles.
    pub grow_after: u32,
}

impl Sizer {
    pub fn new(start: usize, min: usize, max: usize) -> Self {
        Sizer {
            size: start.clamp(min, max),
            min,
            max,
            successes: 0,
            grow_after: 3,
        }
    }

    /// tus chunks in bytes: a 64 KB PATCH takes about 20 s on 2G.
    pub fn tus_chunk() -> Self {
        Sizer::new(64 * 1024, 16 * 1024, 512 * 1024)
    }

    /// Versions per push. 500 household checks are about 32 KB as CBOR + zstd, some 7 s on 2G,
    /// and each push costs a round trip (0.6 s there) plus the server's answer: fewer, larger
    /// pushes took 1.3× the link's minimum where batches of 250 took about 2× (P6). A push cut
    /// off halves the next one, down to 50 (about 3 KB); two that get through double it again.
    pub fn push_batch() -> Self {
        Sizer {
            grow_after: 2,
            ..Sizer::new(500, 50, 500)
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
        let mut c = Sizer::tus_chunk();
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

    #[test]
    fn push_batches_halve_when_cut_off_and_grow_back_after_two_pushes() {
        let mut b = Sizer::push_batch();
        assert_eq!(b.size(), 500);
        b.failure();
        assert_eq!(b.size(), 250);
        for _ in 0..10 {
            b.failure();
        }
        assert_eq!(b.size(), 50, "never below the minimum");
        b.success();
        assert_eq!(b.size(), 50);
        b.success();
        assert_eq!(b.size(), 100);
        for _ in 0..10 {
            b.success();
        }
        assert_eq!(b.size(), 500, "never above the maximum");
    }
}
