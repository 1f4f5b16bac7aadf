//! Opening a TLS session with a host: the TCP connection, the rustls handshake with chatroom's
//! verifier, asking the user about a host never seen (then connecting again with the accepted
//! fingerprint pinned), remembering a newly trusted host, and handshake failures in one line.

use std::io;
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::ClientConnection;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::ServerName;

use super::dial::{self, is_timeout};
use super::target::Target;
use super::trust::{self, Trust};
use crate::error::{Error, ExitStatus, Result, describe_io, to_stderr};
use crate::tls::known_hosts::KnownHosts;
use crate::tls::verify::{self, NewHosts, Outcome, Policy, Refusal, Verifier};
use crate::tls::{self, Fingerprint};

/// Connects to `target` over TLS, trusting its certificate as `trust` says: the socket and the
/// session established over it.
pub fn open(
    target: &Target,
    timeout: Duration,
    trust: &Trust,
) -> Result<(TcpStream, ClientConnection)> {
    let mut trust = trust.clone();
    let known_hosts = trust.known_hosts.clone();
    // Set once the user has said yes: the fingerprint they accepted, to remember.
    let mut accepted = None;
    loop {
        let mut socket = dial::connect(target, timeout)?;
        socket
            .set_read_timeout(Some(timeout))
            .and_then(|()| socket.set_write_timeout(Some(timeout)))
            .map_err(|e| failed(target, &describe_io(&e)))?;
        let verifier = Arc::new(Verifier::new(
            tls::provider(),
            Policy {
                host: target.to_string(),
                pin: trust.pin,
                known_hosts: known_hosts.clone(),
                new_hosts: trust.new_hosts,
                // Only a certificate without a pin is checked against the authorities.
                authorities: trust.pin.is_none().then(authorities).flatten(),
            },
        ));
        let mut tls = session(target, verifier.clone())?;
        let mut watched = FirstBytes::new(&mut socket);
        let result = handshake(&mut tls, &mut watched);
        let first = watched.seen;
        match (result, verifier.outcome()) {
            (Ok(()), outcome) => {
                let newly_trusted = match outcome {
                    Some(Outcome::Remember(presented)) => Some(presented),
                    _ => accepted,
                };
                if let Some(presented) = newly_trusted {
                    remember(target, &presented, known_hosts.as_ref());
                }
                return Ok((socket, tls));
            }
            (
                Err(_),
                Some(Outcome::Refused(Refusal::Unknown {
                    presented,
                    why,
                    ask,
                })),
            ) if ask && accepted.is_none() => {
                drop(socket);
                if !trust::ask(target, &presented, &why)? {
                    return Err(trust::declined(target));
                }
                // Connect again, trusting exactly what the user saw.
                trust.pin = Some(presented);
                trust.new_hosts = NewHosts::Never;
                accepted = Some(presented);
            }
            (Err(_), Some(Outcome::Refused(refusal))) => {
                return Err(trust::refused(target, &refusal, known_hosts.as_ref()));
            }
            (Err(e), _) => return Err(handshake_failed(target, &e, timeout, &first)),
        }
    }
}

/// The system's certificate authorities, loaded once per process (reading the root store is
/// not free); `None` where the system has none.
fn authorities() -> Option<Arc<dyn ServerCertVerifier>> {
    static AUTHORITIES: OnceLock<Option<Arc<dyn ServerCertVerifier>>> = OnceLock::new();
    AUTHORITIES
        .get_or_init(|| verify::system_authorities(tls::provider()).ok())
        .clone()
}

/// A client session for `target` with `verifier` deciding about its certificate.
fn session(target: &Target, verifier: Arc<Verifier>) -> Result<ClientConnection> {
    let config = tls::client_config(verifier).map_err(|e| failed(target, &e.to_string()))?;
    ClientConnection::new(config, server_name(target)?).map_err(|e| failed(target, &e.to_string()))
}

/// The name TLS checks the host's certificate against: the host as the user wrote it.
pub(crate) fn server_name(target: &Target) -> Result<ServerName<'static>> {
    ServerName::try_from(target.host.clone()).map_err(|_| {
        Error::new(
            ExitStatus::Usage,
            format!(
                "cannot use '{}' as a TLS server name (a host name or an IP address)",
                target.host
            ),
        )
    })
}

/// Runs the handshake to its end on the blocking socket.
fn handshake(
    tls: &mut ClientConnection,
    socket: &mut (impl io::Read + io::Write),
) -> io::Result<()> {
    while tls.is_handshaking() {
        tls.complete_io(socket)?;
    }
    // Our last handshake flight, if rustls holds any back.
    while tls.wants_write() {
        tls.write_tls(socket)?;
    }
    Ok(())
}

/// Adds a host the user has just trusted to `known_hosts`, and says so. A file that cannot be
/// written costs only the next question, so it is a warning.
fn remember(target: &Target, presented: &Fingerprint, file: Option<&KnownHosts>) {
    let Some(file) = file else {
        to_stderr(format_args!(
            "chatroom: trusted {target} ({presented}) for this time only: this system names no \
             data directory to keep known_hosts in"
        ));
        return;
    };
    match file.add(&target.to_string(), presented) {
        Ok(()) => to_stderr(format_args!(
            "chatroom: trusted {target} ({presented}); remembered in {}",
            file.path().display()
        )),
        Err(e) => to_stderr(format_args!(
            "chatroom: trusted {target} ({presented}) for this time only: cannot write {}: {}",
            file.path().display(),
            describe_io(&e)
        )),
    }
}

fn failed(target: &Target, why: &str) -> Error {
    Error::new(
        ExitStatus::CannotConnect,
        format!("TLS handshake with {target} failed: {why}"),
    )
}

/// A handshake that failed for another reason than the certificate, in one line.
fn handshake_failed(target: &Target, e: &io::Error, timeout: Duration, first: &[u8]) -> Error {
    let tls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let why = match tls_error {
        // A TLS host turns some connections away before any TLS (too many from one address, a
        // full host): in one plain line, which is what the user needs to read.
        Some(rustls::Error::InvalidMessage(_)) if plain_refusal(first).is_some() => {
            let why = plain_refusal(first).unwrap_or_default();
            return dial::host_said(target, &why);
        }
        // What a host without --tls answers (its plain-text greeting) is no TLS record at all.
        Some(rustls::Error::InvalidMessage(_)) => {
            return Error::new(
                ExitStatus::CannotConnect,
                format!("cannot connect to {target}: the host does not speak TLS; drop --tls"),
            );
        }
        Some(rustls::Error::AlertReceived(alert)) => format!("the host refused it ({alert:?})"),
        Some(other) => other.to_string(),
        None if is_timeout(e) => format!("no answer within {} s", timeout.as_secs()),
        None => describe_io(e),
    };
    failed(target, &format!("{why} (is the host started with --tls?)"))
}

/// The socket during the handshake, keeping the first bytes the host sent: when they are no
/// TLS at all, they may be a plain-text refusal worth showing.
struct FirstBytes<'a, S> {
    socket: &'a mut S,
    seen: Vec<u8>,
}

/// Bytes of the host's first answer kept: one refusal line.
const FIRST_BYTES: usize = 512;

impl<'a, S> FirstBytes<'a, S> {
    fn new(socket: &'a mut S) -> Self {
        FirstBytes {
            socket,
            seen: Vec::new(),
        }
    }
}

impl<S: io::Read> io::Read for FirstBytes<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.socket.read(buf)?;
        let room = FIRST_BYTES.saturating_sub(self.seen.len());
        self.seen.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

impl<S: io::Write> io::Write for FirstBytes<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

/// The reason in a host's plain-text refusal (`error: WHY`), if that is what `first` holds.
fn plain_refusal(first: &[u8]) -> Option<String> {
    let line = first.split(|&b| b == b'\n').next()?;
    let text = String::from_utf8_lossy(line);
    text.trim_end_matches('\r')
        .strip_prefix("error:")
        .map(|why| why.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_refusal_before_tls_is_read_out() {
        assert_eq!(
            plain_refusal(b"error: too many connections from your address\r\n").as_deref(),
            Some("too many connections from your address")
        );
        assert_eq!(plain_refusal(b"chatroom: welcome to lobby\n"), None);
        assert_eq!(plain_refusal(b"\x16\x03\x03\x00"), None);
        assert_eq!(plain_refusal(b""), None);
    }

    fn target() -> Target {
        Target {
            host: "chat.example.org".into(),
            port: 6000,
        }
    }

    fn failure(e: io::Error) -> String {
        handshake_failed(&target(), &e, Duration::from_secs(10), b"").to_string()
    }

    #[test]
    fn a_plain_host_is_named_as_such() {
        let garbage = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        let text = failure(io::Error::new(io::ErrorKind::InvalidData, garbage));
        assert_eq!(
            text,
            "cannot connect to chat.example.org:6000: the host does not speak TLS; drop --tls"
        );
    }

    #[test]
    fn other_failures_are_one_line_with_a_hint() {
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        let text = failure(io::Error::new(io::ErrorKind::InvalidData, alert));
        assert!(
            text.starts_with(
                "TLS handshake with chat.example.org:6000 failed: the host refused it"
            ),
            "{text}"
        );
        let silent = failure(io::Error::from(io::ErrorKind::WouldBlock));
        assert_eq!(
            silent,
            "TLS handshake with chat.example.org:6000 failed: no answer within 10 s \
             (is the host started with --tls?)"
        );
        assert!(!silent.contains('\n'));
    }
}
