//! Scenario files (SPEC §7): TOML in, a validated [`Scenario`] per run out.
//!
//! [`parse`] reads one file into a [`ScenarioFile`]: the base run and one run per
//! `[[variants]]` entry, each fully resolved into the integer-unit model (`model.rs`) (the
//! contract with the simulator). The format, field by field, is documented in
//! `scenarios/README.md`.
//!
//! How a run is made:
//! 1. the file is parsed into a tree whose every value remembers its place (`tree.rs`);
//! 2. for a variant: its `expect` table (if any) replaces the base's, then its `set` entries
//!    apply in file order;
//! 3. the command-line overrides (`--set FIELD=VALUE`) apply, in order, to every run;
//! 4. the tree is validated and converted (`build.rs`, `agents.rs`).
//!
//! Invariants kept here:
//! - [`parse`] never panics, whatever its input (the `scenario_parse` fuzz target checks it);
//! - all or nothing: either every run of the file validates, or the result is the first error,
//!   with its file, line, column and field (or the `--set` it comes from); nothing half-parsed
//!   is ever returned;
//! - deterministic: the same text and overrides give the same runs, in file order.

mod agents;
mod build;
mod context;
mod error;
pub mod limits;
mod model;
mod tree;
mod values;

pub use error::{Override, ScenarioError};
pub use model::*;
pub use values::format_ns;

use context::Ctx;
use tree::{Entry, Origin, Table, Value};
use values::{check_name, string, Fields};

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

/// Fields of one `[[variants]]` entry.
const VARIANT_FIELDS: [&str; 4] = ["name", "description", "set", "expect"];

/// One `[[variants]]` entry, checked but not yet applied.
struct Variant {
    name: String,
    description: Option<String>,
    expect: Option<Entry>,
    /// (dotted path, value, where the key is written)
    set: Vec<(Vec<String>, tree::Node, Origin)>,
}

/// Parses and validates a scenario file. `origin` names it in errors (a path, or `quickstart`);
/// `overrides` apply to every run, after a variant's own `set`.
pub fn parse(source: &str, origin: &str, overrides: &[Override]) -> Result<ScenarioFile, ScenarioError> {
    let settings: Vec<String> = overrides.iter().map(Override::text).collect();
    let ctx = Ctx { source, origin, settings: &settings, variant: None };
    let mut root = tree::parse_document(&ctx, source)?;
    let variants_entry = root.remove("variants");

    let mut base_tree = root.clone();
    apply_overrides(&ctx, &mut base_tree, overrides)?;
    let base = build::build(&ctx, &base_tree, "base")?;

    let variants = match variants_entry {
        Some(entry) => variants(&ctx, &entry)?,
        None => Vec::new(),
    };
    let mut runs = Vec::with_capacity(1 + variants.len());
    runs.push(base);
    for variant in variants {
        let ctx = Ctx { variant: Some(&variant.name), ..ctx };
        let mut tree = root.clone();
        if let Some(expect) = variant.expect {
            tree.set("expect", expect.key_origin, expect.node);
        }
        for (path, node, at) in variant.set {
            tree::apply(&ctx, &mut tree, &path, node, at)?;
        }
        apply_overrides(&ctx, &mut tree, overrides)?;
        let mut run = build::build(&ctx, &tree, &variant.name)?;
        if let Some(description) = variant.description {
            run.description = description;
        }
        runs.push(run);
    }
    Ok(ScenarioFile { name: runs[0].name.clone(), runs })
}

fn apply_overrides(ctx: &Ctx<'_>, tree: &mut Table, overrides: &[Override]) -> Result<(), ScenarioError> {
    for (index, o) in overrides.iter().enumerate() {
        let path: Vec<String> = o.field.split('.').map(str::to_owned).collect();
        let node = tree::parse_override_value(ctx, &o.value, &o.field, index)?;
        tree::apply(ctx, tree, &path, node, Origin::Set(index))?;
    }
    Ok(())
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
    let mut seen: Vec<(String, Origin)> = Vec::new();
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
        if let Some((_, first)) = seen.iter().find(|(n, _)| n == name) {
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
        seen.push((name.to_owned(), name_node.origin));
        let description = f.opt("description", None, |n, p| string(ctx, n, p).map(|s| Some(s.to_owned())))?;
        let expect = f.table.entries.iter().find(|e| e.key == "expect").cloned();
        let mut set = Vec::new();
        if let Some(node) = f.get("set") {
            let table = Fields::any(ctx, node, &f.path("set"))?;
            for e in &table.table.entries {
                let path: Vec<String> = e.key.split('.').map(str::to_owned).collect();
                set.push((path, e.node.clone(), e.key_origin));
            }
        }
        out.push(Variant { name: name.to_owned(), description, expect, set });
    }
    Ok(out)
}
