//! A connection to the Redis a shared room lives in, from a `redis://` or `rediss://` URL
//! (`redis://[USER:PASSWORD@]HOST[:PORT][/DB]`), through the `redis` crate's blocking API: each
//! bridge thread owns one connection.
//!
//! `rediss://` is TLS through rustls with the ring provider chatroom uses everywhere
//! ([`crate::tls::provider`]), the server's certificate checked against the system's roots.
//!
//! What goes wrong is said in one line that names the Redis (never the password in its URL)
//! and what to do about it: a URL that is not one, a Redis that is not there, one that refuses
//! the credentials.

use std::time::Duration;

use redis::{Client, Connection, ErrorKind, RedisError};

use super::scripts;

/// How long connecting (TCP, TLS, AUTH, SELECT) may take before the attempt counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one command may wait for its answer (a `XREAD BLOCK` is given its block time
/// more): a Redis that stops answering is a lost connection, not a thread stuck forever.
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the room's Redis is.
#[derive(Clone)]
pub(crate) struct Target {
    client: Client,
    /// `HOST:PORT` (no credentials), for messages.
    shown: String,
}

impl Target {
    /// Reads a `redis://` or `rediss://` URL; a `rediss://` server's certificate is checked
    /// against the system's roots.
    pub(crate) fn parse(url: &str) -> Result<Target, String> {
        Target::parse_trusting(url, None)
    }

    /// Reads a `redis://` or `rediss://` URL; with `ca`, a `rediss://` server's certificate is
    /// checked against that certificate authority (PEM) instead of the system's roots (a Redis
    /// with a certificate of its own making).
    pub(crate) fn parse_trusting(url: &str, ca: Option<&[u8]>) -> Result<Target, String> {
        let scheme_ok = url.starts_with("redis://") || url.starts_with("rediss://");
        // Small commands and answers, each waited for: sent at once, never held for coalescing.
        let info = redis::IntoConnectionInfo::into_connection_info(url).map(|info| {
            info.set_tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true))
        });
        let client = info.and_then(|info| match ca {
            None => Client::open(info),
            Some(pem) => Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.to_vec()),
                },
            ),
        });
        let client = client.ok().filter(|_| scheme_ok).ok_or_else(|| {
            // The URL may hold a password: it is not repeated.
            "the Redis URL is not one: write redis://HOST:PORT/DB (rediss:// for TLS, \
             redis://USER:PASSWORD@HOST:PORT/DB with credentials) (--redis)"
                .to_string()
        })?;
        let shown = client.get_connection_info().addr().to_string();
        Ok(Target { client, shown })
    }

    /// `HOST:PORT`, for messages.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// A new connection, its scripts loaded, its commands bounded by [`ANSWER_TIMEOUT`].
    pub(crate) fn connect(&self) -> Result<Connection, String> {
        install_tls_provider();
        let mut conn = self
            .client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(|error| self.explain(&error))?;
        let bound = |conn: &Connection| -> redis::RedisResult<()> {
            conn.set_read_timeout(Some(ANSWER_TIMEOUT))?;
            conn.set_write_timeout(Some(ANSWER_TIMEOUT))
        };
        bound(&conn)
            // A PING, so that a Redis that wants a password says so now rather than at the first
            // real command.
            .and_then(|()| redis::cmd("PING").query::<()>(&mut conn))
            .and_then(|()| scripts::load_all(&mut conn))
            .map_err(|error| self.explain(&error))?;
        Ok(conn)
    }

    /// One line saying what went wrong with this Redis and what to do.
    pub(crate) fn explain(&self, error: &RedisError) -> String {
        let at = &self.shown;
        let code = error.code().unwrap_or_default();
        if error.kind() == ErrorKind::AuthenticationFailed
            || matches!(code, "NOAUTH" | "WRONGPASS" | "NOPERM")
        {
            return format!(
                "Redis at {at} refused the credentials ({}): give the right ones in the URL, \
                 redis://USER:PASSWORD@HOST:PORT/DB (--redis)",
                one_line(error)
            );
        }
        if error.is_connection_refusal() || error.is_timeout() {
            return format!(
                "could not reach Redis at {at} ({}): is redis-server running there, and is \
                 the address in --redis right?",
                one_line(error)
            );
        }
        let text = one_line(error);
        if text.contains("certificate") {
            return format!(
                "Redis at {at} presented a TLS certificate this host does not trust ({text}): \
                 have the system trust the authority that signed it, or give Redis a \
                 certificate it trusts"
            );
        }
        if error.is_connection_dropped() || error.is_io_error() {
            return format!("the connection to Redis at {at} broke ({text})");
        }
        format!("Redis at {at} answered with an error: {}", one_line(error))
    }
}

/// The error's text on one line.
fn one_line(error: &RedisError) -> String {
    error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `rediss://` builds its rustls configuration from the process's default provider: make that
/// chatroom's (the first call wins; later ones find it installed).
fn install_tls_provider() {
    let _ = rustls::crypto::CryptoProvider::install_default(std::sync::Arc::unwrap_or_clone(
        crate::tls::provider(),
    ));
}

/// Runs `call` on a thread's own connection to `target`, connecting first when there is none;
/// a connection whose command failed without an answer is dropped (it may still deliver the
/// late answer). A
/// connection kept from before that turns out to have been dropped (Redis restarted while this
/// thread had nothing to ask) is replaced and the call made once more, so the first call after
/// an outage does not fail for nothing. `Err` is one line a person can act on.
pub(crate) fn with_conn<R>(
    target: &Target,
    conn: &mut Option<Connection>,
    mut call: impl FnMut(&mut Connection) -> redis::RedisResult<R>,
) -> Result<R, String> {
    let reused = conn.is_some();
    let open = match conn {
        Some(open) => open,
        None => conn.insert(target.connect()?),
    };
    match call(open) {
        Ok(answer) => Ok(answer),
        Err(error) => {
            // After a timeout its late answers could pass for the next call's: only a
            // connection that answered with a Redis error is kept.
            let answered = matches!(error.kind(), ErrorKind::Server(_))
                && redis::ConnectionLike::is_open(open);
            if !answered {
                *conn = None;
            }
            if !(reused && error.is_connection_dropped()) {
                return Err(target.explain(&error));
            }
            let mut fresh = target.connect()?;
            let answer = call(&mut fresh).map_err(|error| target.explain(&error))?;
            *conn = Some(fresh);
            Ok(answer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_is_not_one_is_refused_without_echoing_it() {
        for bad in [
            "",
            "localhost:6379",
            "http://localhost/",
            "redis://",
            "redis://:secret@",
        ] {
            let error = Target::parse(bad).err().unwrap_or_default();
            assert!(
                error.contains("write redis://HOST:PORT/DB"),
                "{bad}: {error}"
            );
            assert!(!error.contains("secret"), "{error}");
        }
    }

    #[test]
    fn a_url_is_shown_without_its_password() {
        let target = Target::parse("redis://ana:secret@127.0.0.1:7777/2").unwrap();
        assert_eq!(target.shown(), "127.0.0.1:7777");
        assert!(Target::parse("rediss://redis.example:6380").is_ok());
    }

    #[test]
    fn a_redis_that_is_not_there_is_named() {
        // A port just freed: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let target = Target::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
        let error = target.connect().err().unwrap_or_default();
        assert!(
            error.starts_with(&format!("could not reach Redis at 127.0.0.1:{port}")),
            "{error}"
        );
        assert!(error.contains("is redis-server running there"), "{error}");
    }

    #[test]
    fn rediss_checks_the_certificate_with_rustls_and_ring() {
        let Some(redis) = super::super::test_redis::TestRedis::start_tls() else {
            return;
        };
        // Its certificate trusted: a TLS connection, scripts loaded.
        let mut conn = redis.conn();
        let pong: String = redis::cmd("PING").query(&mut conn).unwrap();
        assert_eq!(pong, "PONG");
        // Not trusted (the system's roots do not know it): refused, and said so.
        let error = Target::parse(&redis.url())
            .unwrap()
            .connect()
            .err()
            .unwrap_or_default();
        assert!(
            error.starts_with("Redis at 127.0.0.1:") && error.contains("a TLS certificate"),
            "{error}"
        );
        assert!(!error.contains('\n'), "{error}");
    }

    #[test]
    fn refused_credentials_are_named_without_the_password() {
        let Some(redis) = super::super::test_redis::TestRedis::start() else {
            return;
        };
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg("requirepass")
            .arg("sesame")
            .query(&mut redis.conn())
            .unwrap();
        let port = redis
            .url()
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        for url in [
            format!("redis://127.0.0.1:{port}"),
            format!("redis://:wrong-secret@127.0.0.1:{port}"),
        ] {
            let error = Target::parse(&url)
                .unwrap()
                .connect()
                .err()
                .unwrap_or_default();
            assert!(
                error.starts_with(&format!(
                    "Redis at 127.0.0.1:{port} refused the credentials"
                )),
                "{error}"
            );
            assert!(!error.contains("wrong-secret"), "{error}");
        }
        let mut conn = Target::parse(&format!("redis://:sesame@127.0.0.1:{port}"))
            .unwrap()
            .connect()
            .unwrap();
        let pong: String = redis::cmd("PING").query(&mut conn).unwrap();
        assert_eq!(pong, "PONG");
    }
}
