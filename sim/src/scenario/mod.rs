//! Scenario files (SPEC §7): TOML in, a validated [`Scenario`] per run out.
//!
//! [`parse`] reads one file into a [`ScenarioFile`]: the base run and one run per
//! `[[variants]]` entry, each fully resolved into the integer-unit model (`model.rs`) (the
//! contract with the simulator). The format, field by field, is documented in
//! `scenarios/README.md`.
//!
//! How a run is made:
//! 0. the file's bytes become its text ([`text`]: at most [`limits::MAX_FILE_BYTES`] of UTF-8),
//!    and its tokens and nesting are bounded (`nesting.rs`) before any tree is built;
//! 1. the file is parsed into a tree whose every value remembers its place (`tree.rs`);
//! 2. for a variant: its `expect` table (if any) replaces the base's, then its `set` entries
//!    apply in file order;
//! 3. the command-line overrides (`--set FIELD=VALUE`) apply, in order, to every run;
//! 4. the tree is validated and converted (`build.rs`, `custody.rs`, `agents.rs`); the SPEC §6
//!    policies, with their fields and defaults, are catalogued in [`policies`].
//!
//! Invariants kept here:
//! - [`parse`] never panics, whatever its input (the `scenario_parse` fuzz target checks it);
//! - all or nothing: either every run of the file validates, or the result is the first error,
//!   with its file, line, column and field (or the `--set` it comes from); nothing half-parsed
//!   is ever returned;
//! - deterministic: the same text and overrides give the same runs, in file order;
//! - an error at a place in the file that only shows because of a `--set` is blamed on that
//!   `--set` (naming the place too), never on the file's line alone;
//! - bounded and linear: every input bound of [`limits`] is checked before what it protects
//!   runs; each run starts from a shallow copy of the base document, so a file's runs cost the
//!   file once plus their overrides, and the runs share their description and sources.

mod agents;
mod build;
mod custody;
mod identity;
mod model;
pub mod policies;
pub mod schema;

// The located-value toolkit the parser is built on lives in `crate::input`, below both the
// parser and the agent kinds that parse their own fields.
pub use crate::input::limits;
use crate::input::{context, error, kind_fields, tree, values};

pub use crate::input::format_ns;
pub use crate::input::KindFields;
pub use crate::input::{Override, ScenarioError};
pub use model::*;

use std::collections::BTreeMap;
use std::sync::Arc;

use context::Ctx;
use tree::{Entry, Origin, Table, Value};
use values::{check_name, shared_string, string, Fields};

use crate::shown::{shown, shown_bytes};

/// The scenario `exsim` runs when given none: one BTC-USD market, a crowd of agents, random
/// crashes, two seconds.
pub const QUICKSTART: &str = include_str!("../../../scenarios/quickstart.toml");

/// Scenarios built into the binary: (name, source).
pub const EMBEDDED: &[(&str, &str)] = &[("quickstart", QUICKSTART)];

/// The source of the embedded scenario called `name`.
pub fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, source)| *source)
}

/// A parsed scenario file: its name and its runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioFile {
    /// The scenario's `name`.
    pub name: String,
    /// `runs[0]` is the base (variant `base`), then each variant in file order.
    pub runs: Vec<Scenario>,
}

/// A scenario file's bytes as its text: at most [`limits::MAX_FILE_BYTES`] bytes of UTF-8 (a
/// byte-order mark is allowed), or an error at the first byte that is not (`origin` names the
/// file). Read the file with at most one byte more than the bound, e.g.
/// `file.take(MAX_FILE_BYTES as u64 + 1)`, so an endless one is refused after the bound.
pub fn text(bytes: Vec<u8>, origin: &str) -> Result<String, ScenarioError> {
    let at = |offset: usize, message: String| {
        let (line, column) = error::line_column_bytes(&bytes, offset);
        ScenarioError { origin: origin.to_owned(), line, column, field: String::new(), message, setting: None }
    };
    if bytes.len() > limits::MAX_FILE_BYTES {
        return Err(at(limits::MAX_FILE_BYTES, tree::too_big(bytes.len())));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let bytes = e.as_bytes();
            let start = e.utf8_error().valid_up_to();
            let len = e.utf8_error().error_len().unwrap_or(bytes.len() - start);
            let bad = shown_bytes(&bytes[start..start + len]);
            let (line, column) = error::line_column_bytes(bytes, start);
            Err(ScenarioError {
                origin: origin.to_owned(),
                line,
                column,
                field: String::new(),
                message: format!("invalid UTF-8 (bytes {bad}); a scenario file is UTF-8 text"),
                setting: None,
            })
        }
    }
}

/// Fields of one `[[variants]]` entry.
pub(crate) const VARIANT_FIELDS: [&str; 4] = ["name", "description", "set", "expect"];

/// One `[[variants]]` entry, checked but not yet applied.
struct Variant {
    name: String,
    description: Option<Arc<str>>,
    expect: Option<Entry>,
    /// (dotted path, value, where the key is written)
    set: Vec<(Vec<String>, tree::Node, Origin)>,
}

/// The command-line overrides, read once: (path, value) in order; each one's index is its
/// [`Origin::Set`].
type CliOverrides = Vec<(Vec<String>, tree::Node)>;

/// Parses and validates a scenario file. `origin` names it in errors (a path, or `quickstart`);
/// `overrides` apply to every run, after a variant's own `set`.
pub fn parse(source: &str, origin: &str, overrides: &[Override]) -> Result<ScenarioFile, ScenarioError> {
    let settings: Vec<String> = overrides.iter().map(Override::text).collect();
    let ctx = Ctx { source, origin, settings: &settings, variant: None };
    let mut root = tree::parse_document(&ctx, source)?;
    let variants_entry = root.remove("variants");
    let cli = read_overrides(&ctx, overrides)?;
    let base = build_run(&ctx, &root, &cli, "base")?;

    let variants = match variants_entry {
        Some(entry) => variants(&ctx, &entry)?,
        None => Vec::new(),
    };
    let mut runs = Vec::with_capacity(1 + variants.len());
    runs.push(base);
    for variant in variants {
        let ctx = Ctx { variant: Some(&variant.name), ..ctx };
        // A shallow copy: only the tables the overrides below change are copied.
        let mut tree = root.clone();
        if let Some(expect) = variant.expect {
            tree.set("expect", expect.key_origin, expect.node);
        }
        for (path, node, at) in variant.set {
            tree::apply(&ctx, &mut tree, &path, node, at)?;
        }
        let mut run = build_run(&ctx, &tree, &cli, &variant.name)?;
        if let Some(description) = variant.description {
            run.description = description;
        }
        runs.push(run);
    }
    Ok(ScenarioFile { name: runs[0].name.clone(), runs })
}

/// Splits and reads every `--set`, in order.
fn read_overrides(ctx: &Ctx<'_>, overrides: &[Override]) -> Result<CliOverrides, ScenarioError> {
    let mut out = Vec::with_capacity(overrides.len());
    for (index, o) in overrides.iter().enumerate() {
        let path = tree::split_path(ctx, &o.field, Origin::Set(index))?;
        let node = tree::parse_override_value(ctx, &o.value, &o.field, path.len(), index)?;
        out.push((path, node));
    }
    Ok(out)
}

/// Applies the first `count` command-line overrides to `tree`.
fn apply_overrides(ctx: &Ctx<'_>, tree: &mut Table, cli: &CliOverrides, count: usize) -> Result<(), ScenarioError> {
    for (index, (path, node)) in cli.iter().take(count).enumerate() {
        tree::apply(ctx, tree, path, node.clone(), Origin::Set(index))?;
    }
    Ok(())
}

/// Builds one run from `before` (the document with the variant's own changes) and the
/// command-line overrides.
///
/// An error at a place in the file that only shows with the overrides is blamed on the first
/// override that makes it show (`--set duration=1ms: exchange.crash_at[0]: … (the value is at
/// FILE:LINE:COLUMN)`), not on the file's line, which is fine on its own.
fn build_run(ctx: &Ctx<'_>, before: &Table, cli: &CliOverrides, variant: &str) -> Result<Scenario, ScenarioError> {
    let mut tree = before.clone();
    apply_overrides(ctx, &mut tree, cli, cli.len())?;
    let error = match build::build(ctx, &tree, variant) {
        Ok(run) => return Ok(run),
        Err(e) if e.setting.is_some() || cli.is_empty() => return Err(e),
        Err(e) => e,
    };
    drop(tree);
    // The error path only: rebuild with the first k overrides until the same error shows.
    let mut culprit = cli.len() - 1;
    for k in 0..cli.len() {
        let mut tree = before.clone();
        apply_overrides(ctx, &mut tree, cli, k)?;
        if build::build(ctx, &tree, variant).err().as_ref() == Some(&error) {
            if k == 0 {
                return Err(error);
            }
            culprit = k - 1;
            break;
        }
    }
    let message =
        format!("{} (the value is at {}:{}:{})", error.message, shown(&error.origin), error.line, error.column);
    Err(ScenarioError {
        origin: "--set".to_owned(),
        line: 0,
        column: 0,
        field: error.field,
        message,
        setting: Some(ctx.settings.get(culprit).cloned().unwrap_or_default()),
    })
}

/// Checks the `[[variants]]` entries: known fields, unique names, `set` as a table.
fn variants(ctx: &Ctx<'_>, entry: &Entry) -> Result<Vec<Variant>, ScenarioError> {
    let Value::Array(items) = &entry.node.value else {
        return Err(ctx.error(
            entry.node.origin,
            "variants",
            format!("expected an array of tables (`[[variants]]`), found {}", entry.node.value.type_name()),
        ));
    };
    if items.len() > limits::MAX_VARIANTS {
        return Err(ctx.error(entry.node.origin, "variants", format!("more than {} variants", limits::MAX_VARIANTS)));
    }
    let mut out: Vec<Variant> = Vec::with_capacity(items.len());
    let mut seen: BTreeMap<&str, Origin> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("variants[{i}]");
        let f = Fields::open(ctx, item, &path, &VARIANT_FIELDS)?;
        let name_node = f.require(ctx, "name", "name = \"no_crashes\"")?;
        let name = string(ctx, name_node, &f.path("name"))?;
        check_name(name, false).map_err(|m| ctx.error(name_node.origin, &f.path("name"), m))?;
        if name == "base" {
            return Err(ctx.error(
                name_node.origin,
                &f.path("name"),
                "`base` is the name of the run without variants; choose another",
            ));
        }
        if let Some(first) = seen.get(name) {
            let first = match first {
                Origin::File(offset) => format!(" (first at line {})", error::line_column(ctx.source, *offset).0),
                Origin::Set(_) => String::new(),
            };
            return Err(ctx.error(
                name_node.origin,
                &f.path("name"),
                format!("variant `{name}` is defined twice{first}"),
            ));
        }
        seen.insert(name, name_node.origin);
        let description = f.opt("description", None, |n, p| shared_string(ctx, n, p).map(Some))?;
        let expect = f.table.entry("expect").cloned();
        let mut set = Vec::new();
        if let Some(node) = f.get("set") {
            let table = Fields::any(ctx, node, &f.path("set"))?;
            for e in table.table.entries() {
                let path = tree::split_path(ctx, &e.key, e.key_origin)?;
                set.push((path, e.node.clone(), e.key_origin));
            }
        }
        out.push(Variant { name: name.to_owned(), description, expect, set });
    }
    Ok(out)
}
