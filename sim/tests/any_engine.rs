//! The simulator runs any matching engine (`sim::run::run_with_engine`): the whole quickstart —
//! agents, network, crashes and recovery, custody, identity, the auditor — on an exchange whose
//! markets run the deliberately simple model engine of `testkit/model.rs` instead of the reference
//! `Book`. The two engines agree fill for fill, so the run is the same event for event: the same
//! digest, nothing found. And an engine with a classic bug, in the same harness, is caught.

use exsim::engine::EngineReject;
use exsim::engine::{Book, Event, LimitOrder, MarketOrder, MatchingEngine, OrderId, OwnerId, RestingOrder, Tif};
use exsim::scenario;
use exsim::sim::run::{run, run_with_engine};
use exsim::testkit::model::Model;
use exsim::units::{Price, Qty, Side};

fn quickstart(variant: &str) -> scenario::Scenario {
    let file = scenario::parse(scenario::QUICKSTART, "quickstart", &["duration=500ms".parse().unwrap()]).unwrap();
    file.runs.into_iter().find(|r| r.variant == variant).unwrap()
}

#[test]
fn the_quickstart_on_the_model_engine_is_the_same_run_as_on_the_reference() {
    for variant in ["base", "no_crashes"] {
        let s = quickstart(variant);
        let reference = run(&s, None).unwrap();
        let model = run_with_engine(&s, None, Model::default).unwrap();
        assert_eq!(model.findings.total(), 0, "{variant}: {:?}", model.findings);
        assert!(reference.markets[0].fills > 100, "{variant}: the run trades");
        assert_eq!(model.digest, reference.digest, "{variant}: the same events, in the same order");
        assert_eq!(model.events, reference.events);
    }
}

/// The reference engine with a classic bug: an IOC order's remainder rests (as `ioc_rests`
/// does inside `Book`, but written here as an outside engine would be).
#[derive(Clone, Debug, Default)]
struct IocRests(Book);

impl MatchingEngine for IocRests {
    fn limit(&mut self, mut order: LimitOrder, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        if order.tif == Tif::Ioc {
            order.tif = Tif::Gtc;
        }
        self.0.limit(order, out)
    }
    fn market(&mut self, order: MarketOrder, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        self.0.market(order, out)
    }
    fn cancel(&mut self, id: OrderId, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        self.0.cancel(id, out)
    }
    fn replace(&mut self, id: OrderId, price: Price, qty: Qty, out: &mut Vec<Event>) -> Result<(), EngineReject> {
        self.0.replace(id, price, qty, out)
    }
    fn mass_cancel(&mut self, owner: OwnerId, out: &mut Vec<Event>) {
        self.0.mass_cancel(owner, out);
    }
    fn best_bid(&self) -> Option<Price> {
        self.0.best_bid()
    }
    fn best_ask(&self) -> Option<Price> {
        self.0.best_ask()
    }
    fn order(&self, id: OrderId) -> Option<RestingOrder> {
        self.0.order(id)
    }
    fn resting(&self, side: Side, f: &mut dyn FnMut(RestingOrder)) {
        self.0.resting(side, f);
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[test]
fn an_outside_engine_with_a_bug_is_caught_by_the_simulation() {
    let s = quickstart("no_crashes");
    let result = run_with_engine(&s, None, IocRests::default).unwrap();
    let tif = exsim::audit::Invariant::TifRespected;
    assert!(result.findings.count(tif) > 0, "{:?}", result.findings);
    assert_eq!(run(&s, None).unwrap().findings.total(), 0, "the reference is clean on the same run");
}
