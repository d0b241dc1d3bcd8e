//! Size and nesting depth of TOML text, measured before the `toml` crate builds a tree from it.
//!
//! The `toml` crate keeps every token and every parser event of a file in memory (some 60 bytes
//! each) before it builds its tree, so a 16 MiB file of `1,1,1,…` took over 2 GB. [`document`]
//! first counts the tokens, without keeping them, and refuses a file of more than
//! [`MAX_TOKENS`].
//!
//! The `toml` crate bounds arrays and inline tables (80 deep) and the names of one dotted key
//! (80) separately, but not together: `x = {a.a.…(78 names) = {a.a.… = {…}}}` nests thousands of
//! levels deep and overflows the stack while the tree is built, walked or dropped. [`document`]
//! and [`value`] walk the event stream of `toml_parser` (the lexer and parser under `toml`)
//! without building anything, and stop at the first value nested deeper than [`MAX_DEPTH`].
//!
//! Invariants kept here:
//! - a document is refused at its first token past [`MAX_TOKENS`], found by a lexing pass that
//!   allocates nothing, before anything else is allocated for it;
//! - a value's depth is the number of names and array levels on its path: each name of a table
//!   header, each name of a dotted key, one level per array (the array of an `[[array.table]]`
//!   included); the same count `tree.rs` and the format's field paths use;
//! - linear in the input: one lexing pass and one event pass, with state bounded by
//!   [`MAX_DEPTH`];
//! - the parser recurses at most `MAX_DEPTH + 1` levels: every array and inline table nested
//!   beyond the bound is refused, and the parser skips it without recursing;
//! - syntax errors are not this file's business: the walk tolerates any event order and leaves
//!   them to the `toml` crate, which reports them with their place.

use toml_parser::parser::{parse_document, parse_value, EventReceiver};
use toml_parser::{ErrorSink, ParseError, Source, Span};

use super::limits::{MAX_DEPTH, MAX_TOKENS};
use crate::shown::shown;

/// Where the text first nests too deep (or has too many tokens): the byte offset and the dotted
/// names leading there.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooDeep {
    pub offset: usize,
    pub field: String,
    /// Too many tokens rather than too deep.
    pub too_many: bool,
}

impl TooDeep {
    /// What is wrong and what would be valid.
    pub fn message(&self) -> String {
        if self.too_many {
            return format!(
                "the file has more than {MAX_TOKENS} tokens (keys, values, punctuation, runs of spaces, \
                 comments and line breaks count one each), the most a scenario file may have"
            );
        }
        format!(
            "nested more than {MAX_DEPTH} levels deep (table names, dotted-key names and arrays counted \
             together); no scenario field is deeper than 7"
        )
    }
}

/// Checks a whole document: its token count, then its depth.
pub(crate) fn document(source: &str) -> Result<(), TooDeep> {
    if let Some(token) = Source::new(source).lex().nth(MAX_TOKENS) {
        return Err(TooDeep { offset: token.span().start(), field: String::new(), too_many: true });
    }
    let tokens = Source::new(source).lex().into_vec();
    let mut walk = Walk::new(source, 0);
    parse_document(&tokens, &mut walk, &mut ());
    walk.too_deep.map_or(Ok(()), Err)
}

/// Checks one value (the `VALUE` of `--set FIELD=VALUE`) that will be set `base` levels deep.
/// Text that is not a TOML value is never too deep: the override reads it as a string.
pub(crate) fn value(text: &str, base: usize) -> Result<(), TooDeep> {
    let tokens = Source::new(text).lex().into_vec();
    let mut walk = Walk::new(text, base);
    let mut syntax: Option<ParseError> = None;
    parse_value(&tokens, &mut walk, &mut syntax);
    match (walk.too_deep, syntax) {
        (Some(too_deep), None) => Err(too_deep),
        _ => Ok(()),
    }
}

/// One open array or inline table.
struct Open {
    array: bool,
    /// Depth of the array or table itself.
    depth: usize,
    /// Names on the path when it opened.
    names: usize,
}

/// The event receiver: the depth of where the parser is.
struct Walk<'s> {
    source: &'s str,
    /// Depth of the table the current header opened (0 at the top).
    base: usize,
    /// Names on the path of that table.
    base_names: usize,
    /// Names of the key being read so far.
    keys: usize,
    /// `Some(is_array_table)` while a table header is read.
    header: Option<bool>,
    /// Depth of the value after the last `=`.
    pending: usize,
    open: Vec<Open>,
    /// Spans of the names on the current path (at most `MAX_DEPTH + 1`).
    names: Vec<Span>,
    too_deep: Option<TooDeep>,
}

impl<'s> Walk<'s> {
    fn new(source: &'s str, base: usize) -> Walk<'s> {
        Walk {
            source,
            base,
            base_names: 0,
            keys: 0,
            header: None,
            pending: base,
            open: Vec::new(),
            names: Vec::new(),
            too_deep: None,
        }
    }

    /// Depth of the innermost open table.
    fn container(&self) -> usize {
        self.open.last().map_or(self.base, |o| o.depth)
    }

    /// Depth of a value that starts here: an array element, or the value after `=`.
    fn value_depth(&self) -> usize {
        match self.open.last() {
            Some(o) if o.array => o.depth + 1,
            _ => self.pending,
        }
    }

    /// Records the first place too deep.
    fn fail(&mut self, span: Span) {
        let field = self
            .names
            .iter()
            .map(|s| shown(self.source.get(s.start()..s.end()).unwrap_or("?")))
            .collect::<Vec<_>>()
            .join(".");
        self.too_deep = Some(TooDeep { offset: span.start(), field, too_many: false });
    }

    fn open(&mut self, span: Span, array: bool) -> bool {
        if self.too_deep.is_some() {
            return false;
        }
        let depth = self.value_depth();
        if depth > MAX_DEPTH {
            self.fail(span);
            return false;
        }
        self.open.push(Open { array, depth, names: self.names.len() });
        true
    }

    fn header_open(&mut self, array: bool) {
        self.header = Some(array);
        self.keys = 0;
        self.open.clear();
        self.names.clear();
    }

    fn header_close(&mut self) {
        self.base = self.keys + usize::from(self.header == Some(true));
        self.base_names = self.names.len();
        self.header = None;
        self.keys = 0;
        self.pending = self.base;
    }
}

impl EventReceiver for Walk<'_> {
    fn std_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.header_open(false);
    }
    fn std_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.header_close();
    }
    fn array_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.header_open(true);
    }
    fn array_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.header_close();
    }
    fn inline_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.open(span, false)
    }
    fn inline_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.open.pop();
    }
    fn array_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.open(span, true)
    }
    fn array_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.open.pop();
    }
    fn simple_key(&mut self, span: Span, _kind: Option<toml_parser::decoder::Encoding>, _error: &mut dyn ErrorSink) {
        if self.too_deep.is_some() {
            return;
        }
        if self.keys == 0 {
            // A new key: its names follow those of the table it is written in.
            let keep = match (self.header, self.open.last()) {
                (Some(_), _) => 0,
                (None, Some(o)) => o.names,
                (None, None) => self.base_names,
            };
            self.names.truncate(keep);
        }
        self.keys += 1;
        self.names.push(span);
        let depth = match self.header {
            Some(_) => self.keys,
            None => self.container() + self.keys,
        };
        if depth > MAX_DEPTH {
            self.fail(span);
        }
    }
    fn key_val_sep(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.pending = self.container() + self.keys;
        self.keys = 0;
    }
    fn scalar(&mut self, span: Span, _kind: Option<toml_parser::decoder::Encoding>, _error: &mut dyn ErrorSink) {
        if self.too_deep.is_none() && self.value_depth() > MAX_DEPTH {
            self.fail(span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str) -> bool {
        document(text).is_ok()
    }

    /// `n` levels of the same shape, via `wrap`, around `inner`.
    fn nest(n: usize, open: &str, inner: &str, close: &str) -> String {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn arrays_tables_and_dotted_names_count_together() {
        // `x` is level 1; each array adds one level to what it holds.
        assert!(depth_ok(&format!("x = {}", nest(MAX_DEPTH - 1, "[", "1", "]"))));
        assert!(!depth_ok(&format!("x = {}", nest(MAX_DEPTH, "[", "1", "]"))));
        assert!(depth_ok(&format!("x = {}", nest(MAX_DEPTH - 1, "{a=", "1", "}"))));
        assert!(!depth_ok(&format!("x = {}", nest(MAX_DEPTH, "{a=", "1", "}"))));
        let names = |n: usize| vec!["a"; n].join(".");
        assert!(depth_ok(&format!("{} = 1", names(MAX_DEPTH))));
        assert!(!depth_ok(&format!("{} = 1", names(MAX_DEPTH + 1))));
        assert!(depth_ok(&format!("[{}]\nb = 1", names(MAX_DEPTH - 1))));
        assert!(!depth_ok(&format!("[{}]\nb = 1", names(MAX_DEPTH))));
        // `[[v]]` is an array: its tables' keys are one level further down.
        assert!(depth_ok(&format!("[[{}]]\nb = 1", names(MAX_DEPTH - 2))));
        assert!(!depth_ok(&format!("[[{}]]\nb = 1", names(MAX_DEPTH - 1))));
        // Nine dotted names inside each of four inline tables: 4 × 9 > MAX_DEPTH.
        let key = names(8);
        assert!(!depth_ok(&format!("x = {}", nest(4, &format!("{{{key}="), "1", "}"))));
        assert!(depth_ok(&format!("x = {}", nest(3, &format!("{{{key}="), "1", "}"))));
    }

    #[test]
    fn depth_resets_between_keys_and_tables() {
        let deep = nest(MAX_DEPTH - 2, "[", "1", "]");
        let text = format!("a = {deep}\nb = {deep}\n[t]\nc = {}\n[u]\nd = 1\n", nest(MAX_DEPTH - 3, "[", "1", "]"));
        assert!(depth_ok(&text), "{text}");
        let in_table = format!("[t]\nc = {}", nest(MAX_DEPTH - 1, "[", "1", "]"));
        assert!(!depth_ok(&in_table));
    }

    #[test]
    fn the_place_and_names_of_the_first_deep_value_are_reported() {
        let text = format!("ok = 1\n[t]\nx.y = {}", nest(100, "[", "1", "]"));
        let err = document(&text).unwrap_err();
        let column = text[..err.offset].rsplit('\n').next().unwrap_or("").len();
        assert_eq!(column, 6 + MAX_DEPTH - 2, "{err:?}");
        assert_eq!(err.field, "t.x.y");
    }

    #[test]
    fn a_hundred_thousand_levels_are_refused_without_recursion() {
        for text in [
            format!("x = {}", nest(100_000, "[", "", "]")),
            format!("x = {}", nest(100_000, "{a=", "1", "}")),
            format!("x = {}", nest(10_000, &format!("{{{}=", vec!["a"; 70].join(".")), "1", "}")),
            format!("{} = 1", vec!["a"; 100_000].join(".")),
            format!("[{}]", vec!["a"; 100_000].join(".")),
        ] {
            assert!(document(&text).is_err());
        }
    }

    #[test]
    fn a_document_of_too_many_tokens_is_refused_at_the_first_one_past_the_bound() {
        // `1,` is two tokens; `x`, ` `, `=`, ` ` and `[` are five, `]` and the end one each.
        let within = format!("x = [{}]", "1,".repeat((MAX_TOKENS - 7) / 2));
        assert!(document(&within).is_ok());
        let over = format!("x = [{}]", "1,".repeat(MAX_TOKENS));
        let err = document(&over).unwrap_err();
        assert!(err.too_many && err.offset == 5 + (MAX_TOKENS - 5), "{err:?}");
        assert!(err.message().contains("more than 1000000 tokens"));
    }

    #[test]
    fn override_values_start_at_their_path_depth() {
        assert!(value(&nest(MAX_DEPTH - 3, "[", "1", "]"), 3).is_ok());
        assert!(value(&nest(MAX_DEPTH - 2, "[", "1", "]"), 3).is_err());
        assert!(value("{ a.b.c = 1 }", MAX_DEPTH - 3).is_ok());
        assert!(value("{ a.b.c = 1 }", MAX_DEPTH - 2).is_err());
        // Not TOML (unclosed): the override reads it as a string, whatever its brackets.
        assert!(value(&"[".repeat(100), 1).is_ok());
        assert!(value("2s", 1).is_ok());
    }
}
