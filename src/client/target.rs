//! Where a client connects: the `SERVER` argument and `--port`, as users write them.
//!
//! `SERVER` may be `host`, `host:port`, `[v6]:port`, `[v6]` or a bare IPv6 address. A port in
//! `SERVER` and a different `--port` contradict each other, and we say so rather than guess.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::cli::DEFAULT_PORT;
use crate::error::{Error, ExitStatus, Result, describe_io};

/// A host name or address and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Target {
    /// Every address the host name resolves to (at least one), or a "cannot connect" error.
    pub fn resolve(&self) -> Result<Vec<SocketAddr>> {
        let cannot = |why: String| {
            Error::new(
                ExitStatus::CannotConnect,
                format!("cannot connect to {self}: {why}"),
            )
        };
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| {
                cannot(format!(
                    "cannot resolve '{}': {}",
                    self.host,
                    describe_io(&e)
                ))
            })?
            .collect();
        if addrs.is_empty() {
            return Err(cannot(format!("'{}' has no address", self.host)));
        }
        Ok(addrs)
    }
}

/// Parses `SERVER` with an optional `--port`; the error is a sentence for the user.
pub fn parse(server: &str, port: Option<u16>) -> Result<Target, String> {
    let server = server.trim();
    let (host, named_port) = split(server)?;
    if host.is_empty() {
        return Err(format!("SERVER '{server}' names no host"));
    }
    let port = match (named_port, port) {
        (Some(named), Some(flag)) if named != flag => {
            return Err(format!(
                "SERVER '{server}' names port {named} but --port says {flag}; give one of them"
            ));
        }
        (Some(named), _) => named,
        (None, Some(flag)) => flag,
        (None, None) => DEFAULT_PORT,
    };
    Ok(Target {
        host: host.to_string(),
        port,
    })
}

/// Splits off a port, if `server` names one.
fn split(server: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = server.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("SERVER '{server}' has '[' without a closing ']'"))?;
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(parse_port(server, port)?))),
                None => Err(format!(
                    "SERVER '{server}' has text after ']' that is not :PORT"
                )),
            },
        };
    }
    match server.matches(':').count() {
        0 => Ok((server, None)),
        1 => {
            let (host, port) = server.split_once(':').unwrap_or((server, ""));
            Ok((host, Some(parse_port(server, port)?)))
        }
        // Several colons and no brackets: a bare IPv6 address.
        _ => Ok((server, None)),
    }
}

fn parse_port(server: &str, port: &str) -> Result<u16, String> {
    port.parse::<u16>()
        .map_err(|_| format!("SERVER '{server}' has an invalid port '{port}' (expected 0-65535)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, port: u16) -> Target {
        Target {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn accepts_every_documented_form() {
        assert_eq!(
            parse("192.168.1.20", None),
            Ok(target("192.168.1.20", DEFAULT_PORT))
        );
        assert_eq!(
            parse("chat.example.org:6000", None),
            Ok(target("chat.example.org", 6000))
        );
        assert_eq!(parse("[::1]:7000", None), Ok(target("::1", 7000)));
        assert_eq!(parse("[::1]", Some(8)), Ok(target("::1", 8)));
        assert_eq!(parse("fe80::1", None), Ok(target("fe80::1", DEFAULT_PORT)));
        assert_eq!(parse("host", Some(9)), Ok(target("host", 9)));
        assert_eq!(parse("host:9", Some(9)), Ok(target("host", 9)));
    }

    #[test]
    fn refuses_contradictions_and_junk() {
        assert!(
            parse("host:1", Some(2))
                .unwrap_err()
                .contains("--port says 2")
        );
        assert!(
            parse("host:http", None)
                .unwrap_err()
                .contains("invalid port 'http'")
        );
        assert!(parse("[::1", None).is_err());
        assert!(parse(":6000", None).unwrap_err().contains("names no host"));
    }

    #[test]
    fn displays_ipv6_with_brackets() {
        assert_eq!(target("::1", 5).to_string(), "[::1]:5");
        assert_eq!(target("h", 5).to_string(), "h:5");
    }
}
