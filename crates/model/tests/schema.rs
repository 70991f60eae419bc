//! `report.schema.json` at the repository root is the report's contract for consumers. It is
//! generated from the model types, and this test fails when the two drift apart; `cargo
//! xtask schema` regenerates it.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../report.schema.json")
}

/// Keys sorted at every level: serde_json keeps insertion order when another crate in the
/// build turns on its `preserve_order` feature, and the file must not depend on that.
fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let ordered: std::collections::BTreeMap<String, serde_json::Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            serde_json::Value::Object(ordered.into_iter().collect())
        }
        serde_json::Value::Array(list) => {
            serde_json::Value::Array(list.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

fn generated() -> String {
    let mut text = serde_json::to_string_pretty(&sorted(orgsweep_model::report_schema()))
        .expect("the schema serializes");
    text.push('\n');
    text
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = committed_path();
    if std::env::var_os("ORGSWEEP_BLESS").is_some() {
        // Through a rename: a test reading the file meanwhile (this binary's other test, or
        // another run) must never see it half written.
        let temp = path.with_extension("json.tmp");
        std::fs::write(&temp, generated()).expect("write report.schema.json");
        std::fs::rename(&temp, &path).expect("rename report.schema.json");
    }
    // The text is compared, keys sorted: `Value` equality depends on serde_json's features
    // (with `preserve_order`, which another crate of a workspace build may turn on, maps
    // compare differently), and the file's text is the contract consumers read.
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated(),
        "report.schema.json is out of date with the model: run `cargo xtask schema`"
    );
}

#[test]
fn the_schema_requires_the_contract_fields() {
    let schema = orgsweep_model::report_schema();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("required list")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for field in [
        "schema_version",
        "tool",
        "run",
        "accounts",
        "coverage",
        "findings",
        "inventory",
        "stats",
    ] {
        assert!(required.contains(&field), "{field} is not required");
    }
}
