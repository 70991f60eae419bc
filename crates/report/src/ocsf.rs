//! `findings.ocsf.json`: the findings as OCSF Detection Findings, for security data lakes
//! (Amazon Security Lake, Splunk, ...) that ingest the Open Cybersecurity Schema Framework.
//!
//! The file is a JSON array with one object per finding, of class Detection Finding
//! (`class_uid` 2004, category Findings, activity Create) with the `cloud` profile. Each
//! object validates against the OCSF [`OCSF_VERSION`] JSON schema of that class, which the
//! tests vendor in `tests/data/`.

use std::collections::HashMap;

use orgsweep_model::{Finding, GLOBAL_REGION, Report, Severity};
use serde_json::{Map, Value, json};

use crate::RenderError;
use crate::csv::{account_names, joined_steps};

/// The OCSF schema version the objects follow (written into `metadata.version`).
pub const OCSF_VERSION: &str = "1.8.0";

const CLASS_UID: u32 = 2004;
const CATEGORY_UID: u32 = 2;
/// Activity "Create": the scan reports the finding; it does not track its lifecycle.
const ACTIVITY_ID: u32 = 1;
/// `class_uid * 100 + activity_id`, as OCSF defines it.
const TYPE_UID: u32 = CLASS_UID * 100 + ACTIVITY_ID;
/// Status "New": triage happens downstream.
const STATUS_ID: u32 = 1;
/// `account.type_id` "AWS Account".
const AWS_ACCOUNT_TYPE_ID: u32 = 10;

/// Renders every finding as an OCSF Detection Finding, pretty-printed, with a trailing
/// newline like `report.json`.
pub fn to_ocsf(report: &Report) -> Result<String, RenderError> {
    let mut text =
        serde_json::to_string_pretty(&ocsf_findings(report)).map_err(RenderError::Json)?;
    text.push('\n');
    Ok(text)
}

/// One OCSF Detection Finding object per finding, in the report's order.
pub fn ocsf_findings(report: &Report) -> Vec<Value> {
    let names = account_names(report);
    report
        .findings
        .iter()
        .map(|finding| detection_finding(report, &names, finding))
        .collect()
}

/// OCSF `severity_id` and its caption.
fn severity(severity: Severity) -> (u32, &'static str) {
    match severity {
        Severity::Critical => (5, "Critical"),
        Severity::High => (4, "High"),
        Severity::Medium => (3, "Medium"),
        Severity::Low => (2, "Low"),
        Severity::Info => (1, "Informational"),
    }
}

/// Milliseconds since the Unix epoch: OCSF's `timestamp_t`.
fn epoch_ms(at: time::OffsetDateTime) -> i64 {
    // |nanos| < 2^64 for any `OffsetDateTime`, so the quotient fits an i64.
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn detection_finding(report: &Report, names: &HashMap<&str, &str>, finding: &Finding) -> Value {
    let time = epoch_ms(report.run.finished_at);
    let (severity_id, severity) = severity(finding.severity);
    let regional = finding.region != GLOBAL_REGION;

    let mut account = Map::new();
    account.insert("uid".into(), json!(finding.account_id));
    if let Some(name) = names.get(finding.account_id.as_str()) {
        account.insert("name".into(), json!(name));
    }
    account.insert("type".into(), json!("AWS Account"));
    account.insert("type_id".into(), json!(AWS_ACCOUNT_TYPE_ID));

    let mut cloud = Map::new();
    cloud.insert("provider".into(), json!("AWS"));
    cloud.insert("account".into(), Value::Object(account));

    let mut resource = Map::new();
    resource.insert("uid".into(), json!(finding.resource_id));
    resource.insert("type".into(), json!(finding.resource_type));
    resource.insert("cloud_partition".into(), json!("aws"));

    if regional {
        cloud.insert("region".into(), json!(finding.region));
        resource.insert("region".into(), json!(finding.region));
    }

    let mut object = Map::new();
    object.insert("activity_id".into(), json!(ACTIVITY_ID));
    object.insert("activity_name".into(), json!("Create"));
    object.insert("category_uid".into(), json!(CATEGORY_UID));
    object.insert("category_name".into(), json!("Findings"));
    object.insert("class_uid".into(), json!(CLASS_UID));
    object.insert("class_name".into(), json!("Detection Finding"));
    object.insert("type_uid".into(), json!(TYPE_UID));
    object.insert("type_name".into(), json!("Detection Finding: Create"));
    object.insert("time".into(), json!(time));
    object.insert("severity_id".into(), json!(severity_id));
    object.insert("severity".into(), json!(severity));
    object.insert("status_id".into(), json!(STATUS_ID));
    object.insert("status".into(), json!("New"));
    object.insert("message".into(), json!(finding.title));
    object.insert(
        "metadata".into(),
        json!({
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "uid": finding.id,
            "product": {
                "name": "orgsweep",
                "vendor_name": "orgsweep",
                "version": report.tool.version,
            },
        }),
    );
    object.insert(
        "finding_info".into(),
        json!({
            "uid": finding.id,
            "title": finding.title,
            "desc": finding.detail,
            "types": [finding.check_id],
            "created_time": time,
        }),
    );
    object.insert("cloud".into(), Value::Object(cloud));
    object.insert("resources".into(), json!([resource]));
    if !finding.remediation.is_empty() {
        object.insert(
            "remediation".into(),
            json!({ "desc": joined_steps(finding) }),
        );
    }
    if !finding.evidence.is_empty() {
        // `evidences.data` is OCSF's free-form JSON slot for what the detection saw.
        object.insert(
            "evidences".into(),
            json!([{ "data": Value::Object(finding.evidence.clone()) }]),
        );
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;

    #[test]
    fn one_detection_finding_per_finding_with_mapped_fields() {
        let report = sample_report();
        let objects = ocsf_findings(&report);
        assert_eq!(objects.len(), report.findings.len());
        let critical = &objects[0];
        assert_eq!(critical["class_uid"], 2004);
        assert_eq!(critical["type_uid"], 200401);
        assert_eq!(critical["severity_id"], 5);
        assert_eq!(critical["severity"], "Critical");
        // 2026-03-02T09:12:34Z
        assert_eq!(critical["time"], 1_772_442_754_000_i64);
        assert_eq!(critical["metadata"]["version"], OCSF_VERSION);
        assert_eq!(critical["metadata"]["product"]["version"], "0.1.0");
        assert_eq!(critical["metadata"]["uid"], report.findings[0].id);
        assert_eq!(
            critical["finding_info"]["types"][0],
            "iam.quarantine_policy_attached"
        );
        assert_eq!(critical["cloud"]["account"]["name"], "management");
        assert!(
            critical["cloud"].get("region").is_none(),
            "global has no region"
        );
        assert_eq!(critical["remediation"]["desc"], "first step | second step");
        assert_eq!(
            critical["evidences"][0]["data"]["policy"],
            "AWSCompromisedKeyQuarantineV2"
        );
        let regional = objects
            .iter()
            .find(|o| o["cloud"]["region"] == "ap-south-1")
            .unwrap();
        assert_eq!(regional["resources"][0]["region"], "ap-south-1");
        assert_eq!(regional["cloud"]["account"]["name"], "workloads");
    }

    #[test]
    fn info_severity_and_empty_parts_are_mapped_or_left_out() {
        let mut report = sample_report();
        for finding in &mut report.findings {
            finding.severity = Severity::Info;
            finding.remediation.clear();
            finding.evidence.clear();
        }
        report.accounts.clear();
        for object in ocsf_findings(&report) {
            assert_eq!(object["severity_id"], 1);
            assert_eq!(object["severity"], "Informational");
            assert!(object.get("remediation").is_none());
            assert!(object.get("evidences").is_none());
            assert!(object["cloud"]["account"].get("name").is_none());
        }
    }

    #[test]
    fn renders_a_pretty_array_with_a_trailing_newline() {
        let text = to_ocsf(&sample_report()).unwrap();
        assert!(text.starts_with("[\n") && text.ends_with("]\n"), "{text}");
        let empty = to_ocsf(&orgsweep_model::Report {
            findings: vec![],
            ..sample_report()
        })
        .unwrap();
        assert_eq!(empty, "[]\n");
    }
}
