//! Telling a TLS client from a plain one by the first byte it sends, so a host started with
//! `--tls` can answer someone who connected with `nc` in words instead of silence.
//!
//! Every TLS connection opens with a handshake record, whose first byte is its content type,
//! 22 (0x16). No line a person types or a JSON client sends starts with that byte: it is a
//! control character (Ctrl-V), which nothing writes at the start of a nickname or a `{`.

/// The content type of a TLS handshake record (RFC 8446, section 5.1).
const HANDSHAKE_RECORD: u8 = 0x16;

/// What the first bytes of a connection say about the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing has arrived yet.
    Undecided,
    /// A TLS handshake: go on with TLS.
    Tls,
    /// Anything else: a client speaking plain text to a TLS port.
    Plain,
}

/// The verdict on a connection whose first bytes are `first` (as many as have arrived).
pub fn sniff(first: &[u8]) -> Verdict {
    match first.first() {
        None => Verdict::Undecided,
        Some(&HANDSHAKE_RECORD) => Verdict::Tls,
        Some(_) => Verdict::Plain,
    }
}

/// What that line says first, after `error: `: how `chatroom join` and `send` without `--tls`
/// recognise a TLS host and tell their user to add it.
pub const TLS_ONLY: &str = "this room only takes TLS connections";

/// The one line a plain-text client of a TLS host hears before it is closed: how to connect.
pub fn plain_client_line(host: &str, port: u16) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    format!(
        "error: {TLS_ONLY}; join with: chatroom join --tls {host}:{port} \
         (or: openssl s_client -quiet -connect {host}:{port}, or: ncat --ssl {bare} {port})\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_record_is_tls_and_anything_typed_is_not() {
        assert_eq!(sniff(b""), Verdict::Undecided);
        assert_eq!(sniff(&[0x16, 0x03, 0x01, 0x02, 0x00]), Verdict::Tls);
        assert_eq!(sniff(&[0x16]), Verdict::Tls, "one byte is enough");
        for plain in [
            &b"ana\n"[..],
            b"{\"type\":\"hello\"}\n",
            b"\r\n",
            b"GET / HTTP/1.1\r\n",
        ] {
            assert_eq!(sniff(plain), Verdict::Plain, "{plain:?}");
        }
        // A TLS alert or application record first is not a handshake: not a client hello.
        assert_eq!(sniff(&[0x15, 0x03, 0x03]), Verdict::Plain);
    }

    #[test]
    fn the_plain_line_names_every_way_in() {
        let line = plain_client_line("[::1]", 7000);
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        assert!(line.contains("chatroom join --tls [::1]:7000"));
        assert!(line.contains("openssl s_client -quiet -connect [::1]:7000"));
        assert!(line.contains("ncat --ssl ::1 7000"));
    }
}
