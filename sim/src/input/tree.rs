//! The scenario document as a tree of values that remember where they came from, and the one
//! override mechanism (`--set` and a variant's `set`) that edits it.
//!
//! Invariants kept here:
//! - every node and key carries its [`Origin`]: a byte offset in the file, or the index of the
//!   command-line override that put it there, so any later error can name its place;
//! - tables keep file order (then the order overrides added keys in), so ids derived from it
//!   (asset, market and agent group indices) are deterministic;
//! - an override is checked while it walks; an error leaves the run unbuilt (the caller drops
//!   the tree), so nothing half-applied is ever validated;
//! - a path to an asset, market or agent group that does not exist is an error with a "did you
//!   mean", never a silently created group (see [`NAMED`]);
//! - bounded before walked: a file over [`MAX_FILE_BYTES`] or nested deeper than [`MAX_DEPTH`]
//!   (`nesting.rs`), an override value nested too deep, and a field path over
//!   [`MAX_PATH_BYTES`] or [`MAX_DEPTH`] names are refused before any tree is built or walked,
//!   so no recursion here goes deeper than twice [`MAX_DEPTH`];
//! - linear: a key lookup is O(log n) (each table has an index); cloning a tree is shallow
//!   (strings, arrays and tables are shared), and an override copies only the tables on its path;
//! - user text quoted in an error (keys, names, values) goes through [`shown`].

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::context::Ctx;
use super::error::ScenarioError;
use super::limits::{MAX_DEPTH, MAX_FILE_BYTES, MAX_PATH_BYTES};
use super::nesting;
use crate::shown::shown;
use crate::suggest::did_you_mean;

/// Where a value or key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Byte offset of its start in the scenario file.
    File(usize),
    /// Index of the command-line override (`--set`) that set it.
    Set(usize),
}

/// A value and its origin.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub origin: Origin,
    pub value: Value,
}

/// A TOML value. Floats and dates are kept as written: the format has no field for them, so they
/// only ever appear in error messages.
///
/// Strings, arrays and tables are shared, not copied, when a node is cloned: every run of a file
/// starts from a clone of the base document, and an override copies only the tables on its path
/// (`Rc::make_mut`), so the runs of a file cost the file once plus their overrides.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Str(Arc<str>),
    Int(i64),
    Float(String),
    Bool(bool),
    Datetime(String),
    Array(Rc<[Node]>),
    Table(Rc<Table>),
}

impl Value {
    /// The TOML type's name, for "expected …, found …" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// One key of a table.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub key: String,
    pub key_origin: Origin,
    pub node: Node,
}

/// A table in key order (file order, then keys added by overrides), with an index by key so a
/// lookup is O(log n) whatever the table's size.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    entries: Vec<Entry>,
    /// Key → position in `entries`.
    index: BTreeMap<String, usize>,
}

impl Table {
    /// The entries, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.node)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).map(|&i| &self.entries[i])
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.index.get(key).map(|&i| &mut self.entries[i].node)
    }

    /// Removes `key`, returning its entry.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        let i = self.index.remove(key)?;
        let entry = self.entries.remove(i);
        for position in self.index.values_mut() {
            if *position > i {
                *position -= 1;
            }
        }
        Some(entry)
    }

    /// Sets `key` to `node`, keeping its place if it exists, appending it otherwise.
    pub fn set(&mut self, key: &str, key_origin: Origin, node: Node) {
        match self.index.get(key) {
            Some(&i) => self.entries[i].node = node,
            None => self.push(Entry { key: key.to_owned(), key_origin, node }),
        }
    }

    /// Appends an entry whose key is not in the table yet.
    fn push(&mut self, entry: Entry) {
        self.index.insert(entry.key.clone(), self.entries.len());
        self.entries.push(entry);
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_str())
    }
}

/// Joins a dotted path.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// ` (did you mean `x`?)`, or nothing.
pub(crate) fn hint<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(input, candidates).map(|s| format!(" (did you mean `{}`?)", shown(s))).unwrap_or_default()
}

/// At most this many names are listed in one message ("defined: …").
const LISTED_NAMES: usize = 10;

/// `a, b, c`, each name escaped and cut, at most [`LISTED_NAMES`] of them and then how many more.
pub(crate) fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut more = 0usize;
    for name in names {
        if out.len() < LISTED_NAMES {
            out.push(shown(name));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        out.push(format!("… and {more} more"));
    }
    out.join(", ")
}

/// Parses the whole file into a tree. The file is within [`MAX_FILE_BYTES`] and nests at most
/// [`MAX_DEPTH`] deep, or the error says so before the `toml` crate sees it.
pub(crate) fn parse_document(ctx: &Ctx<'_>, source: &str) -> Result<Table, ScenarioError> {
    if source.len() > MAX_FILE_BYTES {
        return Err(ctx.error(Origin::File(MAX_FILE_BYTES), "", too_big(source.len())));
    }
    nesting::document(source).map_err(|e| ctx.error(Origin::File(e.offset), &e.field, e.message()))?;
    let root = DeTable::parse(source).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ctx.error(Origin::File(offset), "", format!("invalid TOML: {}", e.message().trim()))
    })?;
    let mut at = Vec::new();
    convert_table(ctx, root.get_ref(), &mut at, &|span| Origin::File(span.start))
}

/// The message for a file of `len` bytes, more than [`MAX_FILE_BYTES`].
pub(crate) fn too_big(len: usize) -> String {
    let more = if len > MAX_FILE_BYTES + 1 { format!("{len} bytes") } else { "more".to_owned() };
    format!(
        "the file is larger than {} MiB ({MAX_FILE_BYTES} bytes), the most a scenario file may be; this one has {more}",
        MAX_FILE_BYTES >> 20
    )
}

/// Reads an override's `VALUE`, to be set `depth` levels deep: a TOML value when it is one
/// (floats and dates excepted, which stay the text they were written as), otherwise the text as
/// a string.
pub(crate) fn parse_override_value(
    ctx: &Ctx<'_>,
    text: &str,
    path: &str,
    depth: usize,
    index: usize,
) -> Result<Node, ScenarioError> {
    let origin = Origin::Set(index);
    nesting::value(text, depth).map_err(|e| ctx.error(origin, path, e.message()))?;
    match DeValue::parse(text) {
        Ok(value) if !matches!(value.get_ref(), DeValue::Float(_) | DeValue::Datetime(_)) => {
            let mut at = vec![Step::Path(path)];
            convert_value(ctx, &value, &mut at, &|_| origin)
        }
        _ => Ok(Node { origin, value: Value::Str(Arc::from(text)) }),
    }
}

/// Splits a dotted field path (`--set FIELD=…`, a key of a variant's `set`) into its names,
/// refusing one longer than [`MAX_PATH_BYTES`] or with more than [`MAX_DEPTH`] names before
/// anything walks it.
pub(crate) fn split_path(ctx: &Ctx<'_>, text: &str, at: Origin) -> Result<Vec<String>, ScenarioError> {
    if text.len() > MAX_PATH_BYTES {
        return Err(ctx.error(
            at,
            text,
            format!(
                "the field path is {} bytes long, more than the maximum of {MAX_PATH_BYTES}; expected dotted names like `agents.noise.count`",
                text.len()
            ),
        ));
    }
    let names = text.split('.').count();
    if names > MAX_DEPTH {
        return Err(ctx.error(
            at,
            text,
            format!(
                "the field path has {names} names, more than the maximum of {MAX_DEPTH}; expected dotted names like `agents.noise.count`"
            ),
        ));
    }
    Ok(text.split('.').map(str::to_owned).collect())
}

type Locate<'f> = dyn Fn(std::ops::Range<usize>) -> Origin + 'f;

/// One step of the path to the value being converted; the path is spelled out only for an error.
enum Step<'a> {
    Path(&'a str),
    Key(&'a str),
    Index(usize),
}

fn spell(at: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in at {
        match step {
            Step::Path(p) => out.push_str(p),
            Step::Key(k) => out = join(&out, k),
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn convert_table<'d>(
    ctx: &Ctx<'_>,
    table: &'d DeTable<'_>,
    at: &mut Vec<Step<'d>>,
    locate: &Locate<'_>,
) -> Result<Table, ScenarioError> {
    let mut out = Table::default();
    for (key, value) in table.iter() {
        at.push(Step::Key(key.get_ref()));
        let node = convert_value(ctx, value, at, locate)?;
        at.pop();
        out.push(Entry { key: key.get_ref().to_string(), key_origin: locate(key.span()), node });
    }
    Ok(out)
}

fn convert_value<'d>(
    ctx: &Ctx<'_>,
    value: &'d Spanned<DeValue<'_>>,
    at: &mut Vec<Step<'d>>,
    locate: &Locate<'_>,
) -> Result<Node, ScenarioError> {
    let origin = locate(value.span());
    let value = match value.get_ref() {
        DeValue::String(s) => Value::Str(Arc::from(&**s)),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => {
                let message = format!("integer {} is out of range (at most {})", shown(i.as_str()), i64::MAX);
                return Err(ctx.error(origin, &spell(at), message));
            }
        },
        DeValue::Float(f) => Value::Float(f.as_str().to_owned()),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Index(i));
                nodes.push(convert_value(ctx, item, at, locate)?);
                at.pop();
            }
            Value::Array(Rc::from(nodes))
        }
        DeValue::Table(t) => Value::Table(Rc::new(convert_table(ctx, t, at, locate)?)),
    };
    Ok(Node { origin, value })
}

/// Top-level fields an override may not touch: they identify the file and its runs.
const FIXED: [&str; 2] = ["name", "variants"];

/// Tables whose keys are user-chosen names (a symbol, a market, a group), what one entry is
/// called, and the key every new entry must have. An override may add an entry only as a whole
/// table with that key; any other path to a missing entry is a misspelling (with a "did you
/// mean"), never a silently created group.
const NAMED: [(&str, &str, &str); 3] =
    [("assets", "asset", "decimals"), ("markets", "market", "base"), ("agents", "agent group", "kind")];

/// Sets `path` (dotted, already split) to `node` in `root`.
///
/// Missing tables on the way are created, except entries of `assets`, `markets` and `agents`
/// (see [`NAMED`]). A table value merges into an existing table key by key; any other value
/// (arrays included) replaces what was there. `at` is where the override is written (the key in
/// a variant's `set`, or the `--set`).
pub(crate) fn apply(
    ctx: &Ctx<'_>,
    root: &mut Table,
    path: &[String],
    node: Node,
    at: Origin,
) -> Result<(), ScenarioError> {
    let dotted = path.join(".");
    if path.is_empty() || path.iter().any(|s| s.is_empty()) {
        return Err(ctx.error(
            at,
            &dotted,
            "empty name in the field path; expected dotted names like `agents.noise.count`",
        ));
    }
    if let Some(fixed) = FIXED.iter().find(|f| path[0] == **f) {
        return Err(ctx.error(at, &dotted, format!("`{fixed}` cannot be overridden")));
    }
    set_in(ctx, root, "", None, path, node, at)
}

/// Sets `path`, relative to `table` (whose own path is `prefix`), to `node`. `named` is set when
/// `table` is one of the [`NAMED`] tables: (what an entry is called, its required key).
fn set_in(
    ctx: &Ctx<'_>,
    table: &mut Table,
    prefix: &str,
    named: Option<(&str, &str)>,
    path: &[String],
    node: Node,
    at: Origin,
) -> Result<(), ScenarioError> {
    let Some((first, rest)) = path.split_first() else {
        return Err(ctx.error(at, prefix, "empty field path"));
    };
    let here = join(prefix, first);
    if let (Some((what, required)), None) = (named, table.get(first)) {
        let complete = rest.is_empty() && matches!(&node.value, Value::Table(t) if t.get(required).is_some());
        if !complete {
            let hint = hint(first, table.keys());
            let list = if table.entries().is_empty() {
                "none is defined".to_owned()
            } else {
                format!("defined: {}", list_names(table.keys()))
            };
            return Err(ctx.error(
                at,
                &here,
                format!(
                    "no {what} `{}`{hint}; {list} (a new one must be set as a whole table with `{required}`)",
                    shown(first)
                ),
            ));
        }
    }
    let inner_named = if prefix.is_empty() {
        NAMED.iter().find(|(name, _, _)| name == first).map(|&(_, what, required)| (what, required))
    } else {
        None
    };
    if rest.is_empty() {
        let merge = matches!(node.value, Value::Table(_))
            && matches!(table.get(first), Some(Node { value: Value::Table(_), .. }));
        if !merge {
            table.set(first, at, node);
            return Ok(());
        }
        if let (Value::Table(new), Some(Node { value: Value::Table(old), .. })) = (node.value, table.get_mut(first)) {
            let old = Rc::make_mut(old);
            for entry in new.entries() {
                let key = std::slice::from_ref(&entry.key);
                set_in(ctx, old, &here, inner_named, key, entry.node.clone(), entry.key_origin)?;
            }
        }
        return Ok(());
    }
    if table.get(first).is_none() {
        table.set(first, at, Node { origin: at, value: Value::Table(Rc::default()) });
    }
    match table.get_mut(first) {
        Some(Node { value: Value::Table(inner), .. }) => {
            set_in(ctx, Rc::make_mut(inner), &here, inner_named, rest, node, at)
        }
        Some(other) => {
            let whole = join(prefix, &path.join("."));
            Err(ctx.error(
                at,
                &here,
                format!("is {}, not a table, so `{}` cannot be set", other.value.type_name(), shown(&whole)),
            ))
        }
        None => Err(ctx.error(at, &here, "could not be created")),
    }
}
