//! Stopping the host cleanly, as an explicit mechanism rather than a side effect.
//!
//! A [`Stopper`] is what Ctrl-C (or SIGTERM, or a test) pulls: it raises a flag, wakes the
//! acceptor, and tells the room, whatever they are waiting for. Then:
//! 1. the acceptor stops accepting and lets go of the listening socket;
//! 2. the room takes the requests already on their way, broadcasts the quit event (`<quit>` in
//!    plain mode) and sends every shard its last dispatch, which says the room is closing;
//! 3. each shard keeps writing until every connection it owns has taken what it is owed and
//!    closed, or [`FLUSH_GRACE`] has passed, so a client that stopped reading cannot hold the
//!    host open.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use mio::Waker;

/// How long a stopping host waits for clients to take what they are owed.
pub const FLUSH_GRACE: Duration = Duration::from_secs(3);

/// The stop button: cheap to clone, safe to press from any thread, and pressing twice is harmless.
#[derive(Clone)]
pub struct Stopper {
    flag: Arc<AtomicBool>,
    acceptor: Arc<Waker>,
    room: Sender<()>,
}

impl Stopper {
    /// A stop button that wakes the acceptor with `acceptor` and tells the room on `room` (a
    /// channel with room for one: the room needs to hear it once).
    pub(crate) fn new(acceptor: Arc<Waker>, room: Sender<()>) -> Self {
        Stopper {
            flag: Arc::new(AtomicBool::new(false)),
            acceptor,
            room,
        }
    }

    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
        let _ = self.room.try_send(());
        let _ = self.acceptor.wake();
    }

    pub fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}
