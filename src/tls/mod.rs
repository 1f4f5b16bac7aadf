//! TLS for the host and the clients: what both sides share.
//!
//! chatroom uses rustls with its *ring* crypto provider. The default provider, aws-lc-rs, needs
//! cmake (and NASM on Windows) and its musl cross builds break; ring builds with a plain C
//! compiler on every release target (Linux gnu and musl, macOS x86_64 and arm64, Windows MSVC).
//! The price: rustls 0.23.48 marks its ring provider deprecated because ring has no post-quantum
//! key exchange (X25519MLKEM768); connections use X25519 instead, which is what every TLS 1.3
//! client without post-quantum support negotiates today.
//!
//! - [`fingerprint`]: a certificate's SHA-256 fingerprint, written and read as ssh does.
//! - [`known_hosts`]: the hosts a client trusts by fingerprint, one `HOST:PORT SHA256:...` a
//!   line, as ssh keeps them.
//! - [`verify`]: how a client decides to trust a host's certificate (a pinned fingerprint, a
//!   certificate authority, or `known_hosts` and trust on first use).
//! - [`session`]: a rustls connection driven over a non-blocking socket (the host's shards use
//!   it; it is generic over the side, so a client's event loop can too).
//! - [`sniff`]: telling a TLS client from a plain one by its first byte.
//! - [`certificate`]: a certificate and key read from PEM files, and the host's rustls config.
//! - [`self_signed`]: the host's own certificate, made once and kept in its data directory.
//! - [`host`]: the host's TLS set up from its options.

pub mod certificate;
pub mod fingerprint;
pub mod host;
pub mod known_hosts;
pub mod self_signed;
pub mod session;
pub mod sniff;
#[cfg(test)]
pub(crate) mod testing;
pub mod verify;

pub use fingerprint::Fingerprint;
pub use session::Session;

/// The one crypto provider every TLS config in chatroom is built with: ring's, with X25519
/// preferred for key exchange.
///
/// rustls's ring provider lists P-384 first, and a host picks the first group of its own list
/// that the client supports: every handshake then paid for P-384 in ring's generic big-number
/// code, about 5.8M instructions of the host's 6M per handshake (callgrind), which capped a host
/// core at a few hundred TLS joins a second. X25519 costs a tenth of that, and every TLS 1.3
/// client (ours, `openssl s_client`, `ncat --ssl`) sends its key share first anyway, so no
/// round trip is added. P-256 and P-384 stay for clients that offer nothing else.
// The deprecation is rustls asking for post-quantum key exchange (see above), not a defect.
#[allow(deprecated)]
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    use rustls::crypto::ring::kx_group::{SECP256R1, SECP384R1, X25519};
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = vec![X25519, SECP256R1, SECP384R1];
    std::sync::Arc::new(provider)
}

/// A client configuration built with [`provider`], the safe default protocol versions and
/// `verifier` deciding about the host's certificate.
pub fn client_config(
    verifier: std::sync::Arc<dyn rustls::client::danger::ServerCertVerifier>,
) -> Result<std::sync::Arc<rustls::ClientConfig>, rustls::Error> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}
