//! `--report DIR` (SPEC §9 "Report") through the real binary: the page holds the charts and the
//! runs side by side with the numbers `--json` prints for the same runs, loads nothing, escapes
//! user text, stays the same size as a run grows longer, and an unwritable directory is exit 2
//! before anything runs. A run's digest is the same with and without the series.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn exsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exsim")).args(args).output().expect("exsim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn scenario(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name).display().to_string()
}

/// Runs `args` with `--report` into a fresh directory and returns the command's output and page.
fn report(args: &[&str]) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let page_dir = dir.path().join("report");
    let mut all: Vec<&str> = args.to_vec();
    let d = page_dir.display().to_string();
    all.extend(["--report", &d]);
    let out = exsim(&all);
    let page = fs::read_to_string(page_dir.join("index.html")).unwrap_or_default();
    (out, page)
}

/// Nothing on the page is loaded from anywhere: no script, stylesheet, font, image or frame.
fn assert_self_contained(page: &str) {
    let lower = page.to_lowercase();
    for banned in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "src=", "href=", "http://",
        "https://",
    ] {
        assert!(!lower.contains(banned), "the page contains {banned:?}");
    }
    assert!(lower.starts_with("<!doctype html>"), "an HTML5 page");
}

#[test]
fn an_incident_report_shows_every_run_side_by_side_with_its_charts() {
    let file = scenario("flexcoin_2014.toml");
    let (out, page) = report(&["run", &file, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("report written to"), "{}", text(&out.stderr));
    assert_self_contained(&page);
    let runs: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(runs.len(), 3, "the base and two variants");
    // The side-by-side table has one row per run, with its own numbers.
    assert!(page.contains("id=\"f0-runs\""), "the runs table");
    assert_eq!(page.matches("<tr class=\"run\">").count(), runs.len());
    for r in &runs {
        let (variant, digest) = (r["variant"].as_str().unwrap(), r["digest"].as_str().unwrap());
        assert!(page.contains(digest), "{variant}'s digest {digest}");
        assert!(page.contains(r["reproduce"].as_str().unwrap()), "{variant}'s reproduce command");
        let stolen = r["breach"]["stolen"]["BTC"].as_str().unwrap();
        if stolen != "0" {
            assert!(page.contains(&format!("{stolen} BTC")), "{variant} stole {stolen} BTC");
        }
        for (id, status) in r["invariants"].as_object().unwrap() {
            if status["status"] == "violated" {
                assert!(page.contains(&format!("{id} first violated")), "{variant}: {id} on the timeline");
            }
        }
    }
    assert_eq!(runs[0]["breach"]["stolen"]["BTC"], "887.04", "the base run is the theft");
    // The charts: the timeline, the breach over time, reserves per asset and run, withdrawals.
    for id in [
        "f0-invariants",
        "f0-timeline",
        "f0-breach-stolen-0",
        "f0-reserves-0-run-0",
        "f0-reserves-0-run-2",
        "f0-withdrawals-0",
        "f0-reproduce",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(page.matches("<figure class=\"chart").count() >= 6, "the charts are figures");
    assert!(page.contains("<path class=\"spans\""), "the base run's shortfall is shaded");
    assert!(page.contains("customer liabilities") && page.contains("first attack") && page.contains("detected"));
    // The scenario's text, escaped.
    assert!(page.contains("name = &quot;flexcoin_2014&quot;") || page.contains("name = \"flexcoin_2014\""));
}

#[test]
fn the_quickstart_report_has_prices_and_crashes() {
    let (out, page) = report(&["run", "--set", "duration=300ms"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_self_contained(&page);
    for id in ["f0-price-0-run-0", "f0-price-0-run-1", "f0-volume-0-run-0", "f0-timeline", "f0-reserves-1-run-0"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(page.contains("best bid") && page.contains("fair value") && page.contains("last trade"));
    assert!(page.contains("No run had value stolen"), "a run without a breach says so");
}

#[test]
fn user_text_is_escaped() {
    let quickstart = fs::read_to_string(scenario("quickstart.toml")).unwrap();
    let hostile = "Hostile <script>alert(1)</script> & <b>bold</b> ";
    let text_in = quickstart
        .replacen("description = \"\"\"", &format!("description = \"\"\"{hostile}"), 1)
        .replace("duration = \"2s\"", "duration = \"100ms\"");
    assert!(text_in.contains(hostile));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.toml");
    fs::write(&file, text_in).unwrap();
    let (out, page) = report(&["run", &file.display().to_string(), "--variant", "base"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_self_contained(&page);
    assert!(!page.contains("<b>bold</b>") && !page.contains("alert(1)</script>"), "raw markup on the page");
    assert!(page.contains("Hostile &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"));
}

/// Points in a page's SVG paths: every command letter starts one.
fn path_points(page: &str) -> usize {
    page.split(" d=\"").skip(1).map(|p| p.split('"').next().unwrap().matches(['M', 'L', 'H', 'V']).count()).sum()
}

#[test]
fn a_longer_run_gives_a_page_of_the_same_size() {
    // Both long enough that every time bucket has trades; one sixteen times longer.
    let short = report(&["run", "--variant", "no_crashes", "--set", "duration=500ms"]);
    let long = report(&["run", "--variant", "no_crashes", "--set", "duration=8s"]);
    for (out, page) in [&short, &long] {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_self_contained(page);
    }
    let (a, b) = (short.1.len(), long.1.len());
    assert!(b < a * 11 / 10 && b < 1_000_000, "sixteen times longer: {a} → {b} bytes");
    let (pa, pb) = (path_points(&short.1), path_points(&long.1));
    assert!(pb < pa * 11 / 10, "sixteen times longer: {pa} → {pb} points");
}

#[test]
fn an_unwritable_report_directory_is_exit_2_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "not a directory").unwrap();
    let under = file.join("report").display().to_string();
    for args in [vec!["run", "--report", &under], vec!["sweep", "quickstart", "--seeds", "0..1", "--report", &under]] {
        let out = exsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "nothing ran: {}", text(&out.stdout));
        assert!(text(&out.stderr).contains("--report"), "{}", text(&out.stderr));
    }
}

#[test]
fn a_report_never_overwrites_a_scenario_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("index.html");
    let quickstart = fs::read_to_string(scenario("quickstart.toml")).unwrap();
    fs::write(&input, &quickstart).unwrap();
    let d = dir.path().display().to_string();
    let out = exsim(&["run", &input.display().to_string(), "--report", &d]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("never overwrites its inputs"), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(&input).unwrap(), quickstart, "the input is untouched");
}

#[test]
fn a_sweep_report_counts_seeds_and_lists_failures() {
    let (out, page) = report(&[
        "sweep",
        "quickstart",
        "--seeds",
        "0..3",
        "--variant",
        "base",
        "--fault",
        "ioc_rests",
        "--set",
        "duration=100ms",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_self_contained(&page);
    for id in ["sweep-variants", "sweep-outcomes", "sweep-invariants", "sweep-failures"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(page.contains("tif_respected") && page.contains("3 of 3"), "every seed broke tif_respected");
    for seed in 0..3 {
        assert!(page.contains(&format!("--seed {seed}")), "seed {seed}'s reproduce command");
    }
}

#[test]
fn collecting_the_series_leaves_the_digest_alone() {
    let mut s = exsim::scenario::parse(exsim::scenario::QUICKSTART, "quickstart", &[]).unwrap().runs.remove(0);
    s.duration_ns = 200_000_000;
    let plain = exsim::sim::run::run(&s, None).unwrap();
    let collect = exsim::sim::run::Collect { series: true, ..Default::default() };
    let with = exsim::sim::run::run_collecting(&s, None, collect).unwrap();
    assert_eq!(plain.digest, with.digest);
    assert_eq!(plain.events, with.events);
    assert!(plain.series.is_none());
    let series = with.series.expect("asked for");
    assert!(series.len() > 100 && series.len() <= exsim::sim::series::BUCKETS, "{}", series.len());
    let fills: u64 = (0..series.len()).map(|b| series.market(b, 0).fills).sum();
    assert_eq!(fills, with.markets[0].fills, "every trade is in the series");
}
