//! The bridge-gaps thread: reads the `since` gaps of clients coming back to a shared room from
//! the room's stream (see [`history::gap`]) on a connection of its own, so the room never waits
//! on Redis. It serves the same reads, in the same shapes, as a stored room's gap thread
//! (`store/gap.rs`): the room holds the newcomer (`server/gaps.rs`) and admits it with what came
//! back. A read that fails is answered with why; the newcomer is then shown the history alone
//! and told how many messages it missed.

use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use redis::Connection;

use super::history;
use super::keys::Keys;
use super::link::{Target, with_conn};
use crate::store::{GapFilled, GapRead, MAX_GAP_MESSAGES, answer_reads};

/// Starts the thread, which ends when the room drops the sending end of `reads`.
pub(crate) fn spawn<T: Send + 'static>(
    target: Target,
    keys: Keys,
    reads: Receiver<GapRead<T>>,
    filled: Sender<GapFilled<T>>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("bridge-gaps".into())
        .spawn(move || {
            let mut conn: Option<Connection> = None;
            answer_reads(&reads, &filled, |after, through| {
                with_conn(&target, &mut conn, |open| {
                    history::gap(open, &keys, after, through, MAX_GAP_MESSAGES)
                })
            });
        })
}
