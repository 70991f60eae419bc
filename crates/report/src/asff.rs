//! `findings.asff.json`: the findings in the AWS Security Finding Format, ready for
//! `securityhub:BatchImportFindings` as a custom integration of the management account.
//!
//! The file is a JSON array with one ASFF object per finding of the report. A Security Hub
//! exporter sends [`asff_findings`] in batches of at most 100 (the API's limit), calling the
//! API in the region named by each object's `ProductArn`, and sends [`asff_archived`] for the
//! findings resolved since the previous report so that Security Hub archives them instead of
//! keeping them active forever.
//!
//! Only the `aws` partition is produced: orgsweep does not scan GovCloud or China.

use std::collections::HashMap;

use orgsweep_model::{Finding, GLOBAL_REGION, Report, Severity};
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::RenderError;
use crate::csv::{account_names, joined_steps};

pub(crate) const SCHEMA_VERSION: &str = "2018-10-08";
/// Where account-wide (`global`) findings are imported: IAM's home region.
pub(crate) const GLOBAL_HOME_REGION: &str = "us-east-1";
pub(crate) const PARTITION: &str = "aws";

/// Length limits of the `AwsSecurityFinding` API reference, in characters.
pub(crate) const TITLE_MAX: usize = 256;
pub(crate) const DESCRIPTION_MAX: usize = 1024;
pub(crate) const RECOMMENDATION_MAX: usize = 512;
pub(crate) const PRODUCT_FIELD_VALUE_MAX: usize = 2048;

/// Renders the report's findings as ASFF, pretty-printed, with a trailing newline.
pub fn to_asff(report: &Report) -> Result<String, RenderError> {
    // `asff_findings` cannot fail; a time it cannot express in RFC 3339 is refused here so
    // the file never carries a timestamp that Security Hub would reject.
    rfc3339_utc(report.run.finished_at).ok_or_else(|| time_error(report.run.finished_at))?;
    if let Some(previous) = &report.previous {
        rfc3339_utc(previous.started_at).ok_or_else(|| time_error(previous.started_at))?;
    }
    let mut text =
        serde_json::to_string_pretty(&asff_findings(report)).map_err(RenderError::Json)?;
    text.push('\n');
    Ok(text)
}

fn time_error(at: OffsetDateTime) -> RenderError {
    RenderError::Time(at.to_string())
}

/// One active (`RecordState` ACTIVE) ASFF finding per report finding, in the report's
/// order: `Workflow.Status` NEW, or SUPPRESSED for a muted finding (accepted risk, which is
/// what Security Hub's suppression means).
pub fn asff_findings(report: &Report) -> Vec<Value> {
    let names = account_names(report);
    let now = timestamp(report.run.finished_at);
    report
        .findings
        .iter()
        .map(|finding| {
            let workflow = if finding.muted { "SUPPRESSED" } else { "NEW" };
            asff_finding(report, &names, finding, &now, &now, workflow, "ACTIVE")
        })
        .collect()
}

/// The update that archives a finding resolved since the previous report (one of
/// `report.previous.resolved_findings`): same `Id` and `ProductArn` as when it was imported,
/// `RecordState` ARCHIVED and `Workflow.Status` RESOLVED, `UpdatedAt` this run.
pub fn asff_archived(report: &Report, finding: &Finding) -> Value {
    let names = account_names(report);
    let updated = timestamp(report.run.finished_at);
    let created = report
        .previous
        .as_ref()
        .map_or_else(|| updated.clone(), |p| timestamp(p.started_at));
    asff_finding(
        report, &names, finding, &created, &updated, "RESOLVED", "ARCHIVED",
    )
}

fn rfc3339_utc(at: OffsetDateTime) -> Option<String> {
    at.checked_to_offset(UtcOffset::UTC)
        .and_then(|utc| utc.format(&Rfc3339).ok())
}

/// RFC 3339 in UTC, as Security Hub wants it; [`to_asff`] refuses the out-of-range times for
/// which this falls back to the unformatted value.
fn timestamp(at: OffsetDateTime) -> String {
    rfc3339_utc(at).unwrap_or_else(|| at.to_string())
}

/// The region a finding is imported into (and that its resource is placed in).
pub(crate) fn home_region(finding: &Finding) -> &str {
    if finding.region == GLOBAL_REGION || finding.region.trim().is_empty() {
        GLOBAL_HOME_REGION
    } else {
        &finding.region
    }
}

/// The ARN of the default product of a custom integration owned by `account`.
pub(crate) fn product_arn(region: &str, account: &str) -> String {
    format!("arn:{PARTITION}:securityhub:{region}:{account}:product/{account}/default")
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFORMATIONAL",
    }
}

/// ASFF finding types (`namespace/category`, from AWS's "Types taxonomy for ASFF") by check.
/// A check gets a threat-oriented type only where what it reports is that behaviour or
/// effect; everything else is a configuration check.
pub(crate) fn finding_types(check_id: &str) -> Vec<&'static str> {
    const BEST_PRACTICES: &str = "Software and Configuration Checks/AWS Security Best Practices";
    match check_id {
        // Events from CloudTrail that a person or a key performed.
        "cloudtrail.suspicious_event" => vec!["Unusual Behaviors/User"],
        // Turning off the audit trail or the recorder is how an intruder hides.
        "cloudtrail.no_active_trail" | "config.recorder_off" => {
            vec![BEST_PRACTICES, "TTPs/Defense Evasion"]
        }
        // Mining-class instances: the classic use of stolen compute.
        "resources.mining_class_instance" => vec!["Effects/Resource Consumption"],
        // Snapshots, images and the like visible outside the organization.
        "resources.shared_outside_org" => vec!["Effects/Data Exposure"],
        // New or unknown principals and keys: how an intruder keeps access.
        "iam.principal_recently_created"
        | "iam.access_key_recently_created"
        | "iam.unknown_principal"
        | "iam.role_trusts_external_account" => vec!["TTPs/Persistence"],
        // AWS attaches the quarantine policy to a key it found exposed.
        "iam.quarantine_policy_attached" => vec!["TTPs/Credential Access"],
        _ => vec![BEST_PRACTICES],
    }
}

/// The ASFF resource type of an orgsweep resource type; `Other` where ASFF has none.
pub(crate) fn resource_type(resource_type: &str) -> &'static str {
    match resource_type {
        "account" | "iam_root_user" => "AwsAccount",
        "iam_user" => "AwsIamUser",
        "iam_role" => "AwsIamRole",
        "iam_group" => "AwsIamGroup",
        "iam_policy" => "AwsIamPolicy",
        "iam_access_key" => "AwsIamAccessKey",
        "ec2_instance" => "AwsEc2Instance",
        "ec2_volume" => "AwsEc2Volume",
        "ec2_vpc" => "AwsEc2Vpc",
        "ec2_security_group" => "AwsEc2SecurityGroup",
        "ec2_address" => "AwsEc2Eip",
        "ec2_launch_template" => "AwsEc2LaunchTemplate",
        "cloudtrail_trail" => "AwsCloudTrailTrail",
        _ => "Other",
    }
}

/// At most `max` characters, cut on a character boundary; a cut value ends with `…` so a
/// reader knows there is more in `report.json`.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The first non-blank value: ASFF requires `Title` and `Description` to contain a
/// non-whitespace character.
fn non_blank<'a>(candidates: &[&'a str]) -> &'a str {
    candidates
        .iter()
        .copied()
        .find(|s| !s.trim().is_empty())
        .unwrap_or("orgsweep finding")
}

/// The account whose custom integration imports `finding`: the organization's management
/// account, or in a multi-target report (`scan --targets`) that of the finding's own target
/// (its management account, or the standalone account itself).
fn importer<'a>(report: &'a Report, finding: &'a Finding) -> &'a str {
    if !report.run.management_account_id.is_empty() {
        return &report.run.management_account_id;
    }
    report
        .accounts
        .iter()
        .find(|a| a.account_id == finding.account_id)
        .and_then(|a| a.target.as_deref())
        .and_then(|name| report.run.targets.iter().find(|t| t.name == name))
        .and_then(|t| t.account_id.as_deref())
        .unwrap_or(&finding.account_id)
}

fn asff_finding(
    report: &Report,
    names: &HashMap<&str, &str>,
    finding: &Finding,
    created_at: &str,
    updated_at: &str,
    workflow: &str,
    record_state: &str,
) -> Value {
    let region = home_region(finding);
    let management = importer(report, finding);
    let title = non_blank(&[&finding.title, &finding.check_id]);
    let description = non_blank(&[&finding.detail, &finding.title, &finding.check_id]);

    let mut product_fields = Map::new();
    for (key, value) in [
        ("orgsweep/check_id", finding.check_id.as_str()),
        ("orgsweep/account_id", finding.account_id.as_str()),
        ("orgsweep/region", finding.region.as_str()),
        ("orgsweep/resource_type", finding.resource_type.as_str()),
    ] {
        product_fields.insert(key.into(), json!(truncate(value, PRODUCT_FIELD_VALUE_MAX)));
    }
    if let Some(name) = names.get(finding.account_id.as_str()) {
        product_fields.insert(
            "orgsweep/account_name".into(),
            json!(truncate(name, PRODUCT_FIELD_VALUE_MAX)),
        );
    }

    let mut object = Map::new();
    object.insert("SchemaVersion".into(), json!(SCHEMA_VERSION));
    object.insert("Id".into(), json!(finding.id));
    object.insert("ProductArn".into(), json!(product_arn(region, management)));
    object.insert("ProductName".into(), json!("orgsweep"));
    object.insert("CompanyName".into(), json!("orgsweep"));
    object.insert("GeneratorId".into(), json!(finding.check_id));
    object.insert("AwsAccountId".into(), json!(finding.account_id));
    object.insert("Types".into(), json!(finding_types(&finding.check_id)));
    object.insert("CreatedAt".into(), json!(created_at));
    object.insert("UpdatedAt".into(), json!(updated_at));
    object.insert(
        "Severity".into(),
        json!({
            "Label": severity_label(finding.severity),
            "Original": finding.severity.as_str(),
        }),
    );
    object.insert("Title".into(), json!(truncate(title, TITLE_MAX)));
    object.insert(
        "Description".into(),
        json!(truncate(description, DESCRIPTION_MAX)),
    );
    object.insert(
        "Resources".into(),
        json!([{
            "Type": resource_type(&finding.resource_type),
            "Id": non_blank(&[&finding.resource_id, &finding.id, &finding.account_id]),
            "Partition": PARTITION,
            "Region": region,
        }]),
    );
    let steps = joined_steps(finding);
    if !steps.trim().is_empty() {
        object.insert(
            "Remediation".into(),
            json!({ "Recommendation": { "Text": truncate(&steps, RECOMMENDATION_MAX) } }),
        );
    }
    object.insert("ProductFields".into(), Value::Object(product_fields));
    object.insert("Workflow".into(), json!({ "Status": workflow }));
    object.insert("RecordState".into(), json!(record_state));
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;
    use time::macros::datetime;

    #[test]
    fn maps_the_sample_report() {
        let report = sample_report();
        let objects = asff_findings(&report);
        assert_eq!(objects.len(), report.findings.len());
        let critical = &objects[0];
        assert_eq!(critical["Id"], report.findings[0].id);
        assert_eq!(
            critical["ProductArn"],
            "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
        );
        assert_eq!(critical["GeneratorId"], "iam.quarantine_policy_attached");
        assert_eq!(critical["Types"][0], "TTPs/Credential Access");
        assert_eq!(critical["CreatedAt"], "2026-03-02T09:12:34Z");
        assert_eq!(critical["Severity"]["Label"], "CRITICAL");
        assert_eq!(critical["Resources"][0]["Type"], "AwsIamUser");
        assert_eq!(critical["Resources"][0]["Region"], "us-east-1");
        assert_eq!(
            critical["Remediation"]["Recommendation"]["Text"],
            "first step | second step"
        );
        assert_eq!(critical["ProductFields"]["orgsweep/region"], "global");
        assert_eq!(
            critical["ProductFields"]["orgsweep/account_name"],
            "management"
        );
        assert_eq!(critical["Workflow"]["Status"], "NEW");
        assert_eq!(critical["RecordState"], "ACTIVE");

        let regional = objects
            .iter()
            .find(|o| o["AwsAccountId"] == "222222222222")
            .unwrap();
        assert_eq!(
            regional["ProductArn"],
            "arn:aws:securityhub:ap-south-1:111111111111:product/111111111111/default"
        );
        assert_eq!(regional["Resources"][0]["Region"], "ap-south-1");
    }

    #[test]
    fn archived_keeps_identity_and_resolves() {
        let mut report = sample_report();
        report.previous = Some(orgsweep_model::diff::Previous {
            started_at: datetime!(2026-02-23 09:00:00 UTC),
            resolved_findings: vec![],
            not_rechecked_findings: vec![],
            appeared: vec![],
            disappeared: vec![],
            not_rechecked_resources: vec![],
        });
        let finding = report.findings[2].clone();
        let active = &asff_findings(&report)[2];
        let archived = asff_archived(&report, &finding);
        assert_eq!(archived["Id"], active["Id"]);
        assert_eq!(archived["ProductArn"], active["ProductArn"]);
        assert_eq!(archived["RecordState"], "ARCHIVED");
        assert_eq!(archived["Workflow"]["Status"], "RESOLVED");
        assert_eq!(archived["CreatedAt"], "2026-02-23T09:00:00Z");
        assert_eq!(archived["UpdatedAt"], "2026-03-02T09:12:34Z");
    }

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        let long = "é".repeat(300);
        let cut = truncate(&long, TITLE_MAX);
        assert_eq!(cut.chars().count(), TITLE_MAX);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn blank_text_falls_back_and_types_default_to_best_practices() {
        let mut report = sample_report();
        report.findings[0].title = "  ".into();
        report.findings[0].detail = String::new();
        report.findings[0].remediation.clear();
        let object = &asff_findings(&report)[0];
        assert_eq!(object["Title"], "iam.quarantine_policy_attached");
        assert_eq!(object["Description"], "iam.quarantine_policy_attached");
        assert!(object.get("Remediation").is_none());
        assert_eq!(
            finding_types("iam.root_mfa_disabled"),
            ["Software and Configuration Checks/AWS Security Best Practices"]
        );
        assert_eq!(resource_type("ec2_snapshot"), "Other");
    }

    #[test]
    fn out_of_range_times_are_an_error_not_a_panic() {
        let mut report = sample_report();
        report.run.finished_at = datetime!(9999-12-31 23:30:00 -01:00);
        assert!(matches!(to_asff(&report), Err(RenderError::Time(_))));
        assert_eq!(asff_findings(&report).len(), report.findings.len());
    }
}
