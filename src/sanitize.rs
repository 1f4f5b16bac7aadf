//! Making peer text safe to print on somebody else's terminal.
//!
//! Everything a client types is relayed to other people's terminals, so a hostile client could
//! otherwise clear their screens, retitle their windows, hide text, or ring bells. This module
//! removes every control character and whole escape sequences (not just the ESC byte, which would
//! leave `[2J` litter behind), plus the bidirectional-override characters that can make text read
//! differently from what it is. The host applies it before relaying; clients apply it again before
//! printing, as defense in depth.

/// Returns `text` with control characters and terminal escape sequences removed.
///
/// - Tabs become a single space (they are harmless but make layouts jump).
/// - `ESC [ ... final` (CSI), `ESC ] ... BEL|ESC \` (OSC), and the other string sequences
///   (`ESC P`, `ESC X`, `ESC ^`, `ESC _`) are removed whole, as are their C1 forms.
/// - Any other `ESC x` pair is removed.
/// - Every remaining C0 and C1 control, DEL, and the Unicode bidi overrides/isolates are dropped.
pub fn clean(text: &str) -> String {
    // The common case is a plain message: don't allocate a second time for it.
    if !text.chars().any(needs_attention) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(' '),
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // A lone ESC or a two-character sequence: both characters go.
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn needs_attention(c: char) -> bool {
    c == '\t' || is_unsafe(c)
}

/// Characters that are never printed as they are.
fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Bidirectional embedding, override and isolate characters (the "Trojan Source" set).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Skips the parameters and final byte of a CSI sequence (final byte is in `@`..=`~`).
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
    }
}

/// Skips an OSC/DCS/SOS/PM/APC payload up to its terminator (BEL, ST, or `ESC \`).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn plain_text_and_unicode_pass_through() {
        assert_eq!(clean("hello, world"), "hello, world");
        assert_eq!(clean("naïve café 日本語 🎉"), "naïve café 日本語 🎉");
    }

    #[test]
    fn csi_sequences_are_removed_whole() {
        assert_eq!(clean("\u{1b}[2J\u{1b}[Hgotcha"), "gotcha");
        assert_eq!(clean("a\u{1b}[31;1mred\u{1b}[0m"), "ared");
        assert_eq!(clean("x\u{9b}31my"), "xy");
    }

    #[test]
    fn osc_sequences_are_removed_whole() {
        assert_eq!(clean("\u{1b}]0;pwned\u{7}title"), "title");
        assert_eq!(
            clean("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            "link"
        );
        assert_eq!(clean("a\u{1b}Pdcs stuff\u{1b}\\b"), "ab");
    }

    #[test]
    fn lone_and_two_character_escapes_are_removed() {
        assert_eq!(clean("a\u{1b}"), "a");
        assert_eq!(clean("a\u{1b}cb"), "ab");
    }

    #[test]
    fn c0_c1_del_and_bidi_controls_are_dropped() {
        assert_eq!(clean("ring\u{7}\u{7}"), "ring");
        assert_eq!(clean("abc\u{8}\u{8}\u{8}xyz"), "abcxyz");
        assert_eq!(clean("over\rwrite"), "overwrite");
        assert_eq!(clean("del\u{7f}"), "del");
        assert_eq!(clean("c1\u{85}\u{8d}"), "c1");
        assert_eq!(clean("a\u{202e}evil\u{202c}b"), "aevilb");
        assert_eq!(clean("nul\0byte"), "nulbyte");
    }

    #[test]
    fn tabs_become_spaces() {
        assert_eq!(clean("a\tb"), "a b");
    }

    #[test]
    fn unterminated_sequences_do_not_loop_or_panic() {
        assert_eq!(clean("\u{1b}[12;34"), "");
        assert_eq!(clean("\u{1b}]0;no end"), "");
    }
}
