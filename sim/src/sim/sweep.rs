//! Many seeds in parallel: every (run, seed) pair is an independent simulation, spread over a
//! rayon pool of `jobs` threads.
//!
//! Invariants:
//! - results come back in (seed, run) order whatever the number of jobs, and each run depends
//!   only on its scenario and seed, so a sweep's output is the same with 1 job or 64;
//! - a panic in one seed is caught and returned as that seed's finding; the sweep goes on;
//! - `--shard I/N` takes every N-th seed starting at the I-th, so N machines cover the range
//!   exactly once between them.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rayon::prelude::*;

use crate::scenario::Scenario;

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
        let err = || format!("shard `{text}`: expected I/N with 1 <= I <= N, e.g. 1/4");
        let (i, n) = text.split_once('/').ok_or_else(err)?;
        let (index, count) = (i.trim().parse::<u64>().map_err(|_| err())?, n.trim().parse::<u64>().map_err(|_| err())?);
        if index == 0 || count == 0 || index > count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }

    /// The seeds of `range` in this shard.
    pub fn seeds(self, range: std::ops::Range<u64>) -> Vec<u64> {
        range.filter(|s| s % self.count == self.index - 1).collect()
    }
}

/// Parses `A..B` (B excluded) or `A..=B` into a range of seeds.
pub fn parse_seeds(text: &str) -> Result<std::ops::Range<u64>, String> {
    let err = |why: &str| format!("seeds `{text}`: {why}; expected A..B (B excluded) or A..=B, e.g. 0..1000");
    let (a, b, inclusive) = if let Some((a, b)) = text.split_once("..=") {
        (a, b, true)
    } else if let Some((a, b)) = text.split_once("..") {
        (a, b, false)
    } else {
        return Err(err("no `..`"));
    };
    let a: u64 = a.trim().parse().map_err(|_| err("the start is not a whole number"))?;
    let b: u64 = b.trim().parse().map_err(|_| err("the end is not a whole number"))?;
    let end = if inclusive { b.checked_add(1).ok_or_else(|| err("the end is too large"))? } else { b };
    if end <= a {
        return Err(err("the range is empty"));
    }
    Ok(a..end)
}

/// One (run, seed) of a sweep, with what `f` returned or the panic message.
#[derive(Debug)]
pub struct Item<T> {
    /// Index into the sweep's runs.
    pub run: usize,
    pub seed: u64,
    pub outcome: Result<T, String>,
}

/// Runs `f` on every run of `runs` with every seed of `seeds`, on `jobs` threads; `done` is
/// called once per finished item (for progress). Results are in (seed, run) order.
pub fn sweep<T: Send>(
    runs: &[Scenario],
    seeds: &[u64],
    jobs: usize,
    f: impl Fn(&Scenario) -> T + Sync,
    done: impl Fn() + Sync,
) -> Result<Vec<Item<T>>, rayon::ThreadPoolBuildError> {
    let pairs: Vec<(u64, usize)> = seeds.iter().flat_map(|&s| (0..runs.len()).map(move |r| (s, r))).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build()?;
    Ok(pool.install(|| {
        pairs
            .par_iter()
            .map(|&(seed, run)| {
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
                Item { run, seed, outcome }
            })
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_and_shards_parse_and_partition() {
        assert_eq!(parse_seeds("0..10").unwrap(), 0..10);
        assert_eq!(parse_seeds("5..=7").unwrap(), 5..8);
        assert!(parse_seeds("7..7").is_err());
        assert!(parse_seeds("a..b").unwrap_err().contains("expected A..B"));
        assert!(Shard::parse("0/2").is_err() && Shard::parse("3/2").is_err() && Shard::parse("x").is_err());
        let all: Vec<u64> = (1..=3).flat_map(|i| Shard { index: i, count: 3 }.seeds(0..10)).collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>(), "shards cover the range exactly once");
        assert_eq!(Shard::ALL.seeds(3..6), vec![3, 4, 5]);
    }
}
