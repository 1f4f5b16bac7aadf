//! The room's side of the crossbeam fan-out: what the room sends the shards, and the links it
//! sends it over.
//!
//! A room turn's events are gathered here and leave in one [`Dispatch`] per shard when the turn
//! ends: the broadcasts rendered once per dialect into one shared [`Broadcast`] (every shard gets
//! the same `Arc`, nothing is copied per shard or per member), and the [`Order`]s for the
//! shard's own connections (a welcome, an ack, a private message, a release). Each shard has its
//! own channel and mio `Waker`, so the room's work per turn is O(shards) whatever the number of
//! members: everything per member happens in the shard that owns the member's socket.
//!
//! The room never waits for a shard: the channels are unbounded, and each shard empties its
//! channel every turn, so what waits there is at most one shard turn's worth of room turns.

use std::sync::Arc;

use crossbeam_channel::Sender;
use mio::Waker;

use std::net::SocketAddr;

use super::conn::ConnRef;
use super::log::Frame;
use crate::protocol::{Event, Mode, plain};

/// Which of a shard's two logs (and a broadcast's two renderings) a dialect uses.
pub(crate) fn dialect(mode: Mode) -> usize {
    match mode {
        Mode::Plain => 0,
        Mode::Json => 1,
    }
}

/// An event rendered at most once per dialect, however many people receive it.
pub(crate) struct Rendered<'e> {
    event: &'e Event,
    plain: Option<Frame>,
    json: Option<Frame>,
}

impl<'e> Rendered<'e> {
    pub(crate) fn new(event: &'e Event) -> Self {
        Rendered {
            event,
            plain: None,
            json: None,
        }
    }

    pub(crate) fn get(&mut self, mode: Mode) -> &Frame {
        let event = self.event;
        match mode {
            Mode::Plain => self
                .plain
                .get_or_insert_with(|| Arc::from(plain::render(event).into_bytes())),
            Mode::Json => self
                .json
                .get_or_insert_with(|| Arc::from(event.to_json_line().into_bytes())),
        }
    }
}

/// One message of a [`Broadcast`]: its length in each dialect and who sent it (senders are not
/// echoed: the sender's shard steps over it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BroadcastItem {
    pub(crate) lengths: [u64; 2],
    pub(crate) sender: Option<ConnRef>,
}

/// A room turn's broadcasts, rendered once per dialect, shared by every shard.
#[derive(Debug)]
pub(crate) struct Broadcast {
    /// The messages' bytes per dialect (see [`dialect`]), back to back; empty when nobody speaks
    /// the dialect.
    pub(crate) bytes: [Frame; 2],
    pub(crate) items: Vec<BroadcastItem>,
}

/// What a shard does for one of its connections.
#[derive(Debug)]
pub(crate) enum OrderKind {
    /// A frame for this connection alone: an ack, an error, a private message, a reply.
    Frame(Frame),
    /// A frame many connections get, the same `Arc` (the room's latest history): not charged
    /// to this connection's queue limits, since it costs nothing more per connection.
    Shared(Frame),
    /// The connection joined: it gets `welcome`, then follows the log from here.
    Admit { welcome: Frame },
    /// The room refused its nickname: it gets `frame`, and may try again unless `close`.
    Turned { frame: Frame, close: bool },
    /// Its password was right: it may give a nickname now.
    Unlocked,
    /// It left the room: nothing from the log past here; close once flushed.
    Release,
}

/// An order for one connection, placed after the first `after` messages of the turn's broadcast,
/// so that a member's replies and the room's messages reach it in the order they happened.
#[derive(Debug)]
pub(crate) struct Order {
    pub(crate) after: usize,
    pub(crate) conn: ConnRef,
    pub(crate) kind: OrderKind,
}

/// One room turn, as one shard receives it.
#[derive(Debug, Default)]
pub(crate) struct Dispatch {
    pub(crate) broadcast: Option<Arc<Broadcast>>,
    /// In order of `after`, never decreasing.
    pub(crate) orders: Vec<Order>,
    /// The room is closing: close every connection once it has been flushed.
    pub(crate) closing: bool,
}

/// What arrives in a shard's mailbox.
pub(crate) enum ShardMail {
    /// A new connection, handed over by the acceptor, with its host-wide serial number.
    Accepted {
        stream: mio::net::TcpStream,
        serial: u64,
        /// Where it comes from.
        peer: SocketAddr,
    },
    /// A room turn.
    Dispatch(Dispatch),
}

/// A shard's mailbox and the waker that gets its attention.
#[derive(Clone)]
pub(crate) struct ShardLink {
    mail: Sender<ShardMail>,
    waker: Arc<Waker>,
}

impl ShardLink {
    pub(crate) fn new(mail: Sender<ShardMail>, waker: Arc<Waker>) -> Self {
        ShardLink { mail, waker }
    }

    /// Posts `mail` and wakes the shard; false when the shard has gone.
    pub(crate) fn post(&self, mail: ShardMail) -> bool {
        if self.mail.send(mail).is_err() {
            return false;
        }
        let _ = self.waker.wake();
        true
    }
}

/// The room's outgoing turn: broadcasts and orders gathered until [`Fanout::dispatch`].
pub(crate) struct Fanout {
    links: Vec<ShardLink>,
    bytes: [Vec<u8>; 2],
    items: Vec<BroadcastItem>,
    /// Orders per shard.
    orders: Vec<Vec<Order>>,
    /// Members per dialect: a dialect nobody speaks is not rendered at all.
    speakers: [usize; 2],
}

impl Fanout {
    pub(crate) fn new(links: Vec<ShardLink>) -> Self {
        let orders = links.iter().map(|_| Vec::new()).collect();
        Fanout {
            links,
            bytes: [Vec::new(), Vec::new()],
            items: Vec::new(),
            orders,
            speakers: [0, 0],
        }
    }

    /// Counts a member speaking `mode` in (`joined`) or out.
    pub(crate) fn count_speaker(&mut self, mode: Mode, joined: bool) {
        let count = &mut self.speakers[dialect(mode)];
        if joined {
            *count += 1;
        } else {
            *count = count.saturating_sub(1);
        }
    }

    /// Sends `event` to every member (but its `sender`, if any).
    pub(crate) fn broadcast(&mut self, event: &Event, sender: Option<ConnRef>) {
        let mut rendered = Rendered::new(event);
        let mut lengths = [0; 2];
        for mode in [Mode::Plain, Mode::Json] {
            let d = dialect(mode);
            if self.speakers[d] > 0 {
                let bytes = rendered.get(mode);
                self.bytes[d].extend_from_slice(bytes);
                lengths[d] = bytes.len() as u64;
            }
        }
        if lengths != [0, 0] {
            self.items.push(BroadcastItem { lengths, sender });
        }
    }

    /// Sends `event` to one connection, in its dialect.
    pub(crate) fn send(&mut self, conn: ConnRef, mode: Mode, event: &Event) {
        let frame = Rendered::new(event).get(mode).clone();
        self.order(conn, OrderKind::Frame(frame));
    }

    /// Gives a connection's shard an order, after everything broadcast so far.
    pub(crate) fn order(&mut self, conn: ConnRef, kind: OrderKind) {
        if let Some(orders) = self.orders.get_mut(conn.shard()) {
            orders.push(Order {
                after: self.items.len(),
                conn,
                kind,
            });
        }
    }

    /// True when nothing has been gathered since the last turn left.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty() && self.orders.iter().all(Vec::is_empty)
    }

    /// Sends the turn to the shards that have something in it, and starts a new turn.
    pub(crate) fn dispatch(&mut self, closing: bool) {
        let turn = self.seal(closing);
        self.post(turn);
    }

    /// Closes the turn without sending it yet (a stored room sends it once the store has
    /// committed it, see `durable.rs`), and starts a new one.
    pub(crate) fn seal(&mut self, closing: bool) -> Sealed {
        let broadcast = (!self.items.is_empty()).then(|| {
            Arc::new(Broadcast {
                bytes: self.bytes.each_mut().map(|b| {
                    let frame = Arc::from(b.as_slice());
                    b.clear();
                    frame
                }),
                items: std::mem::take(&mut self.items),
            })
        });
        let dispatches = self
            .orders
            .iter_mut()
            .map(|orders| {
                (broadcast.is_some() || !orders.is_empty() || closing).then(|| Dispatch {
                    broadcast: broadcast.clone(),
                    orders: std::mem::take(orders),
                    closing,
                })
            })
            .collect();
        Sealed { dispatches }
    }

    /// Sends a sealed turn to the shards.
    pub(crate) fn post(&self, turn: Sealed) {
        for (link, dispatch) in self.links.iter().zip(turn.dispatches) {
            if let Some(dispatch) = dispatch {
                link.post(ShardMail::Dispatch(dispatch));
            }
        }
    }
}

/// A room turn ready for the shards (one dispatch per shard with something in it), not sent yet.
pub(crate) struct Sealed {
    dispatches: Vec<Option<Dispatch>>,
}
