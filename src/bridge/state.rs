//! The room's bans and topic as the hosts keep them in Redis (the state file's JSON), for a
//! host starting later: written by every host, with the seq of the last change they include,
//! each time a ban, an unban or a topic is carried out; the [`SAVE_STATE`] script keeps the
//! newest.

use redis::{Connection, RedisResult};

use super::keys::Keys;
use super::scripts::SAVE_STATE;

/// The kept state's JSON, if any host has kept one. A key an earlier build of the unreleased
/// shared room wrote as a plain string counts as none (the next change replaces it).
pub(crate) fn read(conn: &mut Connection, keys: &Keys) -> RedisResult<Option<Vec<u8>>> {
    let kept = redis::cmd("HGET")
        .arg(keys.state())
        .arg("state")
        .query(conn);
    match kept {
        Err(error) if error.code() == Some("WRONGTYPE") => Ok(None),
        kept => kept,
    }
}

/// Keeps `json`, the room's state as of the event numbered `seq`, unless a newer one is kept;
/// whether it was kept.
pub(crate) fn save(conn: &mut Connection, keys: &Keys, seq: u64, json: &str) -> RedisResult<bool> {
    SAVE_STATE
        .key(keys.state())
        .key(keys.seq())
        .arg(seq)
        .arg(json)
        .invoke(conn)
}

#[cfg(test)]
mod tests {
    use super::super::test_redis::TestRedis;
    use super::*;

    /// Sets `key` to `value` by hand.
    fn set(conn: &mut Connection, key: String, value: &str) {
        let _: () = redis::cmd("SET").arg(key).arg(value).query(conn).unwrap();
    }

    /// The kept state, as text.
    fn kept(conn: &mut Connection, keys: &Keys) -> Option<String> {
        read(conn, keys)
            .unwrap()
            .map(|json| String::from_utf8(json).unwrap())
    }

    #[test]
    fn the_state_of_the_latest_event_wins_whatever_the_order_of_the_writes() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let keys = Keys::new("ops").unwrap();
        set(&mut conn, keys.seq(), "10");
        assert_eq!(kept(&mut conn, &keys), None);
        assert!(save(&mut conn, &keys, 7, "as of 7").unwrap());
        // A host slower to write what it saw at 5 loses to the state of 7, and a second
        // write of 7 (every host writes) changes nothing.
        assert!(!save(&mut conn, &keys, 5, "as of 5").unwrap());
        assert!(!save(&mut conn, &keys, 7, "7 again").unwrap());
        assert_eq!(kept(&mut conn, &keys).as_deref(), Some("as of 7"));
        assert!(save(&mut conn, &keys, 9, "as of 9").unwrap());
        assert_eq!(kept(&mut conn, &keys).as_deref(), Some("as of 9"));
    }

    #[test]
    fn a_state_kept_as_a_string_by_an_earlier_build_is_none_and_replaced() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let keys = Keys::new("ops").unwrap();
        set(&mut conn, keys.state(), "{\"bans\":[]}");
        assert_eq!(kept(&mut conn, &keys), None);
        assert!(save(&mut conn, &keys, 1, "as of 1").unwrap());
        assert_eq!(kept(&mut conn, &keys).as_deref(), Some("as of 1"));
    }

    #[test]
    fn a_state_kept_from_a_room_since_emptied_is_replaced() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let keys = Keys::new("ops").unwrap();
        assert!(save(&mut conn, &keys, 500, "old room").unwrap());
        // The room's counter (and stream) deleted by hand, the state left: its seq is ahead
        // of any the room will number for a while, and must not hold the room's state back.
        set(&mut conn, keys.seq(), "3");
        assert!(save(&mut conn, &keys, 3, "new room").unwrap());
        assert_eq!(kept(&mut conn, &keys).as_deref(), Some("new room"));
    }
}
