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

pub mod fingerprint;
pub mod known_hosts;
pub mod verify;

pub use fingerprint::Fingerprint;

/// The one crypto provider every TLS config in chatroom is built with.
// The deprecation is rustls asking for post-quantum key exchange (see above), not a defect.
#[allow(deprecated)]
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
