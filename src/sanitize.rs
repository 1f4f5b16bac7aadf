//! Making peer text safe to print on somebody else's terminal.
//!
//! Everything a client types is relayed to other people's terminals, so a hostile client could
//! otherwise clear their screens, retitle their windows, hide text, ring bells, or make text read
//! differently from what it is. Two passes, neither hand-written:
//!
//! 1. **Escape sequences** are found by `vte`, the parser terminals themselves use (alacritty's):
//!    only what it would *print* is kept, so every CSI, OSC, DCS, SOS/PM/APC string and ESC
//!    sequence (`ESC ( 0` included) goes whole, whatever its form, terminated or not. C1 controls
//!    written as UTF-8 (U+0080-U+009F) are fed to it in their 7-bit form (`U+009B` as `ESC [`), so
//!    a terminal that honours them cannot be reached that way either.
//! 2. **What is printed** is classified by Unicode general category: controls (Cc), format
//!    characters (Cf: the bidi marks, embeddings, overrides and isolates, U+061C, the zero-width
//!    characters U+200B-U+200D, U+2060 and U+FEFF, the interlinear annotation characters
//!    U+FFF9-U+FFFB, soft hyphen) and the whole tag block U+E0000-U+E007F are dropped; the line
//!    and paragraph separators (Zl, Zp: U+2028, U+2029) and tabs become a space, so words on
//!    either side stay apart; the blank "filler" letters (U+115F, U+1160, U+3164, U+FFA0, U+2800)
//!    that pass for a name or a message while showing nothing are dropped; and at most
//!    [`MAX_MARKS_PER_BASE`] combining marks (Mn, Mc, Me) follow any one character, which every
//!    script's real text fits and which stops "Zalgo" floods from painting over other lines.
//!
//! The host applies it before relaying; clients apply it again before printing, as defense in
//! depth.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// How many combining marks may follow one base character. Real text needs few (Vietnamese two,
/// pointed and cantillated Hebrew up to four); more only stack glyphs over the lines around.
pub const MAX_MARKS_PER_BASE: usize = 4;

/// Returns `text` with escape sequences, control and invisible characters removed (see the
/// module documentation for exactly what goes).
pub fn clean(text: &str) -> String {
    // The common case is a plain ASCII message: nothing to parse or classify.
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return text.to_string();
    }
    let mut printer = Printer {
        out: String::with_capacity(text.len()),
        marks: 0,
    };
    let mut parser = vte::Parser::new();
    let mut rest = text;
    while let Some((at, c1)) = rest.char_indices().find(|&(_, c)| is_c1(c)) {
        parser.advance(&mut printer, &rest.as_bytes()[..at]);
        // U+0080-U+009F are ESC followed by U+0040-U+005F (ECMA-48's 7-bit form).
        let letter = (u32::from(c1) - 0x40) as u8;
        parser.advance(&mut printer, &[0x1b, letter]);
        rest = &rest[at + c1.len_utf8()..];
    }
    parser.advance(&mut printer, rest.as_bytes());
    printer.out
}

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

/// What becomes of a character `vte` would print.
#[derive(Debug, PartialEq, Eq)]
enum Class {
    Keep,
    /// A combining mark: kept while its base has fewer than [`MAX_MARKS_PER_BASE`].
    Mark,
    /// Shown as one space.
    Space,
    Drop,
}

fn class(c: char) -> Class {
    if is_filler(c) || ('\u{e0000}'..='\u{e007f}').contains(&c) {
        return Class::Drop;
    }
    match c.general_category() {
        GeneralCategory::Control | GeneralCategory::Format | GeneralCategory::Surrogate => {
            Class::Drop
        }
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => Class::Space,
        GeneralCategory::NonspacingMark
        | GeneralCategory::SpacingMark
        | GeneralCategory::EnclosingMark => Class::Mark,
        _ => Class::Keep,
    }
}

/// Letters and symbols that are drawn as nothing at all: the Hangul fillers and the blank
/// Braille pattern. Their categories (Lo, So) say "visible", so they are named here.
fn is_filler(c: char) -> bool {
    matches!(
        c,
        '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' | '\u{2800}'
    )
}

/// Collects what a terminal would print, classified.
struct Printer {
    out: String,
    /// Combining marks kept since the last base character.
    marks: usize,
}

impl vte::Perform for Printer {
    fn print(&mut self, c: char) {
        match class(c) {
            Class::Keep => {
                self.marks = 0;
                self.out.push(c);
            }
            Class::Mark => {
                if self.marks < MAX_MARKS_PER_BASE {
                    self.marks += 1;
                    self.out.push(c);
                }
            }
            Class::Space => {
                self.marks = 0;
                self.out.push(' ');
            }
            Class::Drop => {}
        }
    }

    /// C0 and C1 controls: a tab becomes a space (harmless, but it makes layouts jump); every
    /// other one goes.
    fn execute(&mut self, byte: u8) {
        if byte == b'\t' {
            self.marks = 0;
            self.out.push(' ');
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
    fn charset_and_other_esc_sequences_go_whole() {
        assert_eq!(clean("a\u{1b}(0b\u{1b})Bc"), "abc");
        assert_eq!(clean("x\u{1b}#8y\u{1b}%Gz"), "xyz");
        assert_eq!(clean("\u{1b}7saved\u{1b}8"), "saved");
        assert_eq!(clean("a\u{1b}_apc payload\u{1b}\\b"), "ab");
        assert_eq!(clean("a\u{90}dcs\u{9c}b"), "ab");
    }

    #[test]
    fn format_and_bidi_characters_are_dropped() {
        assert_eq!(clean("a\u{61c}b"), "ab");
        assert_eq!(clean("a\u{200e}\u{200f}\u{2066}x\u{2069}b"), "axb");
        assert_eq!(clean("in\u{ad}visible"), "invisible");
    }

    #[test]
    fn zero_width_characters_are_dropped() {
        assert_eq!(clean("ad\u{200b}min"), "admin");
        assert_eq!(clean("a\u{200c}b\u{200d}c\u{2060}d\u{feff}e"), "abcde");
    }

    #[test]
    fn tag_characters_are_dropped() {
        assert_eq!(clean("flag\u{e0001}\u{e0067}\u{e0062}\u{e007f}"), "flag");
        assert_eq!(clean("x\u{e0000}\u{e0020}\u{e007e}y"), "xy");
    }

    #[test]
    fn interlinear_annotation_characters_are_dropped() {
        assert_eq!(clean("a\u{fff9}b\u{fffa}c\u{fffb}d"), "abcd");
    }

    #[test]
    fn line_and_paragraph_separators_become_spaces() {
        assert_eq!(clean("one\u{2028}two\u{2029}three"), "one two three");
    }

    #[test]
    fn filler_characters_are_dropped() {
        assert_eq!(clean("\u{3164}"), "");
        assert_eq!(clean("a\u{2800}b\u{115f}\u{1160}c\u{ffa0}d"), "abcd");
    }

    #[test]
    fn combining_marks_are_capped_per_base_character() {
        let zalgo = format!("Z{}a{}", "\u{301}".repeat(40), "\u{489}".repeat(9));
        let cleaned = clean(&zalgo);
        assert_eq!(
            cleaned,
            format!("Z{}a{}", "\u{301}".repeat(4), "\u{489}".repeat(4))
        );
        // Real text keeps its marks: Vietnamese, pointed Hebrew, Devanagari, an emoji's selector.
        for text in [
            "Việt Nam",
            "שָׁלוֹם",
            "नमस्ते",
            "❤\u{fe0f}",
            "e\u{301}\u{302}\u{303}\u{304}",
        ] {
            assert_eq!(clean(text), text);
        }
        // A mark with no base counts against the first character's cap too.
        assert_eq!(clean(&"\u{301}".repeat(9)), "\u{301}".repeat(4));
    }

    #[test]
    fn unterminated_sequences_do_not_loop_or_panic() {
        assert_eq!(clean("\u{1b}[12;34"), "");
        assert_eq!(clean("\u{1b}]0;no end"), "");
    }
}
