//! A real `redis-server` for the bridge's tests ([`TestRedis`], shared with the integration
//! tests' harness: see `test_redis_server.rs`), probed and reached through the bridge's own
//! connections.

use redis::Connection;

use super::link::Target;
pub(crate) use super::test_redis_server::TestRedis;

impl TestRedis {
    /// A server that keeps nothing on disk; `None` (after a loud message) when there is no
    /// `redis-server` to start and none is required.
    pub(crate) fn start() -> Option<TestRedis> {
        TestRedis::launch(false, false, answers)
    }

    /// A server whose data survives [`TestRedis::restart`] (an append-only file).
    pub(crate) fn start_persistent() -> Option<TestRedis> {
        TestRedis::launch(true, false, answers)
    }

    /// A server reached only with TLS, with a self-signed certificate ([`TestRedis::certificate`]).
    pub(crate) fn start_tls() -> Option<TestRedis> {
        TestRedis::launch(false, true, answers)
    }

    /// Where it is, its certificate trusted.
    pub(crate) fn target(&self) -> Target {
        Target::parse_trusting(&self.url(), self.certificate().map(str::as_bytes))
            .expect("a test URL parses")
    }

    /// A new connection to it.
    pub(crate) fn conn(&self) -> Connection {
        self.target()
            .connect()
            .expect("the test redis-server answers")
    }
}

/// The ids of every entry of `keys`' room stream, oldest first.
pub(crate) fn entry_ids(conn: &mut Connection, keys: &super::keys::Keys) -> Vec<String> {
    let entries: Vec<(String, redis::Value)> = redis::cmd("XRANGE")
        .arg(keys.events())
        .arg("-")
        .arg("+")
        .query(conn)
        .expect("the test redis-server answers XRANGE");
    entries.into_iter().map(|(id, _)| id).collect()
}

/// Ready when the bridge can connect (which PINGs and loads the scripts).
fn answers(redis: &TestRedis) -> Result<(), String> {
    redis.target().connect().map(drop)
}
