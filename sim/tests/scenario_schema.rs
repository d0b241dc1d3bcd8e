//! The JSON Schema of scenario files: the committed `scenarios/scenario.schema.json` is exactly
//! what `exsim schema` prints (so it cannot go stale), it is a valid draft-07 schema, every
//! scenario shipped under `scenarios/` validates against it (read as JSON, the way editors read
//! TOML), and files with the mistakes people make do not.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn committed() -> Value {
    let text = std::fs::read_to_string(scenarios_dir().join("scenario.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A TOML scenario as the JSON a schema validates.
fn as_json(toml_text: &str) -> Value {
    let value: toml::Value = toml::from_str(toml_text).expect("TOML");
    serde_json::to_value(value).unwrap()
}

fn errors(validator: &jsonschema::Validator, toml_text: &str) -> Vec<String> {
    let instance = as_json(toml_text);
    validator.iter_errors(&instance).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

#[test]
fn the_committed_schema_is_what_exsim_schema_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_exsim")).arg("schema").output().expect("exsim runs");
    assert_eq!(out.status.code(), Some(0));
    let file = std::fs::read(scenarios_dir().join("scenario.schema.json")).unwrap();
    assert!(
        out.stdout == file,
        "scenarios/scenario.schema.json is stale: run `cargo run -p exsim -- schema > scenarios/scenario.schema.json`"
    );
    jsonschema::meta::validate(&committed()).expect("a valid JSON Schema");
}

#[test]
fn every_shipped_scenario_validates() {
    let validator = jsonschema::validator_for(&committed()).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(scenarios_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let errors = errors(&validator, &std::fs::read_to_string(&path).unwrap());
            assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} scenarios found");
}

#[test]
fn the_usual_mistakes_do_not_validate() {
    let validator = jsonschema::validator_for(&committed()).unwrap();
    let quickstart = exsim::scenario::QUICKSTART;
    assert_eq!(errors(&validator, quickstart), Vec::<String>::new());
    let cases = [
        // (what is in the quickstart, what a person wrote instead, where the schema says so)
        ("duration = \"2s\"", "duration = \"2 s\"", "/duration"),
        ("duration = \"2s\"", "duraton = \"2s\"", ""),
        ("tick = \"1\"", "tick = 0.01", "/markets/BTC-USD/tick"),
        ("kind = \"noise_trader\"", "kind = \"noise_trade\"", "/agents/noise"),
        ("max_size = ", "max_sise = ", "/agents/noise"),
        ("decimals = 8", "decimals = 19", "/assets/BTC/decimals"),
        ("faults = []", "faults = [\"ioc_rest\"]", "/faults/0"),
    ];
    for (from, to, at) in cases {
        assert!(quickstart.contains(from), "{from:?} not in the quickstart");
        let bad = quickstart.replacen(from, to, 1);
        let errors = errors(&validator, &bad);
        assert!(errors.iter().any(|e| e.starts_with(&format!("{at}:"))), "{to:?} should fail at {at:?}: {errors:#?}");
        // The parser refuses it too.
        assert!(exsim::scenario::parse(&bad, "bad.toml", &[]).is_err(), "{to:?}");
    }
}
