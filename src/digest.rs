//! SHA-256 and constant-time comparison, the two things a certificate's fingerprint and a room's
//! password both need (from `ring`, which TLS already brings, and `subtle`).

use subtle::ConstantTimeEq;

/// The SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let hash = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0; 32];
    out.copy_from_slice(hash.as_ref());
    out
}

/// Whether two digests are equal, in time that does not depend on where they differ.
pub(crate) fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_compares() {
        // SHA-256 of "abc", from FIPS 180-2.
        assert_eq!(sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert!(same(&sha256(b"a"), &sha256(b"a")));
        assert!(!same(&sha256(b"a"), &sha256(b"b")));
    }
}
