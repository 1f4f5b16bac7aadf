//! TLS for the tests: a `host --tls` and the fingerprint it printed, clients with a home of
//! their own (so each test has its own `known_hosts`), certificates signed by a certificate
//! authority made at test time, and [`Tap`], a relay that records every byte crossing it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::host::Host;
use super::process::{chatroom, chatroom_cmd};

/// A `chatroom host --tls` whose own certificate is kept in `data_dir`; `args` follow.
pub fn tls_host(data_dir: &Path, args: &[&str]) -> Host {
    let dir = data_dir.to_str().expect("a UTF-8 temporary path");
    let mut all = vec!["--tls", "--data-dir", dir];
    all.extend_from_slice(args);
    Host::start(&all)
}

/// Like [`tls_host`], on a given port (a host restarted where its clients know it).
pub fn tls_host_on_port(data_dir: &Path, port: u16) -> Host {
    let dir = data_dir.to_str().expect("a UTF-8 temporary path");
    let port = port.to_string();
    let args = ["--tls", "--data-dir", dir];
    let mut cmd = chatroom();
    cmd.args(["host", "--bind", "127.0.0.1", "--port", &port])
        .args(args);
    Host::launch(cmd, &args)
}

/// The fingerprint a TLS host printed on start (`fingerprint: SHA256:...`).
pub fn fingerprint(host: &Host) -> String {
    let line = host.wait_for_console("the certificate's fingerprint", |l| {
        l.starts_with("fingerprint: SHA256:")
    });
    line["fingerprint: ".len()..].trim().to_string()
}

/// Where a client whose home is `home` keeps the hosts it trusts.
pub fn known_hosts(home: &Path) -> PathBuf {
    home.join("data").join("chatroom").join("known_hosts")
}

/// `chatroom send --server SERVER ARGS...` with its home (and so its `known_hosts`) in `home`,
/// as [`super::join_command`] gives `join` one.
pub fn send_from(home: &Path, server: &str, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = chatroom_cmd(Duration::from_secs(30));
    cmd.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .arg("send")
        .arg("--server")
        .arg(server)
        .args(args);
    cmd
}

/// A certificate authority and a certificate it signed for `localhost`, as PEM files in `dir`:
/// `ca.pem`, `cert.pem` and `key.pem`.
pub struct CaSigned {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl CaSigned {
    pub fn make(dir: &Path) -> CaSigned {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "chatroom test authority");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let host_key = KeyPair::generate().unwrap();
        let host_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let host_cert = host_params.signed_by(&host_key, &issuer).unwrap();
        let files = CaSigned {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.ca, ca_cert.pem()).unwrap();
        std::fs::write(&files.cert, host_cert.pem()).unwrap();
        std::fs::write(&files.key, host_key.serialize_pem()).unwrap();
        files
    }
}

/// A relay between clients and a host that records every byte it passes, both ways: what an
/// observer on the network would see.
pub struct Tap {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Tap {
    /// Relays connections made to [`Tap::addr`] to `host`.
    pub fn start(host: SocketAddr) -> Tap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(upstream) = TcpStream::connect(host) else {
                    return;
                };
                relay(&client, &upstream, record.clone());
                relay(&upstream, &client, record.clone());
            }
        });
        Tap { addr, seen }
    }

    /// Everything relayed so far, both directions together.
    pub fn seen(&self) -> Vec<u8> {
        self.seen.lock().unwrap().clone()
    }

    /// Whether `text` crossed the wire as it is.
    pub fn saw(&self, text: &str) -> bool {
        let seen = self.seen();
        seen.windows(text.len()).any(|w| w == text.as_bytes())
    }
}

/// Copies `from` to `to` on a thread, recording each byte, until `from` ends.
fn relay(from: &TcpStream, to: &TcpStream, seen: Arc<Mutex<Vec<u8>>>) {
    let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
    thread::spawn(move || {
        let mut buf = [0; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            seen.lock().unwrap().extend_from_slice(&buf[..n]);
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
