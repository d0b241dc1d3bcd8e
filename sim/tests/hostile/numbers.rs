//! Hostile inputs: rows of this class (see `main.rs` for what every row checks).

use super::*;

#[test]
fn minimal_scenario_runs() {
    run_table(&[Case::new("minimal scenario", &["run", "hostile.toml"], Expect::Runs(0, &["hostile"]))
        .file("hostile.toml", MINIMAL)]);
}
