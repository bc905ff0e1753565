//! Limits on what one request may ask of the server, and rate limiting of login and enrollment
//! attempts. Every limit is answered with a clear 4xx JSON error and changes nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{ApiError, ApiResult};

/// Request limits (flags of `ntm-server serve` override some).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most versions in one push.
    pub max_versions_per_push: usize,
    /// Most bytes of a push body as sent (compressed or not).
    pub max_push_body: usize,
    /// Most bytes any body may decompress to.
    pub max_decompressed: usize,
    /// Most bytes of any other JSON body.
    pub max_json_body: usize,
    /// Largest photo.
    pub max_photo_bytes: u64,
    /// Most versions one pull page returns.
    pub max_pull_limit: usize,
    /// A request (other than a photo PATCH) must complete within this.
    pub request_timeout: Duration,
    /// A photo PATCH that sends nothing for this long is cut, keeping what arrived.
    pub upload_idle_timeout: Duration,
    /// Headers must arrive within this (slow-loris clients).
    pub header_timeout: Duration,
    /// Largest header block, bytes.
    pub max_header_bytes: usize,
    /// Failed logins per user name, and per client address, within `attempt_window`.
    pub login_failures_per_user: usize,
    pub login_failures_per_ip: usize,
    /// Failed enrollments (unknown, used or expired codes) per client address.
    pub enroll_failures_per_ip: usize,
    /// Enrollment codes one account may create within `attempt_window`.
    pub codes_per_user: usize,
    pub attempt_window: Duration,
    /// How long a session lasts.
    pub session_hours: i64,
    /// How long an unfinished upload is kept.
    pub upload_expiry_hours: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_versions_per_push: 1000,
            max_push_body: 8 << 20,
            max_decompressed: 32 << 20,
            max_json_body: 1 << 20,
            max_photo_bytes: 20 << 20,
            max_pull_limit: 1000,
            request_timeout: Duration::from_secs(60),
            upload_idle_timeout: Duration::from_secs(20),
            header_timeout: Duration::from_secs(20),
            max_header_bytes: 32 << 10,
            login_failures_per_user: 5,
            login_failures_per_ip: 20,
            enroll_failures_per_ip: 10,
            codes_per_user: 100,
            attempt_window: Duration::from_secs(15 * 60),
            session_hours: 12,
            upload_expiry_hours: 7 * 24,
        }
    }
}

/// Counts events per key in a sliding window (in memory: a restart forgets, which only helps an
/// attacker by one window).
#[derive(Default)]
pub struct RateLimiter {
    events: Mutex<HashMap<String, Vec<Instant>>>,
}

impl RateLimiter {
    /// Refuses with 429 when `key` already has `max` events within `window`.
    pub fn check(&self, key: &str, max: usize, window: Duration, what: &str) -> ApiResult<()> {
        let now = Instant::now();
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = events.get_mut(key) {
            list.retain(|t| now.duration_since(*t) < window);
            if list.len() >= max {
                let wait = list
                    .first()
                    .map(|t| window.saturating_sub(now.duration_since(*t)))
                    .unwrap_or(window);
                let minutes = wait.as_secs().div_ceil(60).max(1);
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                return Err(ApiError::too_many_attempts(
                    format!("too many {what}; wait {minutes} {unit} and try again"),
                    wait.as_secs().max(1),
                ));
            }
        }
        Ok(())
    }

    pub fn record(&self, key: &str) {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if events.len() > 100_000 {
            events.clear();
        }
        events
            .entry(key.to_owned())
            .or_default()
            .push(Instant::now());
    }

    pub fn clear(&self, key: &str) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_refuses_after_max_events_in_the_window() {
        let r = RateLimiter::default();
        let w = Duration::from_secs(60);
        for _ in 0..3 {
            r.check("k", 3, w, "attempts").unwrap();
            r.record("k");
        }
        let e = r.check("k", 3, w, "attempts").unwrap_err();
        assert_eq!(e.status.as_u16(), 429);
        r.check("other", 3, w, "attempts").unwrap();
        r.clear("k");
        r.check("k", 3, w, "attempts").unwrap();
    }

    #[test]
    fn a_lockout_ends_once_the_window_has_passed() {
        let r = RateLimiter::default();
        let w = Duration::from_millis(200);
        for _ in 0..3 {
            r.record("k");
        }
        let e = r.check("k", 3, w, "attempts").unwrap_err();
        assert!(e.message.contains("wait 1 minute and"), "{}", e.message);
        std::thread::sleep(w + Duration::from_millis(50));
        r.check("k", 3, w, "attempts")
            .expect("the events have left the window");
    }
}
