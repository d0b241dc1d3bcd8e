//! Many seeds in parallel: every (run, seed) pair is an independent simulation, spread over
//! a rayon pool of `jobs` worker threads, and handed back in order as each becomes the next one due.
//!
//! Invariants:
//! - results come back in (seed, run) order whatever the number of jobs, and each run depends
//!   only on its scenario and seed, so a sweep's output is the same with 1 job or 64;
//! - nothing is collected ahead: seeds are an arithmetic progression computed one at a time
//!   ([`Seeds`]; a shard is a progression too, never a filter), and a worker takes the next pair
//!   only while fewer than [`WINDOW_PER_JOB`] × jobs pairs are taken but not yet handed back, so
//!   memory depends on the number of jobs, never on the number of seeds, and the first result is
//!   handed back as soon as it is done;
//! - the consumer can stop the sweep (a closed pipe): no new pair is started after that;
//! - a panic in one seed is caught and returned as that seed's finding; the sweep goes on;
//! - `--shard I/N` takes every N-th seed starting at the I-th, so N machines cover the range
//!   exactly once between them;
//! - at most [`MAX_JOBS`] worker threads (one rayon pool per sweep), all started before any seed
//!   runs; a pool that cannot start them all is an error before any seed runs.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::scenario::Scenario;

/// Most worker threads a sweep may use (`--jobs`).
pub const MAX_JOBS: usize = 256;

/// Results per job that may wait, done, for an earlier seed that is still running.
pub const WINDOW_PER_JOB: usize = 16;

/// One slice of a sweep: `index` of `count`, 1-based (`1/1` is everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// All seeds.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Parses `I/N` with 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let err = || format!("shard `{}`: expected I/N with 1 <= I <= N, e.g. 1/4", crate::shown::shown(text));
        let (i, n) = text.split_once('/').ok_or_else(err)?;
        let (index, count) = (i.trim().parse::<u64>().map_err(|_| err())?, n.trim().parse::<u64>().map_err(|_| err())?);
        if index == 0 || count == 0 || index > count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }

    /// The seeds of `range` in this shard (those equal to `index - 1` modulo `count`), as a
    /// progression: computed in constant time, whatever the size of the range.
    pub fn seeds(self, range: SeedRange) -> Seeds {
        let (first, last, count) = (u128::from(range.first), u128::from(range.last), u128::from(self.count));
        let want = u128::from(self.index - 1);
        let start = first + (want + count - first % count) % count;
        let len = if start > last { 0 } else { (last - start) / count + 1 };
        Seeds { first: start as u64, step: self.count, len }
    }
}

/// Seeds `first..=last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    pub first: u64,
    pub last: u64,
}

/// The seeds of a sweep: `first`, `first + step`, … (`len` of them; up to 2^64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    first: u64,
    step: u64,
    len: u128,
}

impl Seeds {
    /// How many seeds.
    pub fn len(&self) -> u128 {
        self.len
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th seed.
    pub fn get(&self, i: u128) -> Option<u64> {
        // In range, first + i × step ≤ the range's last seed, so it fits.
        (i < self.len).then(|| (u128::from(self.first) + i * u128::from(self.step)) as u64)
    }

    /// The seeds in order, computed one at a time.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let mut i = 0u128;
        std::iter::from_fn(move || {
            let seed = self.get(i)?;
            i += 1;
            Some(seed)
        })
    }
}

/// Parses `A..B` (B excluded) or `A..=B`.
pub fn parse_seeds(text: &str) -> Result<SeedRange, String> {
    let err = |why: &str| {
        format!("seeds `{}`: {why}; expected A..B (B excluded) or A..=B, e.g. 0..1000", crate::shown::shown(text))
    };
    let (a, b, inclusive) = if let Some((a, b)) = text.split_once("..=") {
        (a, b, true)
    } else if let Some((a, b)) = text.split_once("..") {
        (a, b, false)
    } else {
        return Err(err("no `..`"));
    };
    let first: u64 =
        a.trim().parse().map_err(|_| err("the start is not a whole number from 0 to 18446744073709551615"))?;
    let b: u64 = b.trim().parse().map_err(|_| err("the end is not a whole number from 0 to 18446744073709551615"))?;
    let last = if inclusive { Some(b) } else { b.checked_sub(1) };
    match last {
        Some(last) if last >= first => Ok(SeedRange { first, last }),
        _ => Err(err("the range is empty")),
    }
}

/// One (run, seed) of a sweep, with what `f` returned or the panic message.
#[derive(Debug)]
pub struct Item<T> {
    /// Index into the sweep's runs.
    pub run: usize,
    pub seed: u64,
    pub outcome: Result<T, String>,
}

/// Runs `f` on every run of `runs` with every seed of `seeds`, on `jobs` threads, and hands each
/// result to `each` in (seed, run) order as soon as it and all before it are done; `done` is
/// called once per finished item, in any order (for progress). `each` returning
/// `ControlFlow::Break` stops the sweep: pairs running finish, no new one starts.
///
/// Returns how many items `each` was given, or the error of a worker thread that could not be
/// started (then nothing ran).
pub fn sweep_each<T: Send>(
    runs: &[Scenario],
    seeds: Seeds,
    jobs: usize,
    f: impl Fn(&Scenario) -> T + Sync,
    done: impl Fn() + Sync,
    each: impl FnMut(Item<T>) -> ControlFlow<()>,
) -> std::io::Result<u128> {
    stream(runs, seeds.len(), &|i| seeds.get(i).unwrap_or_default(), jobs, &f, &done, each)
}

/// Runs `f` on every run of `runs` with every seed of `seeds`, on `jobs` threads; `done` is
/// called once per finished item (for progress). Results are in (seed, run) order.
pub fn sweep<T: Send>(
    runs: &[Scenario],
    seeds: &[u64],
    jobs: usize,
    f: impl Fn(&Scenario) -> T + Sync,
    done: impl Fn() + Sync,
) -> std::io::Result<Vec<Item<T>>> {
    let mut items = Vec::with_capacity(seeds.len() * runs.len());
    stream(runs, seeds.len() as u128, &|i| seeds[i as usize], jobs, &f, &done, |item| {
        items.push(item);
        ControlFlow::Continue(())
    })?;
    Ok(items)
}

/// What the workers and the consumer share.
struct Window {
    /// The next pair to take.
    next: u128,
    /// Pairs handed to the consumer.
    handed: u128,
    /// Stop taking pairs (the consumer stopped, or a worker died).
    stop: bool,
}

fn lock(m: &Mutex<Window>) -> MutexGuard<'_, Window> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stops the sweep if the worker holding it unwinds outside a seed (a bug), so the others do not
/// wait for a result that will never come.
struct StopOnUnwind<'a>(&'a Mutex<Window>, &'a Condvar);

impl Drop for StopOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(self.0).stop = true;
            self.1.notify_all();
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn stream<T: Send>(
    runs: &[Scenario],
    seeds: u128,
    seed_at: &(dyn Fn(u128) -> u64 + Sync),
    jobs: usize,
    f: &(dyn Fn(&Scenario) -> T + Sync),
    done: &(dyn Fn() + Sync),
    mut each: impl FnMut(Item<T>) -> ControlFlow<()>,
) -> std::io::Result<u128> {
    let per_seed = runs.len() as u128;
    let total = seeds * per_seed;
    if total == 0 {
        return Ok(0);
    }
    let jobs = jobs.clamp(1, MAX_JOBS);
    let window = (jobs * WINDOW_PER_JOB) as u128;
    let state = Mutex::new(Window { next: 0, handed: 0, stop: false });
    let wake = Condvar::new();
    let (tx, rx) = mpsc::channel::<(u128, Item<T>)>();
    let worker = |tx: mpsc::Sender<(u128, Item<T>)>| {
        let _guard = StopOnUnwind(&state, &wake);
        loop {
            let index = {
                let mut w = lock(&state);
                loop {
                    if w.stop || w.next >= total {
                        return;
                    }
                    if w.next < w.handed + window {
                        break;
                    }
                    w = wake.wait(w).unwrap_or_else(PoisonError::into_inner);
                }
                w.next += 1;
                w.next - 1
            };
            let (seed, run) = (seed_at(index / per_seed), (index % per_seed) as usize);
            let mut scenario = runs[run].clone();
            scenario.seed = seed;
            let outcome = catch_unwind(AssertUnwindSafe(|| f(&scenario))).map_err(|payload| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned())
            });
            done();
            if tx.send((index, Item { run, seed, outcome })).is_err() {
                return;
            }
        }
    };
    let threads = u128::try_from(jobs).unwrap_or(u128::MAX).min(total) as usize;
    // A rayon pool of exactly `threads` workers, each running the loop above; the consumer stays on
    // this thread (`in_place_scope`). Building the pool starts every thread or fails as a whole.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("sweep-{i}"))
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    pool.in_place_scope(|scope| {
        // A panic in `each` (a bug) must not leave the workers waiting for it.
        let _guard = StopOnUnwind(&state, &wake);
        for _ in 0..threads {
            let tx = tx.clone();
            let worker = &worker;
            scope.spawn(move |_| worker(tx));
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut handed = 0u128;
        while handed < total {
            // Every worker gone before the end: one died (its panic is raised when the scope ends).
            let Ok((index, item)) = rx.recv() else { break };
            waiting.insert(index, item);
            let mut stop = false;
            while let Some(item) = waiting.remove(&handed) {
                handed += 1;
                if each(item).is_break() {
                    stop = true;
                    break;
                }
            }
            {
                let mut w = lock(&state);
                w.handed = handed;
                w.stop |= stop;
            }
            wake.notify_all();
            if stop {
                break;
            }
        }
        Ok(handed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(first: u64, last: u64) -> SeedRange {
        SeedRange { first, last }
    }

    #[test]
    fn seeds_and_shards_parse_and_partition() {
        assert_eq!(parse_seeds("0..10").unwrap(), range(0, 9));
        assert_eq!(parse_seeds("5..=7").unwrap(), range(5, 7));
        assert_eq!(parse_seeds("0..=18446744073709551615").unwrap(), range(0, u64::MAX));
        assert!(parse_seeds("7..7").is_err() && parse_seeds("0..0").is_err() && parse_seeds("3..=2").is_err());
        assert!(parse_seeds("a..b").unwrap_err().contains("expected A..B"));
        assert!(Shard::parse("0/2").is_err() && Shard::parse("3/2").is_err() && Shard::parse("x").is_err());
        for (first, last, count) in [(0, 9, 3), (5, 17, 4), (7, 7, 3), (3, 4, 5)] {
            let all: Vec<u64> = (1..=count)
                .flat_map(|i| Shard { index: i, count }.seeds(range(first, last)).iter().collect::<Vec<_>>())
                .collect();
            let mut sorted = all.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (first..=last).collect::<Vec<_>>(), "shards cover the range exactly once");
            for i in 1..=count {
                let shard: Vec<u64> = Shard { index: i, count }.seeds(range(first, last)).iter().collect();
                let filtered: Vec<u64> = (first..=last).filter(|s| s % count == i - 1).collect();
                assert_eq!(shard, filtered, "a shard is every N-th seed from the I-th");
            }
        }
        assert_eq!(Shard::ALL.seeds(range(3, 5)).iter().collect::<Vec<_>>(), vec![3, 4, 5]);
    }

    #[test]
    fn huge_ranges_and_shards_are_computed_not_walked() {
        let all = Shard::ALL.seeds(range(0, u64::MAX));
        assert_eq!(all.len(), 1u128 << 64);
        assert_eq!(all.get((1u128 << 64) - 1), Some(u64::MAX));
        assert_eq!(all.get(1u128 << 64), None);
        let last = Shard { index: u64::MAX, count: u64::MAX }.seeds(range(0, u64::MAX));
        assert_eq!(last.iter().collect::<Vec<_>>(), vec![u64::MAX - 1]);
        let first = Shard { index: 1, count: u64::MAX }.seeds(range(0, u64::MAX));
        assert_eq!(first.iter().collect::<Vec<_>>(), vec![0, u64::MAX]);
        assert!(Shard { index: 5, count: 10 }.seeds(range(0, 3)).is_empty());
    }

    #[test]
    fn a_stream_is_in_order_bounded_and_stoppable() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let runs = crate::scenario::parse(crate::scenario::QUICKSTART, "quickstart", &[]).unwrap().runs;
        let seeds = Shard::ALL.seeds(range(10, u64::MAX));
        let started = AtomicU64::new(0);
        let mut got = Vec::new();
        let handed = sweep_each(
            &runs,
            seeds,
            3,
            |s| {
                started.fetch_add(1, Ordering::Relaxed);
                // Later seeds finish first, so the order must come from the window, not from luck.
                std::thread::sleep(std::time::Duration::from_millis(20 - (s.seed % 5) * 4));
                s.seed
            },
            || {},
            |item| {
                got.push((item.seed, item.run, item.outcome.unwrap()));
                if got.len() == 40 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
        assert_eq!(handed, 40);
        let want: Vec<(u64, usize, u64)> = (10..30).flat_map(|s| [(s, 0, s), (s, 1, s)]).collect();
        assert_eq!(got, want, "(seed, run) order whatever finishes first");
        let started = started.load(Ordering::Relaxed);
        assert!(started <= 40 + (3 * WINDOW_PER_JOB) as u64, "stopped within one window: {started} started");
    }

    #[test]
    fn a_panicking_seed_is_its_finding_and_the_stream_goes_on() {
        let runs = crate::scenario::parse(crate::scenario::QUICKSTART, "quickstart", &[]).unwrap().runs;
        let seeds = Shard { index: 2, count: 3 }.seeds(range(0, 11));
        let mut got = Vec::new();
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let handed = sweep_each(
            &runs[..1],
            seeds,
            2,
            |s| {
                assert!(s.seed != 4, "seed four");
                s.seed
            },
            || {},
            |item| {
                got.push((item.seed, item.outcome));
                ControlFlow::Continue(())
            },
        );
        std::panic::set_hook(hook);
        assert_eq!(handed.unwrap(), 4);
        assert_eq!(got, vec![(1, Ok(1)), (4, Err("seed four".to_owned())), (7, Ok(7)), (10, Ok(10))]);
    }
}
