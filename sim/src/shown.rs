//! User text as exsim shows it in a message: escaped and cut (SPEC §13).
//!
//! Anything that came from a file, an argument or standard input and is quoted back in an error
//! goes through [`shown`] or [`shown_bytes`] first.
//!
//! Invariants: the result contains no control character (each is written as a Rust-style escape,
//! `\u{1b}`, `\n`, …), no invalid UTF-8 (each bad byte is written `\xNN`), and at most
//! [`MAX_SHOWN_CHARS`] characters of the value followed by a note of its full length, so a
//! hostile value can neither drive the terminal nor flood it.

use std::fmt::Write;

/// Most characters of a user value quoted in one message.
pub const MAX_SHOWN_CHARS: usize = 80;

/// `text` escaped and cut for a message.
pub fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SHOWN_CHARS * 2));
    for (count, c) in text.chars().enumerate() {
        if count == MAX_SHOWN_CHARS {
            let _ = write!(out, "… ({} bytes in all)", text.len());
            return out;
        }
        push_escaped(&mut out, c);
    }
    out
}

/// `bytes` as text, escaped and cut for a message; bytes that are not UTF-8 are shown as `\xNN`.
pub fn shown_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if count == MAX_SHOWN_CHARS {
                let _ = write!(out, "… ({} bytes in all)", bytes.len());
                return out;
            }
            push_escaped(&mut out, c);
            count += 1;
        }
        for b in chunk.invalid() {
            if count == MAX_SHOWN_CHARS {
                let _ = write!(out, "… ({} bytes in all)", bytes.len());
                return out;
            }
            let _ = write!(out, "\\x{b:02x}");
            count += 1;
        }
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_control() || c == '\u{feff}' || is_bidi_control(c) {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

/// Bidirectional-text controls, which can make a terminal show text in another order than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(shown("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(shown("line\nnext\ttab"), "line\\nnext\\ttab");
        assert_eq!(shown("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(shown("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = "x".repeat(1000);
        let s = shown(&long);
        assert!(s.starts_with(&"x".repeat(MAX_SHOWN_CHARS)), "{s}");
        assert!(s.ends_with("… (1000 bytes in all)"), "{s}");
        assert_eq!(shown(&"y".repeat(MAX_SHOWN_CHARS)), "y".repeat(MAX_SHOWN_CHARS));
    }

    #[test]
    fn invalid_utf8_is_shown_as_bytes() {
        assert_eq!(shown_bytes(b"ok\xff\xfe!"), "ok\\xff\\xfe!");
        assert_eq!(shown_bytes(b"\x1b"), "\\u{1b}");
        assert!(shown_bytes(&[0xff; 500]).ends_with("… (500 bytes in all)"));
    }
}
