//! Nicknames across hosts: each is held by one member of one host, room-wide, and the room-wide
//! headcount (`--max-clients` counts everybody on every host).
//!
//! Redis holds, per room, `nicks` (folded nickname -> the holder's host id: folded as
//! [`crate::nick::fold`] folds, so `Alice` and `alice` are one name across hosts as on one) and,
//! per host, `members:<host>` (folded nickname -> the nickname as written: what a reaper needs to
//! announce the leaves of a dead host's members). Claim and release are scripts, so two hosts
//! claiming one name at once cannot both get it, and a host can release only its own.
//!
//! What is checked here is only what must be atomic across hosts; the host still checks a name
//! against its own rules and members first (validity, look-alikes on the same host, the hold
//! after a leave: see `server/names.rs`).

use redis::{Connection, RedisResult};

use super::host_id::HostId;
use super::keys::Keys;
use super::scripts::{CLAIM, RELEASE};
use crate::nick::fold;

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The nickname is this host's member's now.
    Claimed,
    /// A member of the host `owner` (perhaps this one) holds it.
    Taken { owner: String },
    /// The room holds its most members already.
    Full,
}

/// Claims `nick` for a member of `host`, in a room of at most `most` members (0: no limit).
pub(crate) fn claim(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
    nick: &str,
    most: u32,
) -> RedisResult<Claim> {
    let (status, owner): (i64, String) = CLAIM
        .key(keys.nicks())
        .key(keys.members(host))
        .arg(fold(nick))
        .arg(nick)
        .arg(host.as_str())
        .arg(most)
        .invoke(conn)?;
    Ok(match status {
        1 => Claim::Claimed,
        0 => Claim::Taken { owner },
        _ => Claim::Full,
    })
}

/// Gives up `nick`, if a member of `host` holds it; true when it did.
pub(crate) fn release(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
    nick: &str,
) -> RedisResult<bool> {
    RELEASE
        .key(keys.nicks())
        .key(keys.members(host))
        .arg(fold(nick))
        .arg(host.as_str())
        .invoke(conn)
}

/// How many members the room has, on every host.
pub(crate) fn headcount(conn: &mut Connection, keys: &Keys) -> RedisResult<u64> {
    redis::cmd("HLEN").arg(keys.nicks()).query(conn)
}

/// The nicknames of one host's members, as written.
pub(crate) fn members_of(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
) -> RedisResult<Vec<String>> {
    redis::cmd("HVALS").arg(keys.members(host)).query(conn)
}

#[cfg(test)]
mod tests {
    use super::super::test_redis::TestRedis;
    use super::*;

    fn keys() -> Keys {
        Keys::new("test").unwrap()
    }

    #[test]
    fn a_nickname_is_one_hosts_ignoring_case() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let (mut one, mut two) = (redis.conn(), redis.conn());
        let (a, b) = (HostId::random(), HostId::random());
        assert_eq!(
            claim(&mut one, &keys(), &a, "Alice", 0).unwrap(),
            Claim::Claimed
        );
        assert_eq!(
            claim(&mut two, &keys(), &b, "aLICE", 0).unwrap(),
            Claim::Taken {
                owner: a.to_string()
            }
        );
        // Only its holder's host can give it up.
        assert!(!release(&mut two, &keys(), &b, "alice").unwrap());
        assert_eq!(members_of(&mut one, &keys(), &a).unwrap(), ["Alice"]);
        assert!(release(&mut one, &keys(), &a, "ALICE").unwrap());
        assert!(members_of(&mut one, &keys(), &a).unwrap().is_empty());
        assert_eq!(
            claim(&mut two, &keys(), &b, "aLICE", 0).unwrap(),
            Claim::Claimed
        );
        assert_eq!(members_of(&mut two, &keys(), &b).unwrap(), ["aLICE"]);
    }

    #[test]
    fn a_race_for_one_nickname_has_one_winner() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let mut conn = redis.conn();
                std::thread::spawn(move || {
                    let host = HostId::random();
                    (0..50)
                        .filter(|n| {
                            claim(&mut conn, &keys(), &host, &format!("nick{n}"), 0).unwrap()
                                == Claim::Claimed
                        })
                        .count()
                })
            })
            .collect();
        let won: usize = racers.into_iter().map(|r| r.join().unwrap()).sum();
        assert_eq!(won, 50);
        assert_eq!(headcount(&mut redis.conn(), &keys()).unwrap(), 50);
    }

    #[test]
    fn a_full_room_refuses_on_every_host() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let (a, b) = (HostId::random(), HostId::random());
        assert_eq!(
            claim(&mut conn, &keys(), &a, "ana", 2).unwrap(),
            Claim::Claimed
        );
        assert_eq!(
            claim(&mut conn, &keys(), &b, "bo", 2).unwrap(),
            Claim::Claimed
        );
        assert_eq!(claim(&mut conn, &keys(), &b, "cy", 2).unwrap(), Claim::Full);
        assert_eq!(claim(&mut conn, &keys(), &a, "cy", 2).unwrap(), Claim::Full);
        assert!(release(&mut conn, &keys(), &a, "ana").unwrap());
        assert_eq!(
            claim(&mut conn, &keys(), &b, "cy", 2).unwrap(),
            Claim::Claimed
        );
        assert_eq!(headcount(&mut conn, &keys()).unwrap(), 2);
    }
}
