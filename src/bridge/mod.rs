//! The bridge to Redis: what lets one room span several hosts.
//!
//! Every host that names the same Redis and room name shares one room. The room's order is one
//! Redis stream per room, and its stream ids *are* the events' `seq`s: a host's batch of events
//! is appended by a Lua script that takes their numbers from a counter (`INCRBY`) and adds one
//! entry under the id `<last seq>-<count>`, so every host reads the same events in the same
//! order and derives the same `seq`s from them, and "everything after `since`" is a range of
//! ids with no lookup table.
//! A host shows its own members its own messages only when they come back from the stream, like
//! everybody else's.
//!
//! # Pieces, and who uses them
//! ```text
//!  room --batches (crossbeam)--> appender thread  --EVALSHA, one entry a batch----->
//!  room <--entries, letters----- reader thread    <--XREAD BLOCK (events + inbox)--  Redis
//!                                heartbeat thread --SET PX; reap dead hosts------->
//! ```
//! - [`host_id`]: a host's name in the room: 128 random bits, new at every start;
//! - [`keys`]: the names of a room's keys (all in one Redis Cluster slot);
//! - [`entry`]: a stream entry <-> its events' seqs, host, message ids and events (hostile
//!   entries are errors);
//! - [`scripts`]: the Lua scripts (append, claim and release a nickname, read the roster, post
//!   a letter, beat, reap, keep the newest bans and topic);
//! - [`state`]: the room's bans and topic kept in Redis for hosts starting later;
//! - [`link`]: a connection from a `redis://` or `rediss://` URL, with errors a person can act on;
//! - [`append`]: a batch of appends in one round trip and one entry, and the thread that does it
//!   for the room;
//! - [`reader`]: the thread that reads the stream and the host's inbox and hands them over,
//!   reconnecting and resuming from the last id it handed over;
//! - [`history`]: the newest events (history on join) and the ones after a `since` (a gap);
//! - [`nicks`]: nicknames unique across hosts, and the room-wide headcount;
//! - [`roster`]: the room-wide member list (`/list`, the welcome), read from what the claims
//!   keep;
//! - [`letters`]: private messages to another host's member, posted to its host's inbox;
//! - [`calls`]: the thread that claims and releases nicknames, reads the roster, posts letters
//!   and keeps the room's bans and topic for the room, answering over a channel;
//! - [`gaps`]: the thread that reads the `since` gaps of clients coming back, from the stream;
//! - [`heartbeat`]: each host's sign of life, and reaping the members of a host that died;
//! - [`attach`]: a host joining its shared room at start (connect, register, read the newest
//!   entries, start the threads above), and leaving it at the end.
//!
//! The room never waits on Redis: it talks to the bridge's threads over crossbeam channels only
//! (the appender, the reader, the heartbeat and the bridge-calls thread, which claims and
//! releases nicknames, reads the roster and posts letters, and the bridge-gaps thread;
//! `server/shared.rs`, `server/claims.rs` and `server/asked.rs` are the room's side).
//!
//! Anyone who can write to the Redis can write anything into the room's keys: decoding treats
//! entries as hostile ([`entry`]), but such a writer can still stop the room (delete its
//! stream, add an entry with an id far ahead). The Redis is part of the room's trusted base, like
//! the host's own disk.

pub(crate) mod append;
pub(crate) mod attach;
pub(crate) mod calls;
pub(crate) mod entry;
pub(crate) mod gaps;
pub(crate) mod heartbeat;
pub(crate) mod history;
pub(crate) mod host_id;
pub(crate) mod keys;
pub(crate) mod letters;
pub(crate) mod link;
pub(crate) mod nicks;
pub(crate) mod reader;
pub(crate) mod roster;
pub(crate) mod scripts;
pub(crate) mod state;
#[cfg(test)]
pub(crate) mod test_redis;
#[cfg(test)]
pub(crate) mod test_redis_server;
