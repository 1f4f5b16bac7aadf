//! Stopping the host cleanly, as an explicit mechanism rather than a side effect.
//!
//! A [`Stopper`] is what Ctrl-C (or SIGTERM, or a test) pulls: it raises a flag and wakes the
//! event loop, whatever it is waiting for. The loop then (see `event_loop.rs`):
//! 1. stops accepting;
//! 2. queues the quit event for every member (`<quit>` in plain mode) and marks every connection
//!    to close once its outbox is flushed;
//! 3. keeps writing until every connection has closed, or [`FLUSH_GRACE`] has passed, so a
//!    client that stopped reading cannot hold the host open.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mio::Waker;

/// How long a stopping host waits for clients to take what they are owed.
pub const FLUSH_GRACE: Duration = Duration::from_secs(3);

/// The stop button: cheap to clone, safe to press from any thread, and pressing twice is harmless.
#[derive(Clone)]
pub struct Stopper {
    flag: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl Stopper {
    pub fn new(waker: Waker) -> Self {
        Stopper {
            flag: Arc::new(AtomicBool::new(false)),
            waker: Arc::new(waker),
        }
    }

    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
    }

    pub fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}
