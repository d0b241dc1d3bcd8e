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

// Class 8: messages are located, escaped and bounded, and say what would be valid.

/// `MINIMAL` with `line` in place of `seed = 1` (line 2).
fn minimal_line2(line: &str) -> String {
    MINIMAL.replace("seed = 1\n", &format!("{line}\n"))
}

#[test]
fn control_characters_from_the_file_are_escaped() {
    run_table(&[
        check_file(
            "escape sequence in an unknown key",
            minimal_with("\"\\u001b[31mred\" = 1\n"),
            Expect::BadInput(&[
                "hostile.toml:17:1: markets.BTC-USD.\\u{1b}[31mred: unknown field `\\u{1b}[31mred`",
                "expected one of: base",
            ]),
        ),
        check_file(
            "right-to-left override in a key",
            minimal_with("\"\u{202e}txt.exe\" = 1\n"),
            Expect::BadInput(&["hostile.toml:17:1:", "\\u{202e}txt.exe", "expected one of"]),
        ),
        check_file(
            "escape sequence in a duration's unit",
            minimal_with("step = \"1\\u001b[2J\"\n"),
            Expect::BadInput(&[
                "hostile.toml:17:8: markets.BTC-USD.step: duration \"1\\u{1b}[2J\" has an unknown unit `\\u{1b}[2J`",
                "(ns, us, ms, s, m, h, d)",
            ]),
        ),
        check_file(
            "terminal title sequence in the name",
            MINIMAL.replace("name = \"hostile\"", "name = \"\\u001b]0;pwned\\u0007\""),
            Expect::BadInput(&[
                "hostile.toml:1:8: name: name \"\\u{1b}]0;pwned\\u{7}\" must be 1 to 64 characters of a-z, 0-9",
            ]),
        ),
        check_file(
            "escape sequence in an agent kind",
            minimal_with("\n[agents.g]\nkind = \"\\u001b[5m\"\n"),
            Expect::BadInput(&[
                "hostile.toml:19:8: agents.g.kind: unknown agent kind `\\u{1b}[5m`",
                "kinds: market_maker",
            ]),
        ),
        check_file(
            "escape sequence in a fault",
            minimal_line2("faults = [\"\\u001b[5m\"]"),
            Expect::BadInput(&["hostile.toml:2:11: faults[0]: unknown fault `\\u{1b}[5m`", "exsim list faults"]),
        ),
        check_file(
            "escape sequence in an expected invariant",
            minimal_with("\n[expect]\nviolated = [\"\\u001b[5m\"]\n"),
            Expect::BadInput(&[
                "hostile.toml:19:13: expect.violated[0]: unknown invariant `\\u{1b}[5m`",
                "exsim list invariants",
            ]),
        ),
        check_file(
            "escape sequence in an asset reference",
            MINIMAL.replace("base = \"BTC\"", "base = \"\\u001b[5m\""),
            Expect::BadInput(&[
                "hostile.toml:12:8: markets.BTC-USD.base: unknown asset `\\u{1b}[5m`",
                "defined: BTC, USD",
            ]),
        ),
        check_file(
            "escape sequence in an asset symbol",
            minimal_with("\n[assets.\"\\u001b[5m\"]\ndecimals = 2\n"),
            Expect::BadInput(&["hostile.toml:18:9: assets.\\u{1b}[5m", "must be 1 to 12 characters of A-Z and 0-9"]),
        ),
        Case::new(
            "escape sequence in the file's name",
            &["check", "e\u{1b}[2J.toml"],
            Expect::BadInput(&["e\\u{1b}[2J.toml:17:1: markets.BTC-USD.x: unknown field `x`"]),
        )
        .file("e\u{1b}[2J.toml", minimal_with("x = 1\n")),
        Case::new(
            "escape sequence in a missing file's name",
            &["check", "nothing\u{1b}[2J"],
            Expect::BadInput(&["nothing\\u{1b}[2J: no such file"]),
        ),
    ]);
}

#[test]
fn control_characters_from_the_command_line_are_escaped() {
    run_table(&[
        run_minimal(
            "escape sequence in a --set path",
            &["--set", "agents.\u{1b}[2J.count=1"],
            Expect::BadInput(&[
                "--set agents.\\u{1b}[2J.count=1: agents.\\u{1b}[2J: no agent group `\\u{1b}[2J`",
                "with `kind`",
            ]),
        ),
        run_minimal(
            "escape sequence in a --set value",
            &["--set", "duration=\u{1b}[31m"],
            Expect::BadInput(&[
                "--set duration=\\u{1b}[31m: duration \"\\u{1b}[31m\" has an unknown unit",
                "e.g. \"10ms\"",
            ]),
        ),
        run_minimal(
            "escape sequence in --variant",
            &["--variant", "x\u{1b}[31m"],
            Expect::BadInput(&["--variant x\\u{1b}[31m: hostile.toml has no such variant; it has: base"]),
        ),
        run_minimal(
            "escape sequence in --fault",
            &["--fault", "x\u{1b}[31m"],
            Expect::BadInput(&["--fault x\\u{1b}[31m: unknown fault `x\\u{1b}[31m`", "exsim list faults"]),
        ),
        run_minimal(
            "newline in a --set field",
            &["--set", "see\nd=1"],
            Expect::BadInput(&[
                "--set see\\nd=1: unknown field `see\\nd` (did you mean `seed`?); expected one of: name",
            ]),
        ),
    ]);
}

#[test]
fn long_values_are_cut() {
    let mb = |c: &str| c.repeat(5_000_000);
    run_table(&[
        check_file(
            "a 5 MB name",
            MINIMAL.replace("name = \"hostile\"", &format!("name = \"{}\"", mb("n"))),
            Expect::BadInput(&["hostile.toml:1:8: name: name \"nnnn", "… (5000000 bytes in all)\" must be 1 to 64"]),
        ),
        check_file(
            "a 5 MB duration",
            MINIMAL.replace("duration = \"10ms\"", &format!("duration = \"1{}\"", mb("s"))),
            Expect::BadInput(&[
                "hostile.toml:3:12: duration: duration \"1sss",
                "(5000001 bytes in all)\" has an unknown unit",
                "(5000000 bytes in all)`",
            ]),
        ),
        check_file(
            "a 5 MB decimal",
            MINIMAL.replace("tick = \"1\"", &format!("tick = \"{}\"", mb("9"))),
            Expect::BadInput(&[
                "hostile.toml:14:8: markets.BTC-USD.tick: \"9999",
                "(5000000 bytes in all)\" has too many digits (at most 28",
            ]),
        ),
        check_file(
            "a 5 MB unknown key",
            minimal_with(&format!("{} = 1\n", mb("k"))),
            Expect::BadInput(&[
                "hostile.toml:17:1: markets.BTC-USD.kkkk",
                "unknown field `kkkk",
                "(5000000 bytes in all)`; expected one of: base",
            ]),
        ),
        check_file(
            "a 5 MB string where an integer goes",
            minimal_line2(&format!("seed = \"{}\"", mb("1"))),
            Expect::BadInput(&[
                "hostile.toml:2:8: seed: expected an integer in 0..=9223372036854775807, found a string",
            ]),
        ),
        check_file(
            "a huge integer",
            minimal_line2(&format!("seed = {}", mb("9"))),
            Expect::BadInput(&["hostile.toml:2:8: seed: integer 9999", "(5000000 bytes in all) is out of range"]),
        ),
        run_minimal(
            "a 100 KB --set value",
            &["--set", &format!("duration={}", "x".repeat(100_000))],
            Expect::BadInput(&[
                "--set duration=xxxx",
                "(100009 bytes in all): duration \"xxx",
                "(100000 bytes in all)\" has an unknown unit",
            ]),
        ),
    ]);
}

#[test]
fn invalid_utf8_is_located() {
    let mut bad = MINIMAL.as_bytes().to_vec();
    let at = MINIMAL.find("BTC\"").expect("base = \"BTC\"") + 1;
    bad[at] = 0xff;
    run_table(&[
        check_file(
            "a bad byte in a string",
            bad,
            Expect::BadInput(&["hostile.toml:12:10: invalid UTF-8 (bytes \\xff); a scenario file is UTF-8 text"]),
        ),
        check_file(
            "a truncated sequence at the end",
            minimal_with("# caf\u{e9}").into_bytes()[..MINIMAL.len() + 6].to_vec(),
            Expect::BadInput(&["hostile.toml:17:6: invalid UTF-8 (bytes \\xc3)"]),
        ),
        check_file(
            "UTF-16 with its byte-order mark",
            [0xff, 0xfe, b'n', 0, b'a', 0].to_vec(),
            Expect::BadInput(&["hostile.toml:1:1: invalid UTF-8 (bytes \\xff)"]),
        ),
    ]);
}

#[test]
fn signs_case_slips_and_the_byte_order_mark() {
    run_table(&[
        check_file(
            "negative duration",
            minimal_with("step = \"-5ms\"\n"),
            Expect::BadInput(&["hostile.toml:17:8: markets.BTC-USD.step: duration \"-5ms\" has a sign; durations are written without one, e.g. \"5ms\""]),
        ),
        check_file(
            "positive sign in a duration",
            MINIMAL.replace("duration = \"10ms\"", "duration = \"+10ms\""),
            Expect::BadInput(&["hostile.toml:3:12: duration: duration \"+10ms\" has a sign", "e.g. \"10ms\""]),
        ),
        check_file(
            "upper-case duration unit",
            MINIMAL.replace("duration = \"10ms\"", "duration = \"1MS\""),
            Expect::BadInput(&["hostile.toml:3:12: duration: duration \"1MS\" has an unknown unit `MS` (did you mean \"1ms\"?)"]),
        ),
        check_file(
            "upper-case fault",
            minimal_line2("faults = [\"IOC_RESTS\"]"),
            Expect::BadInput(&["hostile.toml:2:11: faults[0]: unknown fault `IOC_RESTS` (did you mean `ioc_rests`?)"]),
        ),
        run_minimal(
            "upper-case --fault",
            &["--fault", "IOC_RESTS"],
            Expect::BadInput(&["--fault IOC_RESTS: unknown fault `IOC_RESTS` (did you mean `ioc_rests`?)"]),
        ),
        check_file(
            "capitalised agent kind",
            minimal_with("\n[agents.g]\nkind = \"Market_Maker\"\n"),
            Expect::BadInput(&["hostile.toml:19:8: agents.g.kind: unknown agent kind `Market_Maker` (did you mean `market_maker`?)"]),
        ),
        check_file(
            "lower-case asset",
            MINIMAL.replace("quote = \"USD\"", "quote = \"usd\""),
            Expect::BadInput(&["hostile.toml:13:9: markets.BTC-USD.quote: unknown asset `usd` (did you mean `USD`?)"]),
        ),
        check_file(
            "upper-case invariant",
            minimal_with("\n[expect]\nviolated = [\"TIF_RESPECTED\"]\n"),
            Expect::BadInput(&["unknown invariant `TIF_RESPECTED` (did you mean `tif_respected`?)"]),
        ),
        check_file("a byte-order mark", format!("\u{feff}{MINIMAL}"), Expect::Runs(0, &["ok"])),
        check_file(
            "a byte-order mark before an error on line 1",
            format!("\u{feff}{}", MINIMAL.replace("name = \"hostile\"", "name = 5")),
            Expect::BadInput(&["hostile.toml:1:8: name: expected a string, found an integer 5"]),
        ),
    ]);
}

#[test]
fn set_errors_name_the_set_once_and_take_the_blame() {
    let crash = minimal_with("\n[exchange]\ncrash_at = [\"5ms\"]\n");
    let cases = [
        run_minimal("--set without =", &["--set", "seed"], Expect::BadInput(&["--set seed: expected FIELD=VALUE"])),
        Case::new(
            "an error only the --set causes",
            &["run", FILE, "--set", "seed=3", "--set", "duration=1ms"],
            Expect::BadInput(&[
                "exsim: --set duration=1ms: exchange.crash_at[0]: a crash at 5ms is after the end of the run (1ms) (the value is at hostile.toml:19:13)",
            ]),
        )
        .file(FILE, crash.clone()),
        Case::new(
            "the file's own error stays the file's",
            &["run", FILE, "--set", "seed=3"],
            Expect::BadInput(&["exsim: hostile.toml:19:13: exchange.crash_at[0]: a crash at 5ms is after the end of the run (2ms)"]),
        )
        .file(FILE, crash.replace("duration = \"10ms\"", "duration = \"2ms\"")),
    ];
    run_table(&cases);
    // Each names its --set once (it was `--set seed: --set seed: …`), or not at all.
    for (case, needle, count) in
        cases.iter().zip([("--set seed", 1), ("--set duration=1ms", 1), ("--set", 0)]).map(|(c, (n, k))| (c, n, k))
    {
        let stderr = String::from_utf8_lossy(&execute(case).stderr).into_owned();
        assert_eq!(stderr.matches(needle).count(), count, "{}: {stderr}", case.name);
    }
}
