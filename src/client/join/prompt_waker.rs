//! Ending an interactive session from outside the main thread: the room closed, the terminal
//! hung up, or a signal asked us to stop.
//!
//! Only the main thread ends the session (so the terminal is restored and history saved), but it
//! spends its time blocked in rustyline's `readline`. This module is how the event thread and
//! the signal handler get it out of there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Gets the main thread out of `readline` when the session ends elsewhere.
///
/// rustyline reads keys in raw mode, where Ctrl-C is a key and signals are off, but it catches
/// SIGINT while reading and returns `Interrupted`; that is the only way in from another thread.
/// A SIGINT that lands just before `readline` starts would be lost (ctrlc's handler catches it
/// then), so the waker repeats it until the main thread says it is awake.
#[derive(Clone, Default)]
pub(super) struct PromptWaker {
    /// Set by the first wake: one thread sends the signals, however many ask.
    started: Arc<AtomicBool>,
    /// Set by the main thread once it is out of `readline` for good: the signals stop.
    awake: Arc<AtomicBool>,
    /// A signal asked us to stop (ctrlc's handler sets it).
    stop: Arc<AtomicBool>,
}

impl PromptWaker {
    /// Starts interrupting `readline` until the main thread is awake; later calls do nothing.
    pub(super) fn wake(&self) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        #[cfg(unix)]
        {
            let awake = self.awake.clone();
            let _ = std::thread::Builder::new()
                .name("waker".into())
                .spawn(move || {
                    use nix::sys::signal::{Signal, kill};
                    use nix::unistd::Pid;
                    while !awake.load(Ordering::SeqCst) {
                        let _ = kill(Pid::this(), Signal::SIGINT);
                        std::thread::sleep(Duration::from_millis(25));
                    }
                });
        }
        // Elsewhere nothing can interrupt `readline`; the session ends at the next Enter.
    }

    /// Asks the session to stop as if interrupted, and wakes the main thread to notice.
    pub(super) fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub(super) fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The main thread is out of `readline` and will not read again: stop signalling it.
    pub(super) fn mark_awake(&self) {
        self.awake.store(true, Ordering::SeqCst);
    }

    /// Installs the handler for Ctrl-C outside the editor, SIGTERM and SIGHUP: stop cleanly.
    pub(super) fn handle_signals(&self) {
        let waker = self.clone();
        // Only fails if a handler is already installed, and then that one keeps working.
        let _ = ctrlc::set_handler(move || waker.request_stop());
    }
}
