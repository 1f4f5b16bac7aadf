//! The names of a room's Redis keys.
//!
//! Every key starts with `chatroom:{ROOM}:`, the room's name in braces: Redis Cluster places a
//! key by the part in braces (its "hash tag"), so all of a room's keys share one slot and the
//! scripts, which touch several of them at once, can run there. For the same reason a room name
//! may not hold a brace itself.

use super::host_id::HostId;

/// The keys of one room.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    /// `chatroom:{ROOM}:`, which every key starts with.
    prefix: String,
}

impl Keys {
    /// The keys of the room named `room`. `Err` says why the name cannot be a key's hash tag.
    pub(crate) fn new(room: &str) -> Result<Keys, String> {
        if room.is_empty() {
            return Err("a room shared through Redis needs a name (--name)".into());
        }
        if room.contains(['{', '}']) {
            return Err(format!(
                "the room name '{room}' holds a brace, which Redis Cluster would read as part \
                 of the key's hash tag: choose a name without '{{' and '}}' (--name)"
            ));
        }
        Ok(Keys {
            prefix: format!("chatroom:{{{room}}}:"),
        })
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    /// The stream of room events, in the room's one order; an entry is a batch, its id
    /// `<last seq>-<count>`.
    pub(crate) fn events(&self) -> String {
        self.key("events")
    }

    /// The counter the next `seq` comes from.
    pub(crate) fn seq(&self) -> String {
        self.key("seq")
    }

    /// Hash: host id -> the last `mid` of that host's appended to the stream, so that a batch
    /// sent again after a failure is appended once (see the append script).
    pub(crate) fn appended(&self) -> String {
        self.key("appended")
    }

    /// Hash: the room's bans and topic as JSON (the state file's form) under `state`, and under
    /// `seq` the seq of the last event they include: what a host starting later begins with.
    /// Kept by the [`super::scripts::SAVE_STATE`] script, which lets only a newer state in.
    pub(crate) fn state(&self) -> String {
        self.key("state")
    }

    /// Hash: folded nickname -> the id of the host whose member holds it.
    pub(crate) fn nicks(&self) -> String {
        self.key("nicks")
    }

    /// Hash: folded nickname -> nickname as written, of one host's members.
    pub(crate) fn members(&self, host: &HostId) -> String {
        format!("{}{host}", self.members_prefix())
    }

    /// What [`Keys::members`] puts before the host id (for a script that finds the host).
    pub(crate) fn members_prefix(&self) -> String {
        self.key("members:")
    }

    /// A host's heartbeat: set with a time to live, gone when the host stops beating.
    pub(crate) fn beat(&self, host: &HostId) -> String {
        self.key(&format!("host:{host}"))
    }

    /// Set: the ids of the hosts in the room (alive, or dead and not reaped yet).
    pub(crate) fn hosts(&self) -> String {
        self.key("hosts")
    }

    /// Stream: private messages for the members of one host.
    pub(crate) fn inbox(&self, host: &HostId) -> String {
        format!("{}{host}", self.inbox_prefix())
    }

    /// What [`Keys::inbox`] puts before the host id (for a script that finds the host).
    pub(crate) fn inbox_prefix(&self) -> String {
        self.key("inbox:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_carries_the_room_as_its_hash_tag() {
        let keys = Keys::new("ops").unwrap();
        let host: HostId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        assert_eq!(keys.events(), "chatroom:{ops}:events");
        assert_eq!(keys.seq(), "chatroom:{ops}:seq");
        assert_eq!(keys.nicks(), "chatroom:{ops}:nicks");
        assert_eq!(keys.hosts(), "chatroom:{ops}:hosts");
        assert_eq!(
            keys.members(&host),
            "chatroom:{ops}:members:0123456789abcdef0123456789abcdef"
        );
        assert_eq!(
            keys.beat(&host),
            "chatroom:{ops}:host:0123456789abcdef0123456789abcdef"
        );
        assert_eq!(
            keys.inbox(&host),
            "chatroom:{ops}:inbox:0123456789abcdef0123456789abcdef"
        );
    }

    #[test]
    fn a_name_that_would_break_the_hash_tag_is_refused() {
        for bad in ["", "a{b", "x}y", "{ops}"] {
            assert!(Keys::new(bad).is_err(), "{bad}");
        }
        assert!(Keys::new("ops: night shift").is_ok());
    }
}
