//! The custody entry points of the auditor, driven as the kernel will drive them: a real
//! exchange, an auditor built with the exchange's custody policy, one simulated chain per asset
//! whose facts are shown to the auditor in order with the commands.
//!
//! This pins the wiring: set-up funding mirrored on chain, deposits confirmed on chain before
//! they are credited, `solvency` exercised and held over random flows of deposits and trading,
//! and broken by a theft from the hot wallet. (Withdrawals run through the kernel's back office:
//! `simulate.rs` and `withdrawal_race.rs`.)

use exsim::audit::{Auditor, Invariant, Stamp};
use exsim::chain::{Chain, ChainFact};
use exsim::exchange::{Ack, Address, Command, Exchange, FundsCommand};
use exsim::fault::FaultSet;
use exsim::testkit::commands::{config, decode, USERS};
use exsim::units::AssetId;
use rand::{Rng, SeedableRng};

fn observe_all(auditor: &mut Auditor, facts: &[ChainFact], at: Stamp) {
    for fact in facts {
        auditor.observe_chain(fact, at);
    }
}

#[test]
fn solvency_holds_over_random_flows_and_breaks_on_a_theft() {
    for seed in 0..20u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let config = config(FaultSet::NONE);
        let mut x = Exchange::new(&config).expect("the test exchange");
        let mut auditor = Auditor::with_config(&x, &config);
        let mut chains: Vec<Chain> = (0..config.assets.len())
            .map(|a| Chain::new(AssetId(a as u16), &config.custody.asset(a), config.custody.hot_multisig))
            .collect();
        let mut facts = Vec::new();
        for chain in &mut chains {
            let genesis = chain.genesis(0);
            observe_all(&mut auditor, &[genesis], Stamp::default());
        }
        let (mut now, mut next_order, mut next_quote) = (0u64, 1u64, 1u64);
        for i in 1..USERS + 300 {
            let command = if i < USERS {
                Command::open_account()
            } else {
                decode(rng.gen(), rng.gen(), rng.gen(), rng.gen(), next_order, next_quote)
            };
            // Withdrawals are requests that custody's steps pay on chain (the kernel's part, and
            // `simulate.rs`'s); here the flow is deposits and trading.
            if matches!(command, Command::Funds(FundsCommand::Withdraw { .. })) {
                continue;
            }
            now += 7;
            let at = Stamp { seq: u64::from(i), time_ns: now };
            // A deposit arrives on chain and confirms; the exchange credits it from the chain's
            // report (`DepositSeen`), as the kernel's watcher does.
            let mut command = command;
            if let Command::Funds(FundsCommand::Deposit { user, asset, amount }) = command {
                let chain = &mut chains[usize::from(asset.0)];
                if amount > 0 && chain.deposit(user, Address::of(user), amount).is_ok() {
                    facts.clear();
                    chain.mine(&mut facts);
                    observe_all(&mut auditor, &facts, at);
                    for fact in &facts {
                        if let ChainFact::DepositConfirmations { tx, confirmations } = *fact {
                            let payment = tx.payment;
                            command = FundsCommand::DepositSeen { user, asset, amount, payment, confirmations }.into();
                        }
                    }
                }
            }
            let applied = x.apply(now, &command);
            match applied.result {
                Ok(Ack::Order { id, .. }) => next_order = id.0 + 1,
                Ok(Ack::Quote(q)) => next_quote = q.id.0 + 1,
                _ => {}
            }
            auditor.observe_at(&command, &applied, at);
        }
        let end = Stamp { seq: 10_000, time_ns: now };
        auditor.finish(&x, end);
        assert_eq!(auditor.check_settled(end), 0);
        assert!(auditor.violations().is_empty(), "seed {seed}: {:?}", auditor.violations());
        assert!(auditor.findings().exercised(Invariant::Solvency), "seed {seed}");
        // No withdrawal was requested, but every deposit confirmed on chain was credited.
        assert!(auditor.findings().exercised(Invariant::EventualSettlement), "seed {seed}");
        // A thief with the hot key empties the richest hot wallet: custody falls short.
        let chain = chains.iter_mut().max_by_key(|c| c.hot()).expect("a chain");
        if chain.hot() > 0 && x.ledger().balances().any(|(_, asset, b)| asset == chain.asset() && b > 0) {
            let hot = chain.hot();
            chain.steal(1, Address::outside(1), hot).expect("one key suffices without multisig");
            facts.clear();
            chain.mine(&mut facts);
            observe_all(&mut auditor, &facts, end);
            assert_eq!(chain.stolen(), hot);
            assert!(auditor.findings().count(Invariant::Solvency) >= 1, "seed {seed}: the theft went unnoticed");
        }
    }
}
