//! Stopping the host cleanly, as an explicit mechanism rather than a side effect.
//!
//! A [`Trigger`] is what Ctrl-C (or a test) pulls; [`Signal`] is what the host waits on. The
//! order of a clean stop lives in `server::run`: stop accepting, let the hub tell everyone and
//! drop their queues, then give the writers a bounded time to flush.

use crossbeam_channel::{Receiver, Sender};

/// Pulled to ask the host to stop. Cheap to clone; pulling twice is harmless.
#[derive(Clone)]
pub struct Trigger(Sender<()>);

/// Waited on by the host; fires once any trigger is pulled or every trigger is dropped.
pub struct Signal(Receiver<()>);

/// A connected trigger and signal.
pub fn channel() -> (Trigger, Signal) {
    let (tx, rx) = crossbeam_channel::bounded(1);
    (Trigger(tx), Signal(rx))
}

impl Trigger {
    pub fn pull(&self) {
        let _ = self.0.try_send(());
    }
}

impl Signal {
    /// Blocks until shutdown is asked for.
    pub fn wait(&self) {
        let _ = self.0.recv();
    }
}
