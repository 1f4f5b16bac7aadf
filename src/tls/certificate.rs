//! The host's certificate and private key: read from PEM files (`--tls-cert`, `--tls-key`), and
//! made into the rustls `ServerConfig` every TLS connection of the host shares.
//!
//! Each thing that can be wrong with the files is one line naming the file and saying what to
//! do: a file that cannot be read, one with no certificate or no key in it, a key that does not
//! belong to the certificate, a key rustls cannot use.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::Fingerprint;
use crate::error::{Error, Result, describe_io};

/// A certificate chain (the host's own certificate first) and its private key.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// `chain` must not be empty (every constructor checks it).
    pub(crate) fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        Identity { chain, key }
    }

    /// Reads the certificate chain at `cert` and the private key at `key` (PEM files).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self> {
        let chain = read_chain(cert)?;
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
            pem_error(
                key,
                &e,
                "no private key (a PEM block such as -----BEGIN PRIVATE KEY-----)",
            )
        })?;
        Ok(Identity::new(chain, key_der))
    }

    /// The fingerprint of the host's own certificate, the one clients compare.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_der(&self.chain[0])
    }

    /// The rustls configuration of the host's TLS connections. Fails when the key does not
    /// belong to the certificate, or rustls cannot use it; `names` says where each came from.
    pub fn server_config(self, names: &Names<'_>) -> Result<Arc<rustls::ServerConfig>> {
        let config = rustls::ServerConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::failure(format!("cannot set up TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(self.chain, self.key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => Error::failure(format!(
                    "the private key in {} does not belong to the certificate in {} \
                     (give the key the certificate was made with)",
                    names.key, names.cert
                )),
                other => Error::failure(format!(
                    "cannot use the private key in {}: {other}",
                    names.key
                )),
            })?;
        Ok(Arc::new(config))
    }
}

/// How the certificate's and the key's origins are named in errors.
pub struct Names<'a> {
    pub cert: &'a str,
    pub key: &'a str,
}

/// The certificates in the PEM file at `path`, in order; at least one.
fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let missing = "no certificate (a PEM block -----BEGIN CERTIFICATE-----)";
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| pem_error(path, &e, missing))?;
    if chain.is_empty() {
        return Err(Error::failure(format!("{} has {missing}", path.display())));
    }
    Ok(chain)
}

/// One line for a PEM file that could not be read, or lacks what it should hold (`missing`).
fn pem_error(path: &Path, e: &pem::Error, missing: &str) -> Error {
    let path = path.display();
    Error::failure(match e {
        pem::Error::Io(io) => format!("cannot read {path}: {}", describe_io(io)),
        pem::Error::NoItemsFound => format!("{path} has {missing}"),
        other => format!("{path} is not a valid PEM file: {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certified(names: &[&str]) -> rcgen::CertifiedKey<rcgen::KeyPair> {
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap()
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn names<'a>() -> Names<'a> {
        Names {
            cert: "cert.pem",
            key: "key.pem",
        }
    }

    #[test]
    fn a_certificate_and_its_key_make_a_config_and_a_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let made = certified(&["localhost"]);
        let cert = write(dir.path(), "cert.pem", &made.cert.pem());
        let key = write(dir.path(), "key.pem", &made.signing_key.serialize_pem());
        let identity = Identity::from_pem_files(&cert, &key).unwrap();
        assert_eq!(identity.fingerprint(), Fingerprint::of_der(made.cert.der()));
        assert!(identity.server_config(&names()).is_ok());
    }

    #[test]
    fn every_problem_is_one_line_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let made = certified(&["localhost"]);
        let other = certified(&["localhost"]);
        let cert = write(dir.path(), "cert.pem", &made.cert.pem());
        let key = write(dir.path(), "key.pem", &made.signing_key.serialize_pem());
        let other_key = write(dir.path(), "other.pem", &other.signing_key.serialize_pem());
        let empty = write(dir.path(), "empty.pem", "nothing here\n");
        let missing = dir.path().join("missing.pem");

        let error = |cert: &Path, key: &Path| match Identity::from_pem_files(cert, key) {
            Ok(identity) => identity.server_config(&names()).err().unwrap().to_string(),
            Err(e) => e.to_string(),
        };
        let cases = [
            (error(&missing, &key), "cannot read"),
            (error(&empty, &key), "has no certificate"),
            (error(&key, &key), "has no certificate"),
            (error(&cert, &empty), "has no private key"),
            (error(&cert, &cert), "has no private key"),
            (
                error(&cert, &other_key),
                "does not belong to the certificate",
            ),
        ];
        for (message, expected) in cases {
            assert!(message.contains(expected), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }
}
