//! The host's own certificate, for `--tls` without `--tls-cert`: made once, on first use, and
//! kept in the data directory, so its fingerprint (what clients pin) stays the same across
//! restarts.
//!
//! The files are `DIR/tls/cert.pem` and `DIR/tls/key.pem`. The key is created readable by its
//! owner only (mode 0600 on Unix, set as the file is created, never loosened first) and written
//! to a temporary file that is renamed into place, so a crash never leaves half a key; the key
//! is written before the certificate, and a certificate without its key is never reused.

use std::fs;
use std::path::{Path, PathBuf};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::certificate::Identity;
use crate::atomic_file;
use crate::error::{Error, Result, describe_io};

/// Where the host's own certificate and key are kept, under the data directory.
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in the data directory `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Store {
            dir: data_dir.join("tls"),
        }
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// The certificate kept here, made first if there is none yet (or only a key left by an
    /// interrupted start). `made` is true when it was just made.
    pub fn load_or_make(&self) -> Result<(Identity, bool)> {
        let (cert, key) = (self.cert_path(), self.key_path());
        if cert.exists() && key.exists() {
            let identity = Identity::from_pem_files(&cert, &key).map_err(|e| {
                Error::failure(format!(
                    "{e} (this is the host's own certificate: delete {} to make a new one; \
                     clients that trusted the old one will be warned that it changed)",
                    self.dir.display()
                ))
            })?;
            return Ok((identity, false));
        }
        Ok((self.make()?, true))
    }

    fn make(&self) -> Result<Identity> {
        let cannot = |what: &str, path: &Path, e: &std::io::Error| {
            Error::failure(format!(
                "cannot {what} {}: {} (choose another place with --data-dir)",
                path.display(),
                describe_io(e)
            ))
        };
        create_private_dir(&self.dir).map_err(|e| cannot("create", &self.dir, &e))?;
        let made = generate()?;
        let key_pem = made.signing_key.serialize_pem();
        let key_path = self.key_path();
        atomic_file::write(&key_path, key_pem.as_bytes(), 0o600)
            .map_err(|e| cannot("write", &key_path, &e))?;
        let cert_path = self.cert_path();
        atomic_file::write(&cert_path, made.cert.pem().as_bytes(), 0o644)
            .map_err(|e| cannot("write", &cert_path, &e))?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
        let cert = CertificateDer::from(made.cert.der().to_vec());
        Ok(Identity::new(vec![cert], key))
    }
}

/// A new self-signed certificate for the names this machine is reached by: localhost, its host
/// name, 127.0.0.1 and ::1. (Clients check it by its fingerprint, not by a name, so the names
/// matter only to tools that insist on one.)
fn generate() -> Result<rcgen::CertifiedKey<rcgen::KeyPair>> {
    let failed = |e: rcgen::Error| Error::failure(format!("cannot make a TLS certificate: {e}"));
    let mut names = vec!["localhost".to_string()];
    if let Some(name) = machine_name().filter(|n| is_dns_name(n) && n != "localhost") {
        names.push(name);
    }
    names.extend(["127.0.0.1".to_string(), "::1".to_string()]);
    let mut params = rcgen::CertificateParams::new(names).map_err(failed)?;
    let common_name = match machine_name() {
        Some(name) => format!("chatroom host on {name}"),
        None => "chatroom host".to_string(),
    };
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok(rcgen::CertifiedKey {
        cert,
        signing_key: key,
    })
}

/// This machine's host name, where the system says it.
fn machine_name() -> Option<String> {
    #[cfg(unix)]
    let name = nix::unistd::gethostname()
        .ok()
        .and_then(|n| n.into_string().ok());
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").ok();
    name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty())
}

/// True when `name` can be a DNS name in a certificate (letters, digits, `-` and `.`).
fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Creates `dir` and its parents; on Unix the last one only its owner may enter (also the data
/// directory of `host --store`).
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_data_dir(dir.path());
        let (first, made) = store.load_or_make().unwrap();
        assert!(made);
        let (again, made) = store.load_or_make().unwrap();
        assert!(!made);
        assert_eq!(first.fingerprint(), again.fingerprint());
        let names = super::super::certificate::Names {
            cert: "cert.pem",
            key: "key.pem",
        };
        assert!(first.server_config(&names).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_is_its_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_data_dir(dir.path());
        store.load_or_make().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&store.key_path()), 0o600);
        assert_eq!(mode(&dir.path().join("tls")), 0o700);
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("tls"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    }

    #[test]
    fn a_key_without_its_certificate_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_data_dir(dir.path());
        store.load_or_make().unwrap();
        fs::remove_file(store.cert_path()).unwrap();
        let (_, made) = store.load_or_make().unwrap();
        assert!(made);
    }

    #[test]
    fn host_names_that_cannot_be_dns_names_are_left_out() {
        assert!(is_dns_name("ana-laptop.local"));
        assert!(!is_dns_name("ana_laptop"));
        assert!(!is_dns_name("a..b"));
        assert!(!is_dns_name(""));
    }
}
