//! The simulator with the auditor on, and the sweep's parallel speed-up (SPEC §11).
//!
//! `simulate`: the embedded quickstart stretched to 20 simulated seconds (every agent, the lossy
//! network, random crashes and recoveries, the auditor after every command), throughput in kernel
//! events per second. Goal: at least 1 million events per second on one core. Also with the HTML
//! report's time series collected (`quickstart_20s_events_with_series`).
//!
//! `sweep`: the quickstart (base and its variant) over 16 seeds with 1 and with 2 jobs. Goal: 2 jobs
//! at least 1.8× faster than 1.
//!
//! Both check before they time: the run's event count and digest, and the sweep's digests, are
//! asserted against pinned values, so a bench can never time a run that went wrong.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The allocator the `exsim` binary uses, so the bench measures what `exsim sweep` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use exsim::scenario::{self, Override, Scenario};
use exsim::sim::run::{run, run_collecting, Collect};
use exsim::sim::sweep::sweep;

/// Pinned: (events, digest) of the stretched quickstart, seed 7.
const SIMULATE_EXPECTED: (u64, &str) = (902_181, "d26c33c59e7fd35765126adc34ea447c74bed56b8901af8cf43f833edd757586");
/// Pinned: BLAKE3 of the sweep's digests in order.
const SWEEP_EXPECTED: &str = "936634de262433ef4c75a5dd8411794d0896e849dbbac5d860969fd25ceeca68";

fn stretched() -> Scenario {
    let set: Override = "duration=20s".parse().unwrap();
    scenario::parse(scenario::QUICKSTART, "quickstart", &[set]).unwrap().runs.remove(0)
}

fn simulate(c: &mut Criterion) {
    let s = stretched();
    let r = run(&s, None).unwrap();
    assert_eq!(r.findings.total(), 0, "the quickstart holds every invariant");
    assert_eq!((r.events, r.digest.as_str()), SIMULATE_EXPECTED, "the workload changed: re-pin it");
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(r.events));
    g.bench_function("quickstart_20s_events", |b| b.iter(|| run(&s, None).unwrap().events));
    // The same run collecting the HTML report's time series (`--report`): same digest.
    let collect = Collect { series: true, ..Collect::default() };
    let with = run_collecting(&s, None, collect).unwrap();
    assert_eq!((with.events, with.digest.as_str()), SIMULATE_EXPECTED, "the series changed the run");
    g.bench_function("quickstart_20s_events_with_series", |b| {
        b.iter(|| run_collecting(&s, None, collect).unwrap().events)
    });
    g.finish();
}

fn sweep_digest(runs: &[Scenario], seeds: &[u64], jobs: usize) -> String {
    let items = sweep(runs, seeds, jobs, |s| run(s, None).unwrap().digest, || {}).unwrap();
    let mut h = blake3::Hasher::new();
    for i in items {
        h.update(i.outcome.unwrap().as_bytes());
    }
    h.finalize().to_hex().to_string()
}

fn sweeps(c: &mut Criterion) {
    let runs = scenario::parse(scenario::QUICKSTART, "quickstart", &[]).unwrap().runs;
    let seeds: Vec<u64> = (0..16).collect();
    let one = sweep_digest(&runs, &seeds, 1);
    assert_eq!(one, sweep_digest(&runs, &seeds, 2), "the sweep is the same with 1 and 2 jobs");
    assert_eq!(one, SWEEP_EXPECTED, "the workload changed: re-pin it");
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements((seeds.len() * runs.len()) as u64));
    for jobs in [1, 2] {
        g.bench_function(format!("quickstart_16_seeds_jobs_{jobs}"), |b| b.iter(|| sweep_digest(&runs, &seeds, jobs)));
    }
    g.finish();
}

criterion_group!(benches, simulate, sweeps);
criterion_main!(benches);
