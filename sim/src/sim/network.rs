//! The network between clients and the exchange: a pure decision per message.
//!
//! Each message crossing a link gets a [`Verdict`] drawn from the network's own stream: lost,
//! delivered once after a latency, or delivered twice (a duplicate from a retransmitting
//! middlebox). Latency is a minimum plus an exponential tail; a small share of messages is held
//! back by an extra delay so later messages overtake them (reordering). Clients cope with all of
//! it by retrying with idempotency keys; the exchange deduplicates (see `gateway`).
//!
//! Invariants: the verdict depends only on the network stream and the settings (never on the
//! message), so the same seed gives the same network; every delivery time is ≥ the send time.

use crate::rng::Stream;
use crate::scenario::NetworkSettings;

/// What happens to one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Never arrives.
    Drop,
    /// Arrives after this many ns.
    Deliver(u64),
    /// Arrives twice, after each of these delays.
    Duplicate(u64, u64),
}

/// Network statistics of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    pub sent: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
}

/// The network model.
#[derive(Clone, Debug)]
pub struct Network {
    settings: NetworkSettings,
    stream: Stream,
    stats: NetStats,
}

impl Network {
    /// The network of the run with `seed`.
    pub fn new(settings: &NetworkSettings, seed: u64) -> Network {
        Network { settings: settings.clone(), stream: Stream::new(seed, "network"), stats: NetStats::default() }
    }

    fn latency(&mut self) -> u64 {
        let s = &self.settings;
        let mut ns = s.latency_min_ns.saturating_add(self.stream.exponential_ns(s.latency_jitter_mean_ns));
        if self.stream.chance_ppm(s.reorder_ppm) {
            self.stats.reordered += 1;
            ns = ns.saturating_add(s.reorder_delay_ns);
        }
        ns.max(1)
    }

    /// The fate of the next message.
    pub fn send(&mut self) -> Verdict {
        self.stats.sent += 1;
        if self.stream.chance_ppm(self.settings.loss_ppm) {
            self.stats.dropped += 1;
            return Verdict::Drop;
        }
        let first = self.latency();
        if self.stream.chance_ppm(self.settings.duplicate_ppm) {
            self.stats.duplicated += 1;
            let second = self.latency();
            return Verdict::Duplicate(first, second);
        }
        Verdict::Deliver(first)
    }

    /// What happened so far.
    pub fn stats(&self) -> NetStats {
        self.stats
    }

    /// The settings.
    pub fn settings(&self) -> &NetworkSettings {
        &self.settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(loss: u32, dup: u32, reorder: u32) -> NetworkSettings {
        NetworkSettings {
            latency_min_ns: 100,
            latency_jitter_mean_ns: 400,
            loss_ppm: loss,
            duplicate_ppm: dup,
            reorder_ppm: reorder,
            reorder_delay_ns: 10_000,
            retry_timeout_ns: 50_000,
            max_retries: 3,
        }
    }

    #[test]
    fn rates_are_roughly_as_configured() {
        let mut n = Network::new(&settings(100_000, 50_000, 20_000), 3);
        let verdicts: Vec<Verdict> = (0..20_000).map(|_| n.send()).collect();
        let drops = verdicts.iter().filter(|v| **v == Verdict::Drop).count();
        let dups = verdicts.iter().filter(|v| matches!(v, Verdict::Duplicate(..))).count();
        assert!((1_700..=2_300).contains(&drops), "{drops}");
        assert!((700..=1_100).contains(&dups), "{dups}");
        assert!(n.stats().reordered > 200);
        assert!(verdicts.iter().all(|v| match v {
            Verdict::Deliver(d) => *d >= 100,
            Verdict::Duplicate(a, b) => *a >= 100 && *b >= 100,
            Verdict::Drop => true,
        }));
    }

    #[test]
    fn a_perfect_network_delivers_everything_once() {
        let mut n = Network::new(&settings(0, 0, 0), 3);
        assert!((0..1_000).all(|_| matches!(n.send(), Verdict::Deliver(_))));
    }
}
