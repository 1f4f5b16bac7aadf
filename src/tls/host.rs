//! The host's TLS, from its options to what its shards and its start-up lines need: the rustls
//! configuration every connection shares, and the certificate's fingerprint to print.
//!
//! `--tls-cert` and `--tls-key` name a certificate (a CA-issued one, say); without them the
//! host uses its own, made on first use in the data directory (see `self_signed.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Fingerprint;
use super::certificate::{Identity, Names};
use super::self_signed::Store;
use crate::error::Result;

/// Where the host's certificate comes from.
pub enum Source<'a> {
    /// PEM files given with `--tls-cert` and `--tls-key`.
    Files { cert: &'a Path, key: &'a Path },
    /// The host's own, kept in the data directory.
    DataDir(&'a Path),
}

/// The host's TLS, ready to serve.
pub struct HostTls {
    config: Arc<rustls::ServerConfig>,
    fingerprint: Fingerprint,
    /// The certificate's file, and whether it was just made (the start-up lines say so).
    cert_path: PathBuf,
    made: bool,
}

impl HostTls {
    /// Reads (or makes) the certificate and builds the configuration; every problem is one line.
    pub fn set_up(source: Source<'_>) -> Result<Self> {
        let (identity, cert_path, key_path, made) = match source {
            Source::Files { cert, key } => (
                Identity::from_pem_files(cert, key)?,
                cert.to_path_buf(),
                key.to_path_buf(),
                false,
            ),
            Source::DataDir(dir) => {
                let store = Store::in_data_dir(dir);
                let (identity, made) = store.load_or_make()?;
                (identity, store.cert_path(), store.key_path(), made)
            }
        };
        let fingerprint = identity.fingerprint();
        let names = Names {
            cert: &cert_path.display().to_string(),
            key: &key_path.display().to_string(),
        };
        let config = identity.server_config(&names)?;
        Ok(HostTls {
            config,
            fingerprint,
            cert_path,
            made,
        })
    }

    pub fn config(&self) -> &Arc<rustls::ServerConfig> {
        &self.config
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// True when the certificate was made by this start.
    pub fn was_made(&self) -> bool {
        self.made
    }
}
