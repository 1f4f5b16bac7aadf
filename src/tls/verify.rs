//! How a chatroom client decides to trust a host's certificate: rustls's `ServerCertVerifier`,
//! with the decision itself in [`decide`], a small pure function.
//!
//! In order:
//! 1. `--fingerprint SHA256:...` given: the certificate must be that one, whatever signed it
//!    and whatever names it holds (the user compared it with what the host printed).
//! 2. A certificate that chains to a root this system trusts, for the name connected to, is
//!    accepted as any TLS client would (checked by `rustls-platform-verifier`: the OS's own
//!    verifier on macOS and Windows, the system's root store on Linux, `SSL_CERT_FILE` and
//!    `SSL_CERT_DIR` included). It is not written to `known_hosts`: such certificates are
//!    renewed every few months, and pinning them would cry wolf at each renewal.
//! 3. Anything else (the self-signed certificate `host --tls` makes) is looked up in
//!    `known_hosts`: a match is accepted; another fingerprint for that host is refused loudly;
//!    a host never seen is trusted on first use only where the user allowed it.
//!
//! The handshake's signatures are always verified with the provider's algorithms: whoever
//! presents the certificate must hold its key.
//!
//! The verifier never talks to the user: it runs inside the handshake, and a question asked
//! there would hold the connection open while the host's handshake timer runs. It records what
//! it decided ([`Verifier::outcome`]); the connecting code asks, then connects again with the
//! accepted fingerprint as a pin, and writes `known_hosts` only once a handshake completed (so
//! only for a host that proved it holds the certificate's key).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use super::Fingerprint;
use super::known_hosts::{KnownHosts, Lookup, Malformed};

/// What the system's certificate authorities say about the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// It chains to a trusted root and is valid for the name connected to.
    Trusted,
    /// It does not; why, in words ("no certificate authority this system trusts signed it").
    Untrusted(String),
}

/// Whether a host that is neither vouched for nor in `known_hosts` may be trusted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewHosts {
    /// `--trust-on-first-use`: trust it and remember it.
    Trust,
    /// `join` on a terminal: stop, so the user can be shown the fingerprint and asked.
    Ask,
    /// Scripts, pipes and bots: nobody to ask, so they are refused.
    Never,
}

/// Why a certificate was refused: what the user is told, and what the connecting code acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `--fingerprint` names another certificate.
    NotPinned {
        expected: Fingerprint,
        presented: Fingerprint,
    },
    /// `known_hosts` holds another fingerprint for this host, on line `line`.
    Changed {
        stored: Fingerprint,
        line: usize,
        presented: Fingerprint,
    },
    /// Not vouched for (`why`) and not in `known_hosts`; `ask` when the user may be asked.
    Unknown {
        presented: Fingerprint,
        why: String,
        ask: bool,
    },
    /// `known_hosts` could not be read; trusting anew would bypass what it holds.
    Unreadable(String),
}

/// What to do with the certificate presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Accept,
    /// Accept, and add the host to `known_hosts` once the handshake completes.
    AcceptAndRemember,
    Refuse(Refusal),
}

/// The decision, from everything it depends on. `known` matters only for a certificate that is
/// neither pinned nor vouched for (the verifier does not read the file otherwise).
pub fn decide(
    presented: Fingerprint,
    pin: Option<Fingerprint>,
    chain: &Chain,
    known: Lookup,
    new_hosts: NewHosts,
) -> Decision {
    if let Some(expected) = pin {
        return match expected.matches(&presented) {
            true => Decision::Accept,
            false => Decision::Refuse(Refusal::NotPinned {
                expected,
                presented,
            }),
        };
    }
    let why = match chain {
        Chain::Trusted => return Decision::Accept,
        Chain::Untrusted(why) => why.clone(),
    };
    match (known, new_hosts) {
        (Lookup::Matches, _) => Decision::Accept,
        (Lookup::Changed { stored, line }, _) => Decision::Refuse(Refusal::Changed {
            stored,
            line,
            presented,
        }),
        (Lookup::Unknown, NewHosts::Trust) => Decision::AcceptAndRemember,
        (Lookup::Unknown, new_hosts) => Decision::Refuse(Refusal::Unknown {
            presented,
            why,
            ask: new_hosts == NewHosts::Ask,
        }),
    }
}

/// What a verifier decided in its handshake, for the connecting code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// Accepted; the host's fingerprint is to be added to `known_hosts`.
    Remember(Fingerprint),
    Refused(Refusal),
}

/// The refusal a verifier stores as the handshake's error, so that rustls also tells the host
/// (a `bad_certificate` alert) why the connection ends.
#[derive(Debug)]
struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the host's certificate is not trusted")
    }
}

impl std::error::Error for Refused {}

/// The verifier of one connection: the policy, and the slot its decision is recorded in.
pub struct Verifier {
    provider: Arc<CryptoProvider>,
    /// The platform's verifier; `None` where the system has no root certificates at all (then
    /// only fingerprints can vouch for a host).
    authorities: Option<Arc<dyn ServerCertVerifier>>,
    /// `HOST:PORT` as written in `known_hosts`.
    host: String,
    pin: Option<Fingerprint>,
    known_hosts: Option<KnownHosts>,
    new_hosts: NewHosts,
    outcome: Mutex<Option<Outcome>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("host", &self.host)
            .field("pin", &self.pin)
            .field("new_hosts", &self.new_hosts)
            .finish_non_exhaustive()
    }
}

/// The platform's verifier with our provider; `None` (and why) where it cannot be built, as on
/// a system without root certificates.
pub fn system_authorities(
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    rustls_platform_verifier::Verifier::new(provider)
        .map(|verifier| Arc::new(verifier) as Arc<dyn ServerCertVerifier>)
        .map_err(|e| e.to_string())
}

/// Everything a [`Verifier`] is built from.
pub struct Policy {
    /// `HOST:PORT` as written in `known_hosts`.
    pub host: String,
    pub pin: Option<Fingerprint>,
    pub known_hosts: Option<KnownHosts>,
    pub new_hosts: NewHosts,
    pub authorities: Option<Arc<dyn ServerCertVerifier>>,
}

impl Verifier {
    pub fn new(provider: Arc<CryptoProvider>, policy: Policy) -> Self {
        Verifier {
            provider,
            authorities: policy.authorities,
            host: policy.host,
            pin: policy.pin,
            known_hosts: policy.known_hosts,
            new_hosts: policy.new_hosts,
            outcome: Mutex::new(None),
        }
    }

    /// What the last handshake decided; `None` if it never reached the certificate.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, outcome: Outcome) {
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
    }

    fn chain(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Chain {
        let Some(authorities) = &self.authorities else {
            return Chain::Untrusted("this system has no certificate authorities to ask".into());
        };
        match authorities.verify_server_cert(end_entity, intermediates, server_name, &[], now) {
            Ok(_) => Chain::Trusted,
            Err(e) => Chain::Untrusted(describe_chain_error(&e, server_name)),
        }
    }

    fn known(&self, presented: &Fingerprint) -> Result<Lookup, Refusal> {
        let Some(file) = &self.known_hosts else {
            return Ok(Lookup::Unknown);
        };
        let (found, malformed) = file.lookup(&self.host, presented).map_err(|e| {
            Refusal::Unreadable(format!(
                "cannot read {}: {}",
                file.path().display(),
                crate::error::describe_io(&e)
            ))
        })?;
        // Reported, and otherwise ignored: one bad edit must not lock the user out.
        for Malformed { line, why } in &malformed {
            crate::error::to_stderr(format_args!(
                "chatroom: {} line {line} ignored: {why}",
                file.path().display()
            ));
        }
        Ok(found)
    }
}

/// A certificate error in words, for "not vouched for because ...".
fn describe_chain_error(e: &rustls::Error, name: &ServerName<'_>) -> String {
    let rustls::Error::InvalidCertificate(why) = e else {
        return e.to_string();
    };
    match why {
        CertificateError::UnknownIssuer => {
            "no certificate authority this system trusts signed it".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("it is not made out to {}", name.to_str())
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "it has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "it is not valid yet".into()
        }
        CertificateError::Revoked => "it has been revoked".into(),
        _ => format!("it is not valid ({why:?})"),
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of_der(end_entity);
        // Each input is worked out only when the decision can depend on it.
        let chain = match self.pin {
            Some(_) => Chain::Untrusted("not checked: a fingerprint was given".into()),
            None => self.chain(end_entity, intermediates, server_name, now),
        };
        let known = match (self.pin, &chain) {
            (None, Chain::Untrusted(_)) => self.known(&presented),
            _ => Ok(Lookup::Unknown),
        };
        let decision = match known {
            Ok(known) => decide(presented, self.pin, &chain, known, self.new_hosts),
            Err(refusal) => Decision::Refuse(refusal),
        };
        match decision {
            Decision::Accept => self.record(Outcome::Accepted),
            Decision::AcceptAndRemember => self.record(Outcome::Remember(presented)),
            Decision::Refuse(refusal) => {
                self.record(Outcome::Refused(refusal));
                return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    rustls::OtherError(Arc::new(Refused)),
                )));
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(seed: &[u8]) -> Fingerprint {
        Fingerprint::of_der(seed)
    }

    #[test]
    fn the_decision_table() {
        let (cert, other) = (print(b"cert"), print(b"other"));
        let untrusted = Chain::Untrusted("self-signed".into());
        let changed = Lookup::Changed {
            stored: other,
            line: 3,
        };
        use Decision::*;
        use NewHosts::*;
        let unknown = |ask| {
            Refuse(Refusal::Unknown {
                presented: cert,
                why: "self-signed".into(),
                ask,
            })
        };
        let table: Vec<(Option<Fingerprint>, &Chain, Lookup, NewHosts, Decision)> = vec![
            // A pin decides alone, whatever the chain, the file or the flags say.
            (Some(cert), &untrusted, changed.clone(), Never, Accept),
            (Some(cert), &Chain::Trusted, Lookup::Unknown, Never, Accept),
            (
                Some(other),
                &Chain::Trusted,
                Lookup::Matches,
                Trust,
                Refuse(Refusal::NotPinned {
                    expected: other,
                    presented: cert,
                }),
            ),
            // A certificate authority vouches: accepted, never remembered.
            (None, &Chain::Trusted, Lookup::Unknown, Trust, Accept),
            (None, &Chain::Trusted, changed.clone(), Never, Accept),
            // Otherwise known_hosts decides.
            (None, &untrusted, Lookup::Matches, Never, Accept),
            (
                None,
                &untrusted,
                changed.clone(),
                Trust,
                Refuse(Refusal::Changed {
                    stored: other,
                    line: 3,
                    presented: cert,
                }),
            ),
            (
                None,
                &untrusted,
                changed.clone(),
                Ask,
                Refuse(Refusal::Changed {
                    stored: other,
                    line: 3,
                    presented: cert,
                }),
            ),
            // And a host never seen is trusted on first use only where allowed.
            (None, &untrusted, Lookup::Unknown, Trust, AcceptAndRemember),
            (None, &untrusted, Lookup::Unknown, Ask, unknown(true)),
            (None, &untrusted, Lookup::Unknown, Never, unknown(false)),
        ];
        for (pin, chain, known, new_hosts, expected) in table {
            let row = format!("{pin:?} {chain:?} {known:?} {new_hosts:?}");
            assert_eq!(
                decide(cert, pin, chain, known, new_hosts),
                expected,
                "{row}"
            );
        }
    }

    #[test]
    fn chain_errors_read_like_reasons() {
        let name = ServerName::try_from("chat.example.org").unwrap();
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(describe_chain_error(&unknown, &name).contains("no certificate authority"));
        let wrong = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert_eq!(
            describe_chain_error(&wrong, &name),
            "it is not made out to chat.example.org"
        );
    }
}
