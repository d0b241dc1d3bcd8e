//! The crash schedule (issue 7, class 3): drawn one crash at a time, yet the same times, the
//! same events and the same digests as a schedule drawn whole; bounded before anything runs; a
//! run's header names a count and a few times, never the whole schedule.

use exsim::rng::Stream;
use exsim::scenario::{self, Scenario};
use exsim::sim::run::{check, crash_schedule, describe, run, CrashSchedule, MAX_RUN_CRASHES};

fn quickstart() -> Scenario {
    scenario::parse(scenario::QUICKSTART, "quickstart", &[]).unwrap().runs.remove(0)
}

/// The schedule as it was drawn before it became lazy: every random time first, then sorted
/// together with the scheduled ones.
fn drawn_whole(s: &Scenario) -> Vec<u64> {
    let mut crashes = s.exchange.crash_at_ns.clone();
    if s.exchange.crash_mean_interval_ns > 0 {
        let mut stream = Stream::new(s.seed, "crash");
        let mut t = 0u64;
        loop {
            t = t.saturating_add(stream.exponential_ns(s.exchange.crash_mean_interval_ns));
            if t > s.duration_ns {
                break;
            }
            crashes.push(t);
        }
    }
    crashes.sort_unstable();
    crashes
}

#[test]
fn the_lazy_schedule_is_the_schedule_drawn_whole() {
    let mut s = quickstart();
    s.exchange.crash_mean_interval_ns = 50_000_000;
    // Unsorted, repeated, at zero and at the very end: merged in order all the same.
    s.exchange.crash_at_ns = vec![500_000_000, 0, 500_000_000, s.duration_ns, 123_456_789];
    let mut random_total = 0;
    for seed in 0..40 {
        s.seed = seed;
        let whole = drawn_whole(&s);
        assert_eq!(crash_schedule(&s), whole, "seed {seed}");
        assert_eq!(CrashSchedule::new(&s).count(), whole.len(), "seed {seed}");
        random_total += whole.len() - s.exchange.crash_at_ns.len();
    }
    assert!(random_total > 40 * 20, "the stream drew random crashes: {random_total}");
    s.exchange.crash_mean_interval_ns = 0;
    assert_eq!(crash_schedule(&s), vec![0, 123_456_789, 500_000_000, 500_000_000, s.duration_ns]);
}

#[test]
fn a_run_with_many_crashes_keeps_its_digest_with_or_without_a_trace() {
    // Crashes at the same nanoseconds as other events: the order must come from the reserved
    // sequence numbers, and tracing changes nothing.
    let mut s = quickstart();
    s.duration_ns = 200_000_000;
    s.exchange.crash_mean_interval_ns = 5_000_000;
    s.exchange.crash_at_ns = vec![1_000_000, 1_000_000, 2_000_000];
    let plain = run(&s, None).unwrap();
    assert!(plain.counts.crashes >= 10, "{:?}", plain.counts);
    let mut trace = Vec::new();
    let traced = run(&s, Some(&mut trace)).unwrap();
    assert_eq!(plain.digest, traced.digest);
    let text = String::from_utf8(trace).unwrap();
    let crashes = text.lines().filter(|l| l.contains("\"kind\":\"crash\"")).count();
    assert_eq!(crashes, drawn_whole(&s).len(), "every scheduled crash fired once");
}

/// The quickstart's base run with these `--set` overrides, or the parser's error.
fn quickstart_with(sets: &[&str]) -> Result<Scenario, String> {
    let overrides: Vec<scenario::Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
    scenario::parse(scenario::QUICKSTART, "quickstart", &overrides)
        .map(|mut f| f.runs.remove(0))
        .map_err(|e| e.to_string())
}

#[test]
fn crashes_are_bounded_before_anything_runs() {
    // 10 ms / 1 us = exactly the bound.
    let s = quickstart_with(&["duration=10ms", "exchange.crash_mean_interval=1us"]).unwrap();
    assert_eq!(s.duration_ns / s.exchange.crash_mean_interval_ns, MAX_RUN_CRASHES);
    assert_eq!(check(&s), Ok(()));
    let e = quickstart_with(&["duration=10ms", "exchange.crash_mean_interval=999ns"]).unwrap_err();
    assert!(
        e.starts_with("--set exchange.crash_mean_interval=999ns: 999ns over a run of 10ms means about 10010 random"),
        "{e}"
    );
    assert!(e.contains("at most 10000 crashes") && e.contains("at least 1us"), "{e}");
    // Scheduled crashes count too.
    let e = quickstart_with(&["duration=10ms", "exchange.crash_mean_interval=1us", "exchange.crash_at=[\"5ms\"]"])
        .unwrap_err();
    assert!(e.contains("besides 1 in crash_at"), "{e}");
    let many = format!("exchange.crash_at=[{}]", vec!["\"1ms\""; MAX_RUN_CRASHES as usize + 1].join(","));
    let e = quickstart_with(&["duration=10ms", "exchange.crash_mean_interval=0s", &many]).unwrap_err();
    assert!(e.starts_with("--set exchange.crash_at=") && e.ends_with("): more than 10000 crashes"), "{e}");
    // A crash every nanosecond for 30 days.
    let e = quickstart_with(&["duration=30d", "exchange.crash_mean_interval=1ns"]).unwrap_err();
    assert!(e.contains("about 2592000000000000 random crashes"), "{e}");
}

#[test]
fn the_header_names_a_count_and_a_few_times() {
    let mut s = quickstart();
    assert!(
        describe(&s).contains("1 crash(es) at [832.033ms] (0 scheduled, random from stream crash with mean 700ms)"),
        "{}",
        describe(&s)
    );
    s.duration_ns = 10_000_000;
    s.exchange.crash_mean_interval_ns = 1_000;
    let header = describe(&s);
    let count = drawn_whole(&s).len();
    assert!(count > 9_000, "{count}");
    assert!(header.contains(&format!("{count} crash(es) at [")), "{header}");
    assert!(header.contains(", …] (0 scheduled, random from stream crash with mean 1us)"), "{header}");
    assert!(header.len() < 400, "{} bytes", header.len());
}
