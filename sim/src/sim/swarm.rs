//! Swarm testing of whole runs (`exsim sweep … --swarm`): each seed also draws the run's options —
//! its length, the network's loss, duplication and reordering, the crash rate, the identity and
//! trading policies, and how many agents of each group — so one sweep explores many
//! configurations, each small enough to run fast, and no single configuration's blind spots hide a
//! bug (Groce et al., "Swarm testing", ISSTA 2012).
//!
//! The options are `--set` overrides (`FIELD=VALUE`), so a run is exactly what `exsim run FILE
//! --seed N --set …` gives: they are printed with every failure's reproduce command, and the
//! scenario parser validates them like any user's.
//!
//! Invariants: the options are a pure function of (seed, the file's agent groups): drawn from
//! the seed's own `swarm` stream, never from the run's streams, so the run's own draws are the
//! same as without swarm for the same options; every value drawn is valid for the parser (a
//! test parses thousands), and faults are never drawn: a swarm run with no `--fault` must hold
//! every invariant its file expects to hold.

use crate::rng::Stream;

/// The options seed `seed` draws for a file whose agent groups are `groups` (name, count).
pub fn draw(seed: u64, groups: &[(String, u32)]) -> Vec<String> {
    let mut rng = Stream::new(seed, "swarm");
    let mut sets = Vec::new();
    // A short run: 100 ms to 2 s.
    sets.push(format!("duration={}ms", rng.uniform(100, 2_000)));
    // The network: each of loss, duplication, reordering off or up to 5% / 5% / 20%.
    for (field, most_permille) in [("loss", 50), ("duplicate", 50), ("reorder", 200)] {
        let permille = if rng.percent(50) { 0 } else { rng.uniform(1, most_permille) };
        sets.push(format!("network.{field}=0.{permille:03}"));
    }
    // Crashes: none, or one every 100 ms to 2 s on average.
    let crash = if rng.percent(30) { 0 } else { rng.uniform(100, 2_000) };
    sets.push(format!("exchange.crash_mean_interval={crash}ms"));
    // Policies: each identity and trading switch either way; a circuit breaker sometimes.
    for field in ["login_2fa", "withdrawal_2fa", "api_key_ip_allowlist", "freeze_on_alert"] {
        sets.push(format!("policy.{field}={}", rng.percent(50)));
    }
    if rng.percent(25) {
        sets.push(format!("policy.circuit_breaker={}%", rng.uniform(1, 30)));
    }
    // The agent mix: each group between one member and twice its size.
    for (name, count) in groups {
        let most = u64::from(*count).saturating_mul(2).clamp(1, 200);
        sets.push(format!("agents.{name}.count={}", rng.uniform(1, most)));
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, Override};

    fn groups() -> Vec<(String, u32)> {
        let file = scenario::parse(scenario::QUICKSTART, "quickstart", &[]).unwrap();
        file.runs[0].agents.iter().map(|g| (g.name.clone(), g.count)).collect()
    }

    #[test]
    fn the_options_are_the_seeds_and_always_parse() {
        let groups = groups();
        assert_eq!(draw(7, &groups), draw(7, &groups), "a pure function of the seed");
        assert_ne!(draw(7, &groups), draw(8, &groups));
        for seed in 0..500 {
            let sets = draw(seed, &groups);
            let overrides: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
            let file = scenario::parse(scenario::QUICKSTART, "quickstart", &overrides)
                .unwrap_or_else(|e| panic!("seed {seed}: {sets:?}: {e}"));
            assert!(file.runs.iter().all(|r| r.duration_ns >= 100_000_000 && r.duration_ns <= 2_000_000_000));
        }
    }

    #[test]
    fn swarm_runs_hold_every_invariant() {
        let groups = groups();
        for seed in 0..6 {
            let overrides: Vec<Override> = draw(seed, &groups).iter().map(|s| s.parse().unwrap()).collect();
            let file = scenario::parse(scenario::QUICKSTART, "quickstart", &overrides).unwrap();
            for mut run in file.runs {
                run.seed = seed;
                let r = crate::sim::run::run(&run, None).unwrap();
                assert_eq!(r.findings.total(), 0, "seed {seed} {}: {:?}", run.variant, r.findings);
            }
        }
    }
}
