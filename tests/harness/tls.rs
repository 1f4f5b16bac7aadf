//! TLS from the client's side, for tests of `host --tls`: a rustls client that trusts exactly
//! the certificate whose fingerprint the host printed (as `join --fingerprint` does), the
//! fingerprint read from the host's console, and a real ClientHello to replay by hand.

use std::net::TcpStream;
use std::sync::Arc;

use chatroom::tls::Fingerprint;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

use super::conn::Conn;
use super::host::Host;

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

/// A client configuration that accepts exactly the certificate with `fingerprint`.
pub fn client_config(fingerprint: Fingerprint) -> Arc<ClientConfig> {
    let provider = chatroom::tls::provider();
    let verifier = Arc::new(Pinned {
        fingerprint,
        provider: Arc::clone(&provider),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// Trusts one certificate, by its fingerprint; signatures are still checked.
#[derive(Debug)]
struct Pinned {
    fingerprint: Fingerprint,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if Fingerprint::of_der(end_entity).matches(&self.fingerprint) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "not the certificate the host printed".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
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
        rustls::crypto::verify_tls13_signature(
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
