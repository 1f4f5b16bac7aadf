//! A certificate's identity as people compare it: `SHA256:` and the unpadded base64 of the
//! SHA-256 of its DER bytes, the form ssh prints host keys in (`SHA256:47DEQpj8HBSa+/TImW+5...`).
//!
//! The host prints its fingerprint on start; `join --fingerprint` and the `known_hosts` file take
//! it back. Parsing is forgiving about what people paste (surrounding spaces, base64 padding, a
//! lower-case `sha256:`), strict about everything else.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// The prefix that names the hash, as written.
const PREFIX: &str = "SHA256:";

/// The SHA-256 of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        Fingerprint(crate::digest::sha256(der))
    }

    /// Compares in constant time: a fingerprint is not secret, but nothing is lost by it.
    pub fn matches(&self, other: &Fingerprint) -> bool {
        crate::digest::same(&self.0, &other.0)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", STANDARD_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a text is not a fingerprint, in words for the one-line error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFingerprint(&'static str);

impl fmt::Display for BadFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for BadFingerprint {}

impl FromStr for Fingerprint {
    type Err = BadFingerprint;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let Some(encoded) = text
            .get(..PREFIX.len())
            .filter(|head| head.eq_ignore_ascii_case(PREFIX))
            .map(|_| &text[PREFIX.len()..])
        else {
            return Err(BadFingerprint(
                "a fingerprint starts with SHA256: (copy it as the host printed it)",
            ));
        };
        let decoded = STANDARD_NO_PAD
            .decode(encoded)
            .or_else(|_| STANDARD.decode(encoded))
            .map_err(|_| BadFingerprint("the part after SHA256: is not valid base64"))?;
        let bytes: [u8; 32] = decoded
            .try_into()
            .map_err(|_| BadFingerprint("a SHA-256 fingerprint is 43 base64 characters long"))?;
        Ok(Fingerprint(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_written_like_ssh_writes_host_keys() {
        // SHA-256 of nothing: e3b0c442...; ssh-keygen -l writes it as below.
        let empty = Fingerprint::of_der(b"");
        assert_eq!(
            empty.to_string(),
            "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }

    #[test]
    fn reads_back_what_it_writes_and_what_people_paste() {
        let print = Fingerprint::of_der(b"certificate");
        let text = print.to_string();
        assert_eq!(text.parse::<Fingerprint>(), Ok(print));
        assert_eq!(format!("  {text}\n").parse::<Fingerprint>(), Ok(print));
        assert_eq!(format!("{text}=").parse::<Fingerprint>(), Ok(print));
        let lower = format!("sha256:{}", &text[PREFIX.len()..]);
        assert_eq!(lower.parse::<Fingerprint>(), Ok(print));
    }

    #[test]
    fn refuses_anything_else_with_a_reason() {
        for bad in [
            "",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
            "MD5:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
            "SHA256:not base64!",
            "SHA256:47DEQpj8HBSa",
            "SHA256:",
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad:?} was taken");
        }
    }

    #[test]
    fn matches_only_itself() {
        let a = Fingerprint::of_der(b"a");
        let b = Fingerprint::of_der(b"b");
        assert!(a.matches(&a));
        assert!(!a.matches(&b));
    }
}
