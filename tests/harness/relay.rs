//! [`Relay`]: a stand-in for the network between a client and a host, which a test can break
//! at will: cut every connection, hold back the host's replies (so a message is taken but its
//! ack never arrives), point at another host (a restarted one), or turn everyone away (a host
//! that is down).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// What the relay's threads share with the test.
#[derive(Default)]
struct State {
    /// Where connections go; `None` while the host is "down": connections are closed at once.
    upstream: Mutex<Option<SocketAddr>>,
    /// The sockets of every live relayed connection (the client's end, the host's end), for
    /// [`Relay::cut`] and [`Relay::abandon`].
    sockets: Mutex<Vec<(TcpStream, TcpStream)>>,
    /// While set, what the host sends is read and dropped instead of passed on.
    mute_replies: AtomicBool,
    /// Set by [`Relay::abandon`]: a relay thread that stops leaves the host's end open.
    abandoned: AtomicBool,
}

/// A relay on 127.0.0.1 (its own port) to a host.
pub struct Relay {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Relay {
    /// Relays connections made to [`Relay::addr`] to `host`.
    pub fn start(host: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        *state.upstream.lock().unwrap() = Some(host);
        let shared = state.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let upstream = *shared.upstream.lock().unwrap();
                let Some(Ok(server)) = upstream.map(TcpStream::connect) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                {
                    let mut sockets = shared.sockets.lock().unwrap();
                    sockets.push((client.try_clone().unwrap(), server.try_clone().unwrap()));
                }
                pass(&client, &server, shared.clone(), false);
                pass(&server, &client, shared.clone(), true);
            }
        });
        Relay { addr, state }
    }

    /// The address to give clients, as `SERVER`.
    pub fn server(&self) -> String {
        self.addr.to_string()
    }

    /// Breaks every relayed connection, as a network failure would (new ones still go through).
    pub fn cut(&self) {
        for (client, server) in self.state.sockets.lock().unwrap().drain(..) {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
    }

    /// Breaks every relayed connection on the clients' side only: the host's ends stay open
    /// and silent, as after a network failure the host has not noticed yet.
    pub fn abandon(&self) {
        self.state.abandoned.store(true, Ordering::SeqCst);
        for (client, server) in self.state.sockets.lock().unwrap().drain(..) {
            let _ = client.shutdown(Shutdown::Both);
            // Kept open (and unread from once the client side is gone) until the host gives up.
            std::mem::forget(server);
        }
    }

    /// Drops (`true`) or passes on (`false`) what hosts send from now on.
    pub fn mute_replies(&self, mute: bool) {
        self.state.mute_replies.store(mute, Ordering::SeqCst);
    }

    /// Sends new connections to `host`, or with `None` closes them at once (a host that is down).
    pub fn point_to(&self, host: Option<SocketAddr>) {
        *self.state.upstream.lock().unwrap() = host;
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.point_to(None);
        self.cut();
    }
}

/// Copies `from` to `to` on a thread until `from` ends; `replies` (the host's side) are dropped
/// while the relay mutes them.
fn pass(from: &TcpStream, to: &TcpStream, state: Arc<State>, replies: bool) {
    let (from, to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
    thread::spawn(move || {
        let (from, to) = pump(from, to, |_| {
            !(replies && state.mute_replies.load(Ordering::SeqCst))
        });
        if state.abandoned.load(Ordering::SeqCst) {
            // The host's end stays open, as the network left it.
            std::mem::forget((from, to));
            return;
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// Copies what arrives on `from` to `to` until `from` ends (or `to` fails), showing each piece
/// to `forward` first: it is passed on when `forward` says so. Gives both streams back, for the
/// caller to end as its network would.
pub fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    mut forward: impl FnMut(&[u8]) -> bool,
) -> (TcpStream, TcpStream) {
    let mut buf = [0; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if forward(&buf[..n]) && to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    (from, to)
}
