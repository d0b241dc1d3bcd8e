//! Memory bounded by the live state (SPEC §13): the records a run holds — ledger journal entries,
//! gateway log entries, remembered answers, acknowledged answers, the auditor's open records —
//! stay flat as simulated time grows, with and without crashes. Counts, not bytes: they are
//! deterministic, so the bound is exact and the test cannot flake.

use exsim::audit::Auditor;
use exsim::engine::{Stp, Tif};
use exsim::exchange::{Ack, Command, Exchange, NewOrder, OrderKind};
use exsim::fault::FaultSet;
use exsim::ledger::UserId;
use exsim::scenario::{self, Scenario};
use exsim::sim::gateway::CHECKPOINT_EVERY;
use exsim::sim::run::{run, Retained, RunResult};
use exsim::testkit::commands::{config, USERS};
use exsim::units::{AssetId, MarketId, Price, Qty, Side};

/// The quickstart without its daily withdrawal limits: a limit's window (a day) holds every
/// request made within it, by definition of the policy — live state bounded by the window, not by
/// the run, but growing over any run shorter than a day. Everything else must stay flat.
fn quickstart() -> Vec<Scenario> {
    let overrides: Vec<scenario::Override> = ["assets.BTC.daily_limit=\"none\"", "assets.USD.daily_limit=\"none\""]
        .iter()
        .map(|o| o.parse().expect("a valid override"))
        .collect();
    scenario::parse(scenario::QUICKSTART, "quickstart", &overrides).expect("the quickstart parses").runs
}

fn simulate(s: &Scenario, seconds: u64) -> RunResult {
    let mut s = s.clone();
    s.duration_ns = seconds * 1_000_000_000;
    run(&s, None).expect("the quickstart's exchange configuration is valid")
}

fn counts(r: &Retained) -> [(&'static str, usize); 6] {
    [
        ("journal_entries", r.journal_entries),
        ("log_entries", r.log_entries),
        ("remembered_answers", r.remembered_answers),
        ("acked_answers", r.acked_answers),
        ("audit_records", r.audit_records),
        ("custody_records", r.custody_records),
    ]
}

/// The quickstart with crashes (base) and without (`no_crashes`), over 2 s and over 20 s: ten times
/// the simulated time and the commands, the same records held at the peak.
#[test]
fn retained_records_stay_flat_as_simulated_time_grows() {
    for s in quickstart() {
        let (short, long) = (simulate(&s, 2), simulate(&s, 20));
        assert!(
            long.counts.commands >= 9 * short.counts.commands,
            "{}: 20 s ran {} commands, 2 s ran {}",
            s.variant,
            long.counts.commands,
            short.counts.commands
        );
        if s.variant == "base" {
            assert!(long.counts.crashes > short.counts.crashes, "{}: crashes {:?}", s.variant, long.counts);
        }
        // Journal, log and acknowledged answers: at most the commands between two checkpoints (one
        // is due every CHECKPOINT_EVERY log entries, at the next flush: 1 ms of commands later).
        let between = CHECKPOINT_EVERY + CHECKPOINT_EVERY / 4;
        println!("{}: 2 s {:?}\n{}: 20 s {:?}", s.variant, short.retained, s.variant, long.retained);
        let r = long.retained;
        for (name, n) in [("journal", r.journal_entries), ("log", r.log_entries), ("acked", r.acked_answers)] {
            assert!(n <= between, "{}: {n} {name} records held at 20 s (at most {between} expected)", s.variant);
        }
        // Every kind: ten times the simulated time, at most twice the 2 s peak (plus a little: a
        // crash's retry window at a different moment). Proportional growth would be tenfold.
        for ((name, a), (_, b)) in counts(&short.retained).into_iter().zip(counts(&long.retained)) {
            assert!(a > 0, "{}: no {name} held at all at 2 s: the count measures nothing", s.variant);
            assert!(b <= 2 * a + 512, "{}: {name}: {a} held at 2 s, {b} at 20 s", s.variant);
        }
    }
}

/// The auditor keeps the quotes it saw issued only while they can be accepted: a steady stream of
/// quotes, each living 400 ns, leaves a handful open, not one per quote ever issued; quotes
/// accepted in time are still checked, and no violation is reported.
#[test]
fn the_auditor_forgets_quotes_once_they_expire() {
    let mut x = Exchange::new(&config(FaultSet::NONE)).unwrap();
    let mut auditor = Auditor::new(&x);
    let mut now = 0;
    let apply = |x: &mut Exchange, auditor: &mut Auditor, now: u64, command: Command| {
        let applied = x.apply(now, &command);
        assert_eq!(auditor.observe(&command, &applied), 0, "{command:?} -> {applied:?}");
        applied.result
    };
    for _ in 1..USERS {
        apply(&mut x, &mut auditor, 0, Command::open_account()).unwrap();
    }
    let (seller, buyer) = (UserId(1), UserId(2));
    apply(&mut x, &mut auditor, 0, Command::deposit(seller, AssetId(0), 1_000_000_000)).unwrap();
    apply(&mut x, &mut auditor, 0, Command::deposit(buyer, AssetId(1), 1_000_000_000)).unwrap();
    apply(&mut x, &mut auditor, 0, Command::deposit(UserId::HOUSE, AssetId(0), 1_000_000_000)).unwrap();
    let sell = NewOrder {
        user: seller,
        market: MarketId(0),
        side: Side::Sell,
        qty: Qty(1_000),
        kind: OrderKind::Limit { price: Price(100), tif: Tif::Gtc },
        stp: Stp::CancelNewest,
    };
    apply(&mut x, &mut auditor, 0, Command::place(sell)).unwrap();
    let mut most = 0;
    for i in 0..2_000u64 {
        now += 100;
        let request = Command::request_quote(buyer, MarketId(0), Side::Buy, Qty(1));
        let Ok(Ack::Quote(q)) = apply(&mut x, &mut auditor, now, request) else { panic!("quote {i} refused") };
        if i % 10 == 0 {
            apply(&mut x, &mut auditor, now + 1, Command::accept_quote(buyer, q.id)).unwrap();
            now += 1;
        }
        most = most.max(auditor.retained());
    }
    // 400 ns of quotes at one per 100 ns, and the one resting order.
    assert!(most <= 6, "the auditor held {most} records at once");
    assert!(auditor.findings().exercised(exsim::audit::Invariant::QuoteHonored));
}
