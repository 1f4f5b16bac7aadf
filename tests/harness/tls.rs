//! TLS for the tests, from the client's side.
//!
//! - For tests of `host --tls`: a rustls client that trusts exactly the certificate whose
//!   fingerprint the host printed (as `join --fingerprint` does), the fingerprint read from the
//!   host's console, and a real ClientHello to replay by hand.
//! - For tests of `join` and `send --tls`: a TLS host started in a data directory (or on a given
//!   port), clients with a home of their own (so each test has its own `known_hosts`),
//!   certificates signed by a certificate authority made at test time, and [`Tap`], a relay that
//!   records every byte crossing it.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use chatroom::tls::Fingerprint;
use chatroom::tls::verify::{NewHosts, Policy, Verifier};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use super::conn::Conn;
use super::host::Host;
use super::process::{chatroom, chatroom_cmd};

/// A blocking TLS connection over TCP.
pub type TlsStream = rustls::StreamOwned<ClientConnection, TcpStream>;

/// The fingerprint `host` printed on start (`fingerprint: SHA256:...`).
pub fn printed_fingerprint(host: &Host) -> Fingerprint {
    let line = host.wait_for_console("the certificate's fingerprint", |l| {
        l.starts_with("fingerprint: ")
    });
    line["fingerprint: ".len()..]
        .parse()
        .unwrap_or_else(|e| panic!("{line:?} does not hold a fingerprint: {e}"))
}

/// A TLS connection to `host`, trusting only the certificate with the fingerprint it printed;
/// the handshake happens with the first read or write.
pub fn connect(host: &Host) -> Conn {
    over(
        host,
        TcpStream::connect(host.addr).expect("connect to host"),
    )
}

/// [`connect`] with a tiny kernel receive buffer, so that a client that stops reading fills up
/// quickly (as [`Conn::connect_with_small_receive_buffer`]).
pub fn connect_with_small_receive_buffer(host: &Host) -> Conn {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    socket.connect(&host.addr.into()).expect("connect to host");
    over(host, socket.into())
}

fn over(host: &Host, socket: TcpStream) -> Conn {
    let config = client_config(printed_fingerprint(host));
    let conn = ClientConnection::new(config, server_name()).expect("a TLS client connection");
    socket.set_nodelay(true).unwrap();
    Conn::from_tls(rustls::StreamOwned::new(conn, socket))
}

/// The ClientHello a rustls client opens with, as bytes to send by hand.
pub fn client_hello() -> Vec<u8> {
    let config = client_config(Fingerprint::of_der(b"no certificate matches this"));
    let mut conn = ClientConnection::new(config, server_name()).unwrap();
    let mut hello = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut hello).unwrap();
    }
    hello
}

fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// A client configuration that accepts exactly the certificate with `fingerprint`, as
/// `join --fingerprint` does (chatroom's own verifier, pinned; signatures are still checked).
pub fn client_config(fingerprint: Fingerprint) -> Arc<ClientConfig> {
    let verifier = Verifier::new(
        chatroom::tls::provider(),
        Policy {
            host: "test".into(),
            pin: Some(fingerprint),
            known_hosts: None,
            new_hosts: NewHosts::Never,
            authorities: None,
        },
    );
    chatroom::tls::client_config(Arc::new(verifier)).expect("a TLS client configuration")
}

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

/// Where a client whose home is `home` keeps the hosts it trusts (`CHATROOM_DATA_DIR` is set to
/// `home/data/chatroom`, where `XDG_DATA_HOME` puts it by default on Linux).
pub fn known_hosts(home: &Path) -> PathBuf {
    home.join("data").join("chatroom").join("known_hosts")
}

/// `chatroom send --server SERVER ARGS...` with its home (and so its `known_hosts`) in `home`,
/// as [`super::join_command`] gives `join` one.
pub fn send_from(home: &Path, server: &str, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = chatroom_cmd(Duration::from_secs(30));
    cmd.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("CHATROOM_DATA_DIR", home.join("data").join("chatroom"))
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
    let (from, to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
    thread::spawn(move || {
        let (_, to) = super::relay::pump(from, to, |bytes| {
            seen.lock().unwrap().extend_from_slice(bytes);
            true
        });
        let _ = to.shutdown(Shutdown::Write);
    });
}
