//! How `bench --tls` clients trust the host: a started host's own certificate, made by the bench
//! in a directory of the run's own and pinned; another host's as `join` would check it, except
//! that a benchmark never asks and never writes `known_hosts`.

use std::sync::Arc;

use super::wire::TlsClients;
use crate::client::handshake::server_name;
use crate::client::target::Target;
use crate::error::{Error, Result};
use crate::tls::known_hosts::KnownHosts;
use crate::tls::self_signed::Store;
use crate::tls::verify::{self, NewHosts, Policy, Verifier};
use crate::tls::{self, Fingerprint};

/// The certificate a started host serves: made before it starts, removed with the run.
pub struct OwnCertificate {
    /// The host's --data-dir; deleted when the run ends.
    dir: tempfile::TempDir,
    fingerprint: Fingerprint,
}

impl OwnCertificate {
    pub fn make() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("chatroom-bench-")
            .tempdir()
            .map_err(|e| {
                Error::failure(format!(
                    "cannot make a directory for the host's certificate: {}",
                    crate::error::describe_io(&e)
                ))
            })?;
        let (identity, _) = Store::in_data_dir(dir.path()).load_or_make()?;
        Ok(OwnCertificate {
            fingerprint: identity.fingerprint(),
            dir,
        })
    }

    /// What the started host is told: serve TLS with the certificate in this directory.
    pub fn host_args(&self) -> [String; 3] {
        [
            "--tls".into(),
            "--data-dir".into(),
            self.dir.path().display().to_string(),
        ]
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }
}

/// The TLS side of every client of a run against `target`: the certificate must have the
/// fingerprint `pin` when one is given; otherwise it must be in `known_hosts` or signed by an
/// authority this system trusts.
pub fn clients(target: &Target, pin: Option<Fingerprint>) -> Result<TlsClients> {
    let authorities = match pin {
        Some(_) => None,
        None => verify::system_authorities(tls::provider()).ok(),
    };
    let verifier = Verifier::new(
        tls::provider(),
        Policy {
            host: target.to_string(),
            pin,
            known_hosts: KnownHosts::in_data_dir(None),
            new_hosts: NewHosts::Never,
            authorities,
        },
    );
    let config = tls::client_config(Arc::new(verifier))
        .map_err(|e| Error::failure(format!("cannot set up TLS for the clients: {e}")))?;
    Ok(TlsClients::new(config, server_name(target)?))
}
