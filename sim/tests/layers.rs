//! The crate's module graph, read from its source: the catalogues are a leaf, the core (engine,
//! ledger, exchange) never reaches the auditor, and no module cycle exists.
//!
//! A module's dependencies are the `crate::NAME` paths in its files' code (comments, where the
//! docs link to other layers, are skipped). Deriving the graph from the files rather than a list
//! kept by hand is what lets this test fail when someone adds the wrong `use`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively, in name order.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> =
        fs::read_dir(dir).expect("readable source dir").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules named by `crate::NAME` in `code`, comments stripped.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let before = &rest[..at];
            rest = &rest[at + "crate::".len()..];
            // `exsim::crate::` never occurs; skip identifiers that merely end in `crate`.
            if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
        // `use crate::{a, b::c}` groups.
        if let Some(at) = line.find("crate::{") {
            let group = &line[at + "crate::{".len()..];
            for item in group.split([',', '}']) {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        }
    }
    found
}

/// Top-level module → the other top-level modules its code uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "main" || module == "lib" {
            continue;
        }
        let code = fs::read_to_string(&file).expect("readable source");
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(crate_paths(&code).into_iter().filter(|d| *d != module));
    }
    graph
}

#[test]
fn the_parser_finds_uses_and_skips_comments() {
    let code = "//! see [`crate::audit`]\nuse crate::units::Price;\nuse crate::{engine::Book, fault};\nlet x = crate::ledger::f(); // crate::sim\n";
    let found: Vec<_> = crate_paths(code).into_iter().collect();
    assert_eq!(found, ["engine", "fault", "ledger", "units"]);
}

#[test]
fn the_catalogues_are_a_leaf() {
    let graph = graph();
    let catalog = graph.get("catalog").expect("sim/src/catalog exists");
    assert!(catalog.is_empty(), "catalog/ must use nothing in the crate, but uses {catalog:?}");
}

#[test]
fn the_core_never_depends_on_the_auditor_or_the_simulator() {
    let graph = graph();
    for core in ["units", "engine", "ledger", "exchange", "fault", "catalog"] {
        let deps = graph.get(core).unwrap_or_else(|| panic!("module {core} exists"));
        for upper in ["audit", "sim", "scenario", "cli"] {
            assert!(!deps.contains(upper), "{core} uses crate::{upper}: {deps:?}");
        }
    }
}

#[test]
fn agents_reach_neither_the_kernel_nor_the_auditor() {
    // An agent sees what a client sees (a `View` the kernel fills); it cannot name the kernel,
    // the gateway, the auditor or the parser, so it cannot read what a client could not know.
    let graph = graph();
    let deps = graph.get("agents").expect("sim/src/agents exists");
    for upper in ["audit", "sim", "scenario", "cli"] {
        assert!(!deps.contains(upper), "agents use crate::{upper}: {deps:?}");
    }
    let input = graph.get("input").expect("sim/src/input exists");
    for upper in ["agents", "scenario", "sim", "audit", "cli"] {
        assert!(!input.contains(upper), "input uses crate::{upper}: {input:?}");
    }
}

#[test]
fn no_module_cycle() {
    let graph = graph();
    assert!(graph.len() > 10, "found the crate's modules: {:?}", graph.keys());
    // Kahn's algorithm: repeatedly remove modules whose dependencies are all removed.
    let mut left = graph.clone();
    loop {
        let ready: Vec<String> = left
            .iter()
            .filter(|(_, deps)| deps.iter().all(|d| !left.contains_key(d)))
            .map(|(m, _)| m.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        for m in ready {
            left.remove(&m);
        }
    }
    assert!(left.is_empty(), "these modules depend on each other in a cycle: {left:#?}");
}
