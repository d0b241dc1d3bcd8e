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
//!   mean", never a silently created group (see [`NAMED`]).

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::context::Ctx;
use super::error::ScenarioError;
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
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    Float(String),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Table),
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

/// A table in key order (file order, then keys added by overrides).
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    pub entries: Vec<Entry>,
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.node)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries.iter_mut().find(|e| e.key == key).map(|e| &mut e.node)
    }

    /// Removes `key`, returning its entry.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(i))
    }

    /// Sets `key` to `node`, keeping its place if it exists, appending it otherwise.
    pub fn set(&mut self, key: &str, key_origin: Origin, node: Node) {
        match self.entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => entry.node = node,
            None => self.entries.push(Entry { key: key.to_owned(), key_origin, node }),
        }
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
    did_you_mean(input, candidates).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
}

/// Parses the whole file into a tree.
pub(crate) fn parse_document(ctx: &Ctx<'_>, source: &str) -> Result<Table, ScenarioError> {
    let root = DeTable::parse(source).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ctx.error(Origin::File(offset), "", format!("invalid TOML: {}", e.message().trim()))
    })?;
    convert_table(ctx, root.get_ref(), "", &|span| Origin::File(span.start))
}

/// Reads an override's `VALUE`: a TOML value when it is one (floats and dates excepted, which
/// stay the text they were written as), otherwise the text as a string.
pub(crate) fn parse_override_value(ctx: &Ctx<'_>, text: &str, path: &str, index: usize) -> Result<Node, ScenarioError> {
    let origin = Origin::Set(index);
    match DeValue::parse(text) {
        Ok(value) if !matches!(value.get_ref(), DeValue::Float(_) | DeValue::Datetime(_)) => {
            convert_value(ctx, &value, path, &|_| origin)
        }
        _ => Ok(Node { origin, value: Value::Str(text.to_owned()) }),
    }
}

type Locate<'f> = dyn Fn(std::ops::Range<usize>) -> Origin + 'f;

fn convert_table(ctx: &Ctx<'_>, table: &DeTable<'_>, path: &str, locate: &Locate<'_>) -> Result<Table, ScenarioError> {
    let mut out = Table::default();
    for (key, value) in table.iter() {
        let key_path = join(path, key.get_ref());
        let node = convert_value(ctx, value, &key_path, locate)?;
        out.entries.push(Entry { key: key.get_ref().to_string(), key_origin: locate(key.span()), node });
    }
    Ok(out)
}

fn convert_value(
    ctx: &Ctx<'_>,
    value: &Spanned<DeValue<'_>>,
    path: &str,
    locate: &Locate<'_>,
) -> Result<Node, ScenarioError> {
    let origin = locate(value.span());
    let value = match value.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => return Err(ctx.error(origin, path, format!("integer {i} is out of range"))),
        },
        DeValue::Float(f) => Value::Float(f.as_str().to_owned()),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| convert_value(ctx, item, &format!("{path}[{i}]"), locate))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => Value::Table(convert_table(ctx, t, path, locate)?),
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
            let names: Vec<&str> = table.keys().collect();
            let hint = hint(first, names.iter().copied());
            let list =
                if names.is_empty() { "none is defined".to_owned() } else { format!("defined: {}", names.join(", ")) };
            return Err(ctx.error(
                at,
                &here,
                format!("no {what} `{first}`{hint}; {list} (a new one must be set as a whole table with `{required}`)"),
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
            for entry in new.entries {
                let key = std::slice::from_ref(&entry.key);
                set_in(ctx, old, &here, inner_named, key, entry.node, entry.key_origin)?;
            }
        }
        return Ok(());
    }
    if table.get(first).is_none() {
        table.set(first, at, Node { origin: at, value: Value::Table(Table::default()) });
    }
    match table.get_mut(first) {
        Some(Node { value: Value::Table(inner), .. }) => set_in(ctx, inner, &here, inner_named, rest, node, at),
        Some(other) => {
            let whole = join(prefix, &path.join("."));
            Err(ctx.error(
                at,
                &here,
                format!("is {}, not a table, so `{whole}` cannot be set", other.value.type_name()),
            ))
        }
        None => Err(ctx.error(at, &here, "could not be created")),
    }
}
