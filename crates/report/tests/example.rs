//! The checked-in example (`reports/example/`) is what the README points a new user at, so
//! it must be what today's orgsweep writes: its report.json parses at the current schema
//! version and validates against `report.schema.json`, and its HTML and plans are exactly a
//! fresh rendering of that JSON. After a template change, re-render it:
//! `orgsweep report reports/example/report.json --format html,csv,ocsf,asff`
//! (a scan of the demo organization with `--out reports/example --force` regenerates all).

use std::path::{Path, PathBuf};

use orgsweep_model::SCHEMA_VERSION;
use orgsweep_report::{plan_html, plan_markdown, to_html};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(name: &str) -> String {
    let path = root().join("reports/example").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_example_report_is_current_valid_and_freshly_rendered() {
    let text = read("report.json");
    let report = orgsweep_model::parse_report(&text).expect("the example parses");
    assert_eq!(
        report.schema_version, SCHEMA_VERSION,
        "the example is of an older schema: regenerate it"
    );
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("report.schema.json")).expect("schema"),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let instance: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Something to look at: the demo's planted incidents and its gaps.
    assert!(report.findings.len() >= 10, "{}", report.findings.len());
    assert!(report.gaps().next().is_some());

    let stale = "is not a fresh rendering of report.json: re-render it (see this file's doc)";
    assert!(
        to_html(&report).expect("renders") == read("report.html"),
        "report.html {stale}"
    );
    assert!(
        plan_html(&report).expect("renders") == read("plan.html"),
        "plan.html {stale}"
    );
    assert!(plan_markdown(&report) == read("plan.md"), "plan.md {stale}");
    // The machine formats a pipeline ingests, so a reader can see each one.
    for (name, fresh) in [
        ("findings.csv", orgsweep_report::to_csv(&report)),
        ("findings.ocsf.json", orgsweep_report::to_ocsf(&report)),
        ("findings.asff.json", orgsweep_report::to_asff(&report)),
    ] {
        assert!(fresh.expect("renders") == read(name), "{name} {stale}");
    }
}
