//! Hostile inputs: scenario files and their overrides (issue 7, classes 2, 5, 6 (scenario side)
//! and 8). See `main.rs` for what every row checks.
//!
//! `MINIMAL` is 16 lines, so text appended to it starts on line 17.

use super::*;

/// The scenario file every row writes.
const FILE: &str = "hostile.toml";

/// `MINIMAL` with `extra` appended (starting on line 17).
fn minimal_with(extra: &str) -> String {
    format!("{MINIMAL}{extra}")
}

/// `exsim check hostile.toml` on `text`.
fn check_file(name: &'static str, text: impl Into<Vec<u8>>, expect: Expect) -> Case {
    Case::new(name, &["check", FILE], expect).file(FILE, text)
}

/// `exsim run hostile.toml ARGS…` on `MINIMAL`.
fn run_minimal(name: &'static str, args: &[&str], expect: Expect) -> Case {
    let mut all = vec!["run", FILE];
    all.extend_from_slice(args);
    Case::new(name, &all, expect).file(FILE, MINIMAL)
}

/// `n` copies of `open`, then `inner`, then `n` copies of `close`.
fn nest(n: usize, open: &str, inner: &str, close: &str) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

/// `n` dotted names `a.a.….a`.
fn names(n: usize) -> String {
    vec!["a"; n].join(".")
}

// Class 2: nesting and path length are bounded before anything recurses (was: stack overflow,
// exit 134).

#[test]
fn deep_override_paths_are_refused_before_they_are_walked() {
    let long_set = format!("{}=1", names(12_000));
    let many_names = format!("{}=1", names(100));
    let long_exchange = format!("exchange.{}=1", names(12_000));
    let deep_value = format!("exchange.house_funding={}", nest(50_000, "[", "1", "]"));
    let deep_mixed = format!("exchange.house_funding={}", nest(78, &format!("{{{}=", names(78)), "1", "}"));
    let deep_table = format!("agents={}", nest(40, "{a=", "1", "}"));
    run_table(&[
        run_minimal(
            "--set path of 12,000 names",
            &["--set", &long_set],
            Expect::BadInput(&["--set a.a.a", "field path is 23999 bytes long", "maximum of 256"]),
        ),
        run_minimal(
            "--set path of 100 short names",
            &["--set", &many_names],
            Expect::BadInput(&["--set a.a.a", "has 100 names, more than the maximum of 32"]),
        ),
        run_minimal(
            "--set path of 12,000 names under a real table",
            &["--set", &long_exchange],
            Expect::BadInput(&["--set exchange.a.a", "maximum of 256", "agents.noise.count"]),
        ),
        run_minimal(
            "--set value nested 50,000 arrays deep",
            &["--set", &deep_value],
            Expect::BadInput(&["--set exchange.house_funding=[[[", "nested more than 32 levels deep"]),
        ),
        run_minimal(
            "--set value of inline tables with 78 dotted names each",
            &["--set", &deep_mixed],
            Expect::BadInput(&["--set exchange.house_funding={a.a", "nested more than 32 levels deep"]),
        ),
        run_minimal(
            "--set value of 40 nested inline tables",
            &["--set", &deep_table],
            Expect::BadInput(&["--set agents={a={", "nested more than 32"]),
        ),
        Case::new(
            "variant override of 12,000 names",
            &["check", FILE],
            Expect::BadInput(&[
                "hostile.toml:20:9: exchange.a.a.a",
                "field path is 24008 bytes long, more than the maximum of 256",
            ]),
        )
        .file(
            FILE,
            minimal_with(&format!("\n[[variants]]\nname = \"v\"\nset = {{ \"exchange.{}\" = 1 }}\n", names(12_000))),
        ),
        Case::new(
            "variant override of 40 names",
            &["check", FILE],
            Expect::BadInput(&["hostile.toml:20:9: exchange.a.a", "has 41 names, more than the maximum of 32"]),
        )
        .file(
            FILE,
            minimal_with(&format!("\n[[variants]]\nname = \"v\"\nset = {{ \"exchange.{}\" = 1 }}\n", names(40))),
        ),
    ]);
}

#[test]
fn deep_toml_is_refused_before_the_toml_crate_builds_it() {
    let deep_key = minimal_with(&format!("{} = 1\n", names(12_000)));
    run_table(&[
        check_file(
            "array nested 100,000 deep",
            minimal_with(&format!("x = {}\n", nest(100_000, "[", "", "]"))),
            Expect::BadInput(&[
                "hostile.toml:17:35: markets.BTC-USD.x: nested more than 32 levels deep",
                "deeper than 7",
            ]),
        ),
        check_file(
            "inline tables nested 100,000 deep",
            minimal_with(&format!("x = {}\n", nest(100_000, "{a=", "1", "}"))),
            Expect::BadInput(&["hostile.toml:17:", "markets.BTC-USD.x.a.a", "nested more than 32 levels deep"]),
        ),
        check_file(
            "inline tables with 78 dotted names each (past the toml crate's own limits)",
            minimal_with(&format!("x = {}\n", nest(78, &format!("{{{}=", names(78)), "1", "}"))),
            Expect::BadInput(&["hostile.toml:17:", "nested more than 32 levels deep"]),
        ),
        check_file(
            "arrays of inline tables with 78 dotted names each",
            minimal_with(&format!("x = {}\n", nest(39, &format!("[{{{}=", names(78)), "1", "}]"))),
            Expect::BadInput(&["hostile.toml:17:", "nested more than 32 levels deep"]),
        ),
        check_file(
            "dotted key of 12,000 names",
            deep_key.clone(),
            Expect::BadInput(&["hostile.toml:17:61: markets.BTC-USD.a.a", "nested more than 32"]),
        ),
        check_file(
            "dotted key of 79 names (within the toml crate's limit)",
            minimal_with(&format!("{} = 1\n", names(79))),
            Expect::BadInput(&["hostile.toml:17:61:", "nested more than 32"]),
        ),
        check_file(
            "table header of 12,000 names",
            minimal_with(&format!("[{}]\n", names(12_000))),
            Expect::BadInput(&["hostile.toml:17:66: a.a.a", "nested more than 32"]),
        ),
        check_file(
            "array-of-tables header of 12,000 names",
            minimal_with(&format!("[[{}]]\n", names(12_000))),
            Expect::BadInput(&["hostile.toml:17:", "nested more than 32"]),
        ),
        check_file(
            "deep value inside a variant's set",
            minimal_with(&format!("\n[[variants]]\nname = \"v\"\nset = {{ x = {} }}\n", nest(40, "[", "1", "]"))),
            Expect::BadInput(&["hostile.toml:20:", "variants.set.x", "nested more than 32"]),
        ),
        Case::new("deep dotted key through run", &["run", FILE], Expect::BadInput(&["hostile.toml:17:61:"]))
            .file(FILE, deep_key),
    ]);
}

#[test]
fn nesting_within_the_bound_still_runs() {
    // The deepest real field, set both ways, and a --set that creates tables on its way.
    let variant = "\n[[variants]]\nname = \"nested\"\nset = { exchange = { house_funding = { USD = \"1000\" } }, \"network.loss\" = \"0\" }\n";
    run_table(&[Case::new(
        "variant set of nested tables, --set creating a table",
        &["run", FILE, "--set", "exchange.quote_ttl=1s", "--set", "agents.noise={ kind = \"noise_trader\", market = \"BTC-USD\", max_size = \"0.05\", funding = { USD = \"100000\", BTC = \"2\" } }"],
        Expect::Runs(0, &["hostile", "nested"]),
    )
    .file(FILE, minimal_with(variant))]);
}

// Class 6 (scenario side): reads are bounded (was: read until memory runs out).

#[test]
fn unbounded_and_odd_files_are_refused_after_the_bound() {
    let sixteen_mib = 16 << 20;
    // A valid file of exactly the bound: the scenario, then comment lines to fill it.
    let mut exact = minimal_with("");
    let line = format!("#{}\n", "c".repeat(1022));
    while exact.len() + line.len() <= sixteen_mib {
        exact.push_str(&line);
    }
    exact.push_str(&"#".repeat(sixteen_mib - exact.len() - 1));
    exact.push('\n');
    assert_eq!(exact.len(), sixteen_mib);
    let mut over = exact.clone();
    over.push('\n');
    run_table(&[
        Case::new(
            "check /dev/zero",
            &["check", "/dev/zero"],
            Expect::BadInput(&["/dev/zero:1:16777217: the file is larger than 16 MiB (16777216 bytes)"]),
        ),
        Case::new("run /dev/zero", &["run", "/dev/zero"], Expect::BadInput(&["/dev/zero:1:16777217:", "16 MiB"])),
        Case::new(
            "sweep /dev/zero",
            &["sweep", "/dev/zero", "--seeds", "1..3"],
            Expect::BadInput(&["larger than 16 MiB"]),
        ),
        Case::new(
            "check /dev/urandom",
            &["check", "/dev/urandom"],
            Expect::BadInput(&["/dev/urandom:", "larger than 16 MiB"]),
        ),
        Case::new("endless pipe", &["check", "/dev/stdin"], Expect::BadInput(&["/dev/stdin:1:16777217:", "16 MiB"]))
            .stdin(vec![b'a'; 17 << 20]),
        Case::new("a pipe within the bound", &["check", "/dev/stdin"], Expect::Runs(0, &["ok"])).stdin(MINIMAL),
        Case::new("a directory", &["check", "."], Expect::BadInput(&[".: is a directory; expected a scenario file"])),
        Case::new("run a directory", &["run", "sub"], Expect::BadInput(&["sub: is a directory"])).file("sub/x", "x"),
        Case::new(
            "/dev/null",
            &["check", "/dev/null"],
            Expect::BadInput(&["/dev/null:1:1: name: missing required field `name`"]),
        ),
        check_file("a file of exactly 16 MiB", exact, Expect::Runs(0, &["ok"])),
        check_file("a file of 16 MiB and one byte", over, Expect::BadInput(&["hostile.toml:", "larger than 16 MiB"])),
        check_file(
            "a file of 20 MiB in one line",
            vec![b'x'; 20 << 20],
            Expect::BadInput(&["hostile.toml:1:16777217: the file is larger than 16 MiB"]),
        ),
    ]);
}

// Class 5: parsing is linear in the input (was: quadratic in override keys, edit distance on
// 100 KB names, one copy of the document per variant). Each row is sized so the old behaviour
// passes the CPU-time or address-space limit.

#[test]
fn many_overrides_long_names_and_many_variants_stay_linear() {
    // 240,000 keys in one variant's `set` (some 3 minutes of CPU with a scan per key).
    let keys: Vec<String> = (0..240_000).map(|i| format!("\"exchange.k{i}\"=1")).collect();
    let many_keys = minimal_with(&format!("\n[[variants]]\nname = \"v\"\nset = {{{}}}\n", keys.join(",")));
    // 40 agent groups named by 20,000 letters, and an override naming a 41st.
    let long = "g".repeat(20_000);
    let groups: String = (0..40)
        .map(|i| format!("\n[agents.{long}{i}]\nkind = \"noise_trader\"\nmarket = \"BTC-USD\"\nmax_size = \"0.01\"\n"))
        .collect();
    let long_override = format!("agents={{ \"{long}x\" = {{ count = 1 }} }}");
    // A 5 MB description shared by 100 variants (580 MB when each kept a copy).
    let variants: String = (0..100).map(|i| format!("\n[[variants]]\nname = \"v{i}\"\n")).collect();
    let described = MINIMAL.replace("seed = 1\n", &format!("seed = 1\ndescription = \"{}\"\n", "d".repeat(5_000_000)));
    run_table(&[
        check_file(
            "240,000 override keys in one variant",
            many_keys,
            Expect::BadInput(&["hostile.toml:20:8: exchange.k0: unknown field `k0`", "quote_ttl", "(in variant `v`)"]),
        ),
        Case::new(
            "did-you-mean among 20,000-letter names",
            &["run", FILE, "--set", &long_override],
            Expect::BadInput(&[
                "--set agents={",
                "no agent group `ggg",
                "(20001 bytes in all)",
                "… and 30 more",
                "with `kind`",
            ]),
        )
        .file(FILE, minimal_with(&groups)),
        Case::new(
            "unknown kind of 100,000 letters",
            &["check", FILE],
            Expect::BadInput(&[
                "hostile.toml:19:8: agents.g.kind: unknown agent kind `kkk",
                "(100000 bytes in all)",
                "kinds: market_maker",
            ]),
        )
        .file(FILE, minimal_with(&format!("\n[agents.g]\nkind = \"{}\"\n", "k".repeat(100_000)))),
        Case::new("a 5 MB description in 100 variants", &["check", FILE], Expect::Runs(0, &["101 run(s)"]))
            .file(FILE, format!("{described}{variants}"))
            .address_space(400 << 20),
    ]);
}
