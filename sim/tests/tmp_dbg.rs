//! tmp
use exsim::testkit::script::*;
use exsim::fault::FaultSet;
use rand::{RngCore, SeedableRng};
#[test]
fn dbg() {
    for seed in 0..4 {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut bytes = vec![0u8; 600];
    rng.fill_bytes(&mut bytes);
    let s = Script::decode(&bytes).unwrap();
    let run = run_script(&s, FaultSet::NONE);
    for (st, o) in s.steps.iter().zip(&run.outcomes) { println!("{st:?} -> {o:?}"); }
    }
}
