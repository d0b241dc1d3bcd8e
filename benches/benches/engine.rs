//! The bare matching engine against lobster 0.7 (SPEC §11): the same seeded flows, a fresh book
//! per iteration, every message, in the same criterion group and run.
//!
//! Checks before it times: for each flow, exsim's fills must equal lobster's exactly (count and
//! digest over `(price, qty, maker, taker)` in order) **and** equal the pinned outcome below, so
//! a changed workload or a changed engine cannot silently change what is measured. Each timed
//! iteration asserts its fill count again.
//!
//! Groups: `engine` (the two flows of SPEC §11: QuantCup and the 1M cancel-heavy flow) and
//! `engine_extra` (deep book, cancel storm, wide sweep). Throughput is in messages.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-bench cargo bench -p exsim-benches --bench engine`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use exsim::workload::{self, Flow};
use exsim_benches::{exsim_outcome, exsim_run, lobster_orders, lobster_outcome, lobster_run, Outcome};

/// One workload and the outcome it is pinned to.
struct Case {
    name: &'static str,
    flow: Flow,
    seed: u64,
    messages: usize,
    pinned: Outcome,
}

/// SPEC §11's two flows.
const MAIN: [Case; 2] = [
    Case {
        name: "quantcup",
        flow: workload::quantcup,
        seed: 2011,
        messages: 1_000_000,
        pinned: Outcome { fills: 136_493, digest: 0x70ce_2e62_b9fd_f4b2 },
    },
    Case {
        name: "cancel_heavy",
        flow: workload::cancel_heavy,
        seed: 1,
        messages: 1_000_000,
        pinned: Outcome { fills: 428_860, digest: 0x90fd_c169_d04e_063e },
    },
];

/// Extra shapes, for measurement only.
const EXTRA: [Case; 3] = [
    Case {
        name: "deep_book",
        flow: workload::deep_book,
        seed: 1,
        messages: 200_000,
        pinned: Outcome { fills: 31_555, digest: 0x957a_5cac_84c4_df67 },
    },
    Case {
        name: "cancel_storm",
        flow: workload::cancel_storm,
        seed: 1,
        messages: 1_000_000,
        pinned: Outcome { fills: 142_655, digest: 0x358a_ce7d_366c_2e7a },
    },
    Case {
        name: "wide_sweep",
        flow: workload::wide_sweep,
        seed: 1,
        messages: 1_000_000,
        pinned: Outcome { fills: 790_172, digest: 0xab0e_e50f_2c11_b01e },
    },
];

fn bench_group(c: &mut Criterion, group: &str, cases: &[Case]) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for case in cases {
        let messages = (case.flow)(case.seed, case.messages);
        let orders = lobster_orders(&messages);
        // Check, then time.
        let ours = exsim_outcome(&messages);
        let theirs = lobster_outcome(&orders);
        assert_eq!(ours, theirs, "{}: exsim and lobster disagree; see tests/lobster_agreement.rs", case.name);
        assert_eq!(ours, case.pinned, "{}: the workload's outcome changed from its pinned value", case.name);
        let fills = ours.fills;

        g.throughput(Throughput::Elements(messages.len() as u64));
        g.bench_function(BenchmarkId::new("exsim", case.name), |b| {
            b.iter(|| assert_eq!(exsim_run(black_box(&messages)), fills));
        });
        g.bench_function(BenchmarkId::new("lobster", case.name), |b| {
            b.iter(|| assert_eq!(lobster_run(black_box(&orders)), fills));
        });
    }
    g.finish();
}

fn engine(c: &mut Criterion) {
    bench_group(c, "engine", &MAIN);
}

fn engine_extra(c: &mut Criterion) {
    bench_group(c, "engine_extra", &EXTRA);
}

criterion_group!(benches, engine, engine_extra);
criterion_main!(benches);
