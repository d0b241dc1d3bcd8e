//! Scenario errors and command-line overrides: where a bad value is, and what would be valid.
//!
//! Invariants kept here:
//! - every [`ScenarioError`] names a place: `file:line:column` (1-based, columns in characters)
//!   for a value that came from the file, or the `--set FIELD=VALUE` argument it came from (line
//!   and column 0) for one that came from the command line;
//! - turning a byte offset into a line and column never panics, whatever the offset;
//! - displayed, an error carries no control character and stays under 4 KiB: its file name,
//!   field, `--set` and message are each escaped (as [`shown`] escapes) and cut, whatever text
//!   they were made from.

use std::fmt;
use std::str::FromStr;

use super::limits::MAX_PATH_BYTES;
use crate::shown::shown;

/// A bad scenario: the place, the field and what was expected.
///
/// `Display` formats (stable; the command line prints them as they are):
/// - from the file: `{origin}:{line}:{column}: {field}: {message}` (without `{field}: ` when the
///   error is not about one field, e.g. a TOML syntax error);
/// - from a command-line override: `--set {FIELD}={VALUE}: {message}`, or
///   `--set {FIELD}={VALUE}: {field}: {message}` when the offending field is not the one the
///   override names (e.g. one entry of an inline table it sets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file name given to [`super::parse`], or `--set` for an override.
    pub origin: String,
    /// 1-based line; 0 when the error comes from an override.
    pub line: usize,
    /// 1-based column in characters; 0 when the error comes from an override.
    pub column: usize,
    /// Dotted path of the field, e.g. `markets.BTC-USD.tick` or `exchange.crash_at[1]`; empty
    /// when the error is about the file as a whole.
    pub field: String,
    /// What is wrong and what would be valid.
    pub message: String,
    /// The whole `FIELD=VALUE` override the error comes from, if it comes from one.
    pub setting: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every part can carry user text: each is escaped and cut here, whatever its maker did.
        let field = escaped(&self.field, MAX_FIELD_BYTES);
        let message = escaped(&self.message, MAX_MESSAGE_BYTES);
        match &self.setting {
            Some(setting) => {
                let set_field = setting.split_once('=').map_or(setting.as_str(), |(field, _)| field.trim());
                let setting = escaped(setting, MAX_SETTING_BYTES);
                if self.field.is_empty() || self.field == set_field {
                    write!(f, "--set {setting}: {message}")
                } else {
                    write!(f, "--set {setting}: {field}: {message}")
                }
            }
            None => {
                let origin = escaped(&self.origin, MAX_ORIGIN_BYTES);
                write!(f, "{origin}:{}:{}: ", self.line, self.column)?;
                if !self.field.is_empty() {
                    write!(f, "{field}: ")?;
                }
                f.write_str(&message)
            }
        }
    }
}

/// Most bytes shown of a field path (the longest valid one is under 100).
const MAX_FIELD_BYTES: usize = MAX_PATH_BYTES;
/// Most bytes shown of a `--set FIELD=VALUE`.
const MAX_SETTING_BYTES: usize = MAX_PATH_BYTES;
/// Most bytes shown of a file name.
const MAX_ORIGIN_BYTES: usize = 1024;
/// Most bytes of a message: far above any message exsim writes (each quoted value is cut to
/// [`crate::shown::MAX_SHOWN_CHARS`] already); a bound of last resort. With the others, a whole
/// error stays under 4 KiB.
const MAX_MESSAGE_BYTES: usize = 2048;

/// `text` with every character [`shown`] would escape escaped, cut once it reaches `max` bytes
/// with a note of its full length.
fn escaped(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if out.len() >= max {
            out.push_str(&format!("… ({} bytes in all)", text.len()));
            break;
        }
        if c.is_ascii_graphic() || c == ' ' {
            out.push(c);
        } else {
            out.push_str(&shown(c.encode_utf8(&mut buf)));
        }
    }
    out
}

impl std::error::Error for ScenarioError {}

/// One `--set FIELD=VALUE` from the command line.
///
/// `FIELD` is a dotted path into the scenario (`agents.noise.count`, `exchange.crash_at`); `VALUE`
/// is read as a TOML value when it is one (`40`, `true`, `["ioc_rests"]`, `{ USD = "10" }`),
/// and otherwise as a string (`2s`, `BTC-USD`). A value TOML reads as a float or a date (`0.01`)
/// is kept as the string it was written as, so decimals stay exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// Dotted path of the field.
    pub field: String,
    /// The value as written.
    pub value: String,
}

impl Override {
    /// `FIELD=VALUE`, as it would be written on the command line.
    pub fn text(&self) -> String {
        format!("{}={}", self.field, self.value)
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.field, self.value)
    }
}

impl FromStr for Override {
    type Err = ScenarioError;

    /// Splits at the first `=`; the field (trimmed) must not be empty.
    fn from_str(text: &str) -> Result<Override, ScenarioError> {
        let error = |message: &str| ScenarioError {
            origin: "--set".to_owned(),
            line: 0,
            column: 0,
            field: String::new(),
            message: message.to_owned(),
            setting: Some(text.to_owned()),
        };
        let Some((field, value)) = text.split_once('=') else {
            return Err(error("expected FIELD=VALUE, e.g. `--set agents.noise.count=40`"));
        };
        let field = field.trim();
        if field.is_empty() {
            return Err(error("the field before `=` is empty; expected FIELD=VALUE, e.g. `--set seed=9`"));
        }
        Ok(Override { field: field.to_owned(), value: value.to_owned() })
    }
}

/// 1-based line and column (in characters) of byte `offset` in `source`. An offset past the end
/// or inside a character is moved back to the nearest character boundary. A byte-order mark
/// opening the file is not a column.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    line_column_bytes(source.as_bytes(), offset)
}

/// [`line_column`] of bytes that may not all be UTF-8: each byte that does not continue a UTF-8
/// sequence starts a column.
pub(crate) fn line_column_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut column = before[line_start..].iter().filter(|&&b| (b & 0xC0) != 0x80).count() + 1;
    if line == 1 && before.starts_with(BOM) {
        column -= 1;
    }
    (line, column)
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 4), (1, 5));
        assert_eq!(line_column(src, 6), (2, 1));
        assert_eq!(line_column(src, 9), (2, 3));
        assert_eq!(line_column(src, 8), (2, 2)); // inside `é`
        assert_eq!(line_column(src, 1000), (3, 1));
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column_and_bad_bytes_are() {
        let src = "\u{feff}name = 5\nx = 1";
        assert_eq!(line_column(src, 3), (1, 1));
        assert_eq!(line_column(src, 10), (1, 8));
        assert_eq!(line_column(src, 16), (2, 5));
        assert_eq!(line_column_bytes(b"ab\xff\xfecd\n\xffz", 5), (1, 6));
        assert_eq!(line_column_bytes(b"ab\xff\xfecd\n\xffz", 8), (2, 2));
    }

    #[test]
    fn display_escapes_and_cuts_every_part() {
        let huge = format!("\u{1b}[2J{}", "é".repeat(100_000));
        let file = ScenarioError {
            origin: huge.clone(),
            line: 1,
            column: 2,
            field: huge.clone(),
            message: huge.clone(),
            setting: None,
        };
        let set = ScenarioError { setting: Some(format!("{huge}={huge}")), ..file.clone() };
        for e in [file, set] {
            let text = e.to_string();
            assert!(!text.chars().any(char::is_control), "{text}");
            assert!(text.len() < 4096, "{} bytes", text.len());
            assert!(text.contains("\\u{1b}[2Jéé") && text.contains("bytes in all)"), "{text}");
        }
    }

    #[test]
    fn overrides_split_at_the_first_equals_sign() {
        let o: Override = "description=a=b".parse().unwrap();
        assert_eq!((o.field.as_str(), o.value.as_str()), ("description", "a=b"));
        assert!("seed".parse::<Override>().is_err());
        assert!(" =1".parse::<Override>().is_err());
        let err = "seed".parse::<Override>().unwrap_err();
        assert!(err.to_string().starts_with("--set seed: expected FIELD=VALUE"), "{err}");
    }
}
