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

use arbitrary::{Arbitrary, Unstructured};

use crate::rng::Stream;

/// A run's options, as swarm testing varies them. Drawn from a seed ([`SwarmOptions::draw`]) for
/// `sweep --swarm`, or decoded from fuzzer bytes ([`Arbitrary`]) for the `scenario` fuzz target;
/// [`SwarmOptions::sets`] renders them as `--set`s, clamping every field into its valid range,
/// so every value of the type is a valid run.
#[derive(Clone, Debug, PartialEq, Eq, Arbitrary)]
pub struct SwarmOptions {
    /// Run length in ms (clamped to 100 ..= 2,000).
    pub duration_ms: u16,
    /// Network loss, duplication, reordering, in per mille (clamped to 50, 50, 200).
    pub loss_permille: u8,
    pub duplicate_permille: u8,
    pub reorder_permille: u8,
    /// Mean interval between crashes in ms; `None`: no crash (clamped to 100 ..= 2,000).
    pub crash_ms: Option<u16>,
    pub login_2fa: bool,
    pub withdrawal_2fa: bool,
    pub api_key_ip_allowlist: bool,
    pub freeze_on_alert: bool,
    /// Circuit breaker band in percent; `None`: none (clamped to 1 ..= 30).
    pub breaker_percent: Option<u8>,
    /// Per agent group, in file order, how many members, as a share of twice its size (0 ..= 255
    /// of 255; at least one member). Groups past the list keep their size.
    pub mix: Vec<u8>,
}

impl SwarmOptions {
    /// The options seed `seed` draws (from its own `swarm` stream) for a file with `groups` agent
    /// groups.
    pub fn draw(seed: u64, groups: usize) -> SwarmOptions {
        let mut rng = Stream::new(seed, "swarm");
        let permille = |most: u64, rng: &mut Stream| -> u8 {
            if rng.percent(50) {
                0
            } else {
                u8::try_from(rng.uniform(1, most)).unwrap_or(u8::MAX)
            }
        };
        SwarmOptions {
            duration_ms: u16::try_from(rng.uniform(100, 2_000)).unwrap_or(2_000),
            loss_permille: permille(50, &mut rng),
            duplicate_permille: permille(50, &mut rng),
            reorder_permille: permille(200, &mut rng),
            crash_ms: (!rng.percent(30)).then(|| u16::try_from(rng.uniform(100, 2_000)).unwrap_or(2_000)),
            login_2fa: rng.percent(50),
            withdrawal_2fa: rng.percent(50),
            api_key_ip_allowlist: rng.percent(50),
            freeze_on_alert: rng.percent(50),
            breaker_percent: rng.percent(25).then(|| u8::try_from(rng.uniform(1, 30)).unwrap_or(30)),
            mix: (0..groups).map(|_| u8::try_from(rng.uniform(0, 255)).unwrap_or(u8::MAX)).collect(),
        }
    }

    /// The options as `--set FIELD=VALUE` overrides for a file whose agent groups are `groups`
    /// (name, count), every value clamped into its valid range.
    pub fn sets(&self, groups: &[(String, u32)]) -> Vec<String> {
        let mut sets = vec![format!("duration={}ms", self.duration_ms.clamp(100, 2_000))];
        for (field, value, most) in [
            ("loss", self.loss_permille, 50),
            ("duplicate", self.duplicate_permille, 50),
            ("reorder", self.reorder_permille, 200),
        ] {
            sets.push(format!("network.{field}=0.{:03}", value.min(most)));
        }
        let crash = self.crash_ms.map_or(0, |ms| ms.clamp(100, 2_000));
        sets.push(format!("exchange.crash_mean_interval={crash}ms"));
        for (field, on) in [
            ("login_2fa", self.login_2fa),
            ("withdrawal_2fa", self.withdrawal_2fa),
            ("api_key_ip_allowlist", self.api_key_ip_allowlist),
            ("freeze_on_alert", self.freeze_on_alert),
        ] {
            sets.push(format!("policy.{field}={on}"));
        }
        if let Some(band) = self.breaker_percent {
            sets.push(format!("policy.circuit_breaker={}%", band.clamp(1, 30)));
        }
        for ((name, count), share) in groups.iter().zip(&self.mix) {
            let most = u64::from(*count).saturating_mul(2).clamp(1, 200);
            let members = (most * u64::from(*share) / 255).max(1);
            sets.push(format!("agents.{name}.count={members}"));
        }
        sets
    }
}

/// The options seed `seed` draws for a file whose agent groups are `groups` (name, count), as
/// `--set`s.
pub fn draw(seed: u64, groups: &[(String, u32)]) -> Vec<String> {
    SwarmOptions::draw(seed, groups.len()).sets(groups)
}

/// The `scenario` fuzz target: fuzzer bytes decode to a seed and [`SwarmOptions`]; the quickstart
/// runs under them with no fault on and must hold every invariant, without panicking.
pub fn fuzz_quickstart(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let (Ok(seed), Ok(options)) = (u64::arbitrary(&mut u), SwarmOptions::arbitrary(&mut u)) else { return };
    let base = crate::scenario::parse(crate::scenario::QUICKSTART, "quickstart", &[]).expect("the quickstart parses");
    let groups: Vec<(String, u32)> = base.runs[0].agents.iter().map(|g| (g.name.clone(), g.count)).collect();
    let sets = options.sets(&groups);
    let overrides: Vec<crate::scenario::Override> =
        sets.iter().map(|s| s.parse().expect("swarm options are valid overrides")).collect();
    let file = crate::scenario::parse(crate::scenario::QUICKSTART, "quickstart", &overrides)
        .unwrap_or_else(|e| panic!("swarm options {sets:?} were refused: {e}"));
    // The base run (crashes as drawn); the variant only differs by having none.
    let mut run = file.runs.into_iter().next().expect("a base run");
    run.seed = seed;
    let result = crate::sim::run::run(&run, None).expect("the quickstart's exchange config is valid");
    assert_eq!(result.findings.total(), 0, "seed {seed} with {sets:?}: {:?}", result.findings);
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
