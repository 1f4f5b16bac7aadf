//! Flood control: a token bucket per client.
//!
//! The host does not drop or punish a flooder; it paces it. Before handling a client's next line
//! the host asks its bucket; when the bucket is empty it stops reading that client until the next
//! token is due. TCP backpressure does the rest: the flooder's own socket fills up and its writes
//! slow down, while the room sees at most `rate` lines per second from it.

use std::time::{Duration, Instant};

/// A token bucket: `rate` tokens per second, holding at most `burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket. `rate` must be positive (a rate of 0 means "no bucket" to the caller).
    pub fn new(rate: u32, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate: f64::from(rate.max(1)),
            burst,
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    /// Takes a token if there is one; otherwise says how long until there will be.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        self.ready(now)?;
        self.tokens -= 1.0;
        Ok(())
    }

    /// Says whether a token is available now (without taking it), or how long until one is.
    fn ready(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }

    /// True when the bucket has refilled completely: the client has stopped flooding.
    pub fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 3, start);
        for _ in 0..3 {
            assert_eq!(bucket.try_take(start), Ok(()));
        }
        let wait = bucket.try_take(start).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        assert_eq!(bucket.try_take(start + Duration::from_millis(100)), Ok(()));
        assert!(bucket.try_take(start + Duration::from_millis(150)).is_err());
    }

    #[test]
    fn refills_to_the_burst_and_no_further() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(100, 5, start);
        for _ in 0..5 {
            bucket.try_take(start).unwrap();
        }
        assert!(!bucket.is_full(start));
        let later = start + Duration::from_secs(60);
        assert!(bucket.is_full(later));
        for _ in 0..5 {
            bucket.try_take(later).unwrap();
        }
        assert!(bucket.try_take(later).is_err());
    }
}
