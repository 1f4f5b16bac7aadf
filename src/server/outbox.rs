//! Each client's outgoing queue, and the writer thread that drains it.
//!
//! The hub never writes to a socket: it drops frames into the client's bounded queue with
//! `try_send`, which cannot block. The writer thread takes whatever has piled up and sends it in
//! one `write`, so a busy room costs one syscall per batch rather than one per message. A queue
//! that is full means the client has stopped reading; the hub then lets that client go instead of
//! letting it hold up everybody else (see `hub.rs`).
//!
//! Dropping the last sender is the writer's signal to flush what is left and close the sending
//! side of the socket; a `quit` frame queued first therefore always arrives before the FIN.

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

/// Bytes ready for the wire, shared by every recipient of the same event.
pub type Frame = Arc<[u8]>;

/// At most this many bytes are gathered into one write.
const MAX_BATCH: usize = 64 * 1024;

/// After a burst, a write buffer bigger than this is released rather than kept per client.
const KEEP_BUFFER: usize = 8 * 1024;

/// Stack for writer threads: they only copy bytes and make syscalls.
const WRITER_STACK: usize = 64 * 1024;

/// A client's queue. The hub keeps the sender; the receiver goes to [`spawn_writer`] once the
/// client has joined (a refused client never gets a writer, so its socket stays open for another
/// try at a nickname).
pub fn queue(capacity: usize) -> (Sender<Frame>, Receiver<Frame>) {
    crossbeam_channel::bounded(capacity)
}

/// Starts the writer for a joined client. `flushed` is held until the writer is done, so
/// whoever keeps the matching receiver can wait for every writer to finish.
pub fn spawn_writer(stream: TcpStream, rx: Receiver<Frame>, flushed: Sender<()>) -> io::Result<()> {
    std::thread::Builder::new()
        .name("writer".into())
        .stack_size(WRITER_STACK)
        .spawn(move || {
            write_loop(&stream, &rx);
            // Only the sending side: closing the reading side too could turn queued bytes the
            // peer has not read yet into a reset.
            let _ = stream.shutdown(Shutdown::Write);
            drop(flushed);
        })?;
    Ok(())
}

fn write_loop(mut stream: &TcpStream, rx: &Receiver<Frame>) {
    let mut batch: Vec<u8> = Vec::new();
    while let Ok(first) = rx.recv() {
        batch.extend_from_slice(&first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(frame) => batch.extend_from_slice(&frame),
                Err(_) => break,
            }
        }
        if stream.write_all(&batch).is_err() {
            return;
        }
        batch.clear();
        if batch.capacity() > KEEP_BUFFER {
            batch = Vec::new();
        }
    }
}
