//! Private messages across hosts: a member of this host writing to a member of another (and an
//! away member's answer to such a sender). The letter (a `message` event of kind `pm`, or an
//! `away` event, as [`super::entry`] stores events) goes to the inbox
//! of whichever host holds the recipient's nickname, found and written in one script
//! ([`POST`]), so a letter never lands with a host that gave the name up before it was posted.
//!
//! The recipient's host reads its inbox with the room's stream (see [`super::reader`]) and
//! hands the letter to its member, or drops it when the member left meanwhile. So "posted"
//! means "in the recipient's host's inbox", as a local private message means "queued for the
//! recipient": neither waits for the recipient to read it.

use redis::{Connection, RedisResult};

use super::host_id::HostId;
use super::keys::Keys;
use super::scripts::POST;
use crate::nick::fold;

/// Where a letter went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Posted {
    /// In the inbox of the host of the member called `to` (as written there).
    To { to: String },
    /// No member of another host is called so.
    NoSuchNick,
}

/// A letter from a member of `host` to the member called `to` (any case): `event` is its JSON
/// ([`super::entry::event_json`]), `mid` the sender's host's number for it, `cap` its
/// recipient's inbox's length bound.
pub(crate) fn post(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
    to: &str,
    (mid, event): (u64, &str),
    cap: u64,
) -> RedisResult<Posted> {
    let (found, written): (i64, String) = POST
        .key(keys.nicks())
        .arg(fold(to))
        .arg(host.as_str())
        .arg(keys.members_prefix())
        .arg(keys.inbox_prefix())
        .arg(cap)
        .arg(mid)
        .arg(event)
        .invoke(conn)?;
    Ok(match found {
        1 if written.is_empty() => Posted::To { to: to.to_string() },
        1 => Posted::To { to: written },
        _ => Posted::NoSuchNick,
    })
}

#[cfg(test)]
mod tests {
    use super::super::entry::{decode_letter, event_json};
    use super::super::nicks;
    use super::super::test_redis::TestRedis;
    use super::*;
    use crate::protocol::wire::MessageKind;
    use crate::protocol::{Event, Timestamp};

    fn pm(to: &str, text: &str) -> String {
        event_json(&Event::Message {
            seq: 0,
            ts: Timestamp::now(),
            from: "ann".into(),
            kind: MessageKind::Pm,
            to: Some(to.into()),
            text: text.into(),
            history: false,
        })
    }

    /// The letters in `host`'s inbox, decoded.
    fn inbox(conn: &mut Connection, keys: &Keys, host: &HostId) -> Vec<Event> {
        let entries: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
            .arg(keys.inbox(host))
            .arg("-")
            .arg("+")
            .query(conn)
            .unwrap();
        entries
            .iter()
            .map(|(id, fields)| decode_letter(id, fields).unwrap().event)
            .collect()
    }

    #[test]
    fn a_letter_goes_to_the_inbox_of_the_recipients_host_only() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let keys = Keys::new("letters").unwrap();
        let (a, b, c) = (HostId::random(), HostId::random(), HostId::random());
        nicks::claim(&mut conn, &keys, &b, "Bob", 0).unwrap();
        let posted = post(&mut conn, &keys, &a, "BOB", (7, &pm("BOB", "hi")), 100).unwrap();
        assert_eq!(posted, Posted::To { to: "Bob".into() });
        let got = inbox(&mut conn, &keys, &b);
        assert!(
            matches!(&got[..], [Event::Message { text, .. }] if text == "hi"),
            "{got:?}"
        );
        assert!(inbox(&mut conn, &keys, &a).is_empty());
        assert!(inbox(&mut conn, &keys, &c).is_empty());
    }

    #[test]
    fn a_name_no_other_host_holds_has_no_letter_posted() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let keys = Keys::new("letters").unwrap();
        let (a, b) = (HostId::random(), HostId::random());
        let nobody = post(&mut conn, &keys, &a, "zed", (1, &pm("zed", "hi")), 100).unwrap();
        assert_eq!(nobody, Posted::NoSuchNick);
        // The sender's own host's name is not another host's member.
        nicks::claim(&mut conn, &keys, &a, "ann", 0).unwrap();
        let own = post(&mut conn, &keys, &a, "ann", (2, &pm("ann", "hi")), 100).unwrap();
        assert_eq!(own, Posted::NoSuchNick);
        // Nor is a name given up.
        nicks::claim(&mut conn, &keys, &b, "bob", 0).unwrap();
        nicks::release(&mut conn, &keys, &b, "bob").unwrap();
        let gone = post(&mut conn, &keys, &a, "bob", (3, &pm("bob", "hi")), 100).unwrap();
        assert_eq!(gone, Posted::NoSuchNick);
        assert!(inbox(&mut conn, &keys, &a).is_empty());
        assert!(inbox(&mut conn, &keys, &b).is_empty());
    }

    #[test]
    fn an_inbox_stays_bounded() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let keys = Keys::new("letters").unwrap();
        let (a, b) = (HostId::random(), HostId::random());
        nicks::claim(&mut conn, &keys, &b, "bob", 0).unwrap();
        for mid in 0..500 {
            post(&mut conn, &keys, &a, "bob", (mid, &pm("bob", "hi")), 10).unwrap();
        }
        let len: u64 = redis::cmd("XLEN")
            .arg(keys.inbox(&b))
            .query(&mut conn)
            .unwrap();
        // `MAXLEN ~` trims whole macro nodes: near the cap, far below what was posted.
        assert!(len < 200, "{len}");
    }
}
