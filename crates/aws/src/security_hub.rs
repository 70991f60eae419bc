//! Sends a report's findings to AWS Security Hub (`scan --security-hub REGION`).
//!
//! The findings arrive as ASFF objects (`orgsweep_report::asff_findings`, the same objects
//! as `findings.asff.json`), so the file and the export cannot drift apart. They are
//! imported through the caller's own custom integration (the default product ARN of the
//! caller's account in `REGION`). AWS accepts a finding on the default product only from the
//! account named in its `AwsAccountId`, so each finding is imported as the caller's, and the
//! account it is about becomes an `AwsAccount` resource of the finding (its id stays in
//! `ProductFields`, `orgsweep/account_id`): the organization's findings land in one place,
//! the Security Hub administrator account that usually runs the scan.
//!
//! Batches of at most 100 (the API's limit), paced by the session's Security Hub limiter
//! and retried like every other call; a failed batch or finding is counted and reported,
//! and the remaining batches are still sent.

use std::collections::HashMap;

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Partition, Recommendation, RecordState, Remediation, Resource, Severity,
    SeverityLabel, Workflow, WorkflowStatus,
};
use serde_json::Value;

use crate::Session;

/// BatchImportFindings takes at most 100 findings per call.
pub const BATCH_LIMIT: usize = 100;

/// What one export did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HubExport {
    pub region: String,
    /// Calls made (batches).
    pub batches: usize,
    /// Active findings Security Hub accepted.
    pub imported: usize,
    /// Resolved findings Security Hub accepted as archived.
    pub archived: usize,
    /// Findings that were not imported: (finding id, why).
    pub failed: Vec<(String, String)>,
}

impl Session {
    /// Imports `active` (the report's findings) and `archived` (those resolved since the
    /// previous report, `RecordState` ARCHIVED) into Security Hub in `region`.
    pub async fn export_to_security_hub(
        &self,
        region: &str,
        active: &[Value],
        archived: &[Value],
    ) -> HubExport {
        let caller = self.caller().clone();
        let own = self.own(&caller.account_id);
        let client = own.securityhub(Some(region));
        let product_arn = format!(
            "arn:{}:securityhub:{region}:{}:product/{}/default",
            caller.partition, caller.account_id, caller.account_id
        );
        let mut export = HubExport {
            region: region.to_owned(),
            ..HubExport::default()
        };
        // Each finding with whether it is an archiving update.
        let findings: Vec<(AwsSecurityFinding, bool)> = active
            .iter()
            .map(|v| (v, false))
            .chain(archived.iter().map(|v| (v, true)))
            .map(|(v, archiving)| {
                let finding = to_finding(v, &product_arn, &caller.account_id, &caller.partition);
                (finding, archiving)
            })
            .collect();
        for batch in findings.chunks(BATCH_LIMIT) {
            export.batches += 1;
            let in_batch: HashMap<String, bool> = batch
                .iter()
                .map(|(f, archiving)| (f.id().unwrap_or_default().to_owned(), *archiving))
                .collect();
            let result = client
                .batch_import_findings()
                .set_findings(Some(batch.iter().map(|(f, _)| f.clone()).collect()))
                .send()
                .await;
            match result {
                Ok(answer) => {
                    let failed: HashMap<&str, String> = answer
                        .failed_findings()
                        .iter()
                        .map(|f| {
                            let why = format!(
                                "{}: {}",
                                f.error_code().unwrap_or("error"),
                                f.error_message().unwrap_or_default()
                            );
                            (f.id().unwrap_or_default(), why)
                        })
                        .collect();
                    for (id, archiving) in &in_batch {
                        if let Some(why) = failed.get(id.as_str()) {
                            export.failed.push((id.clone(), why.clone()));
                        } else if *archiving {
                            export.archived += 1;
                        } else {
                            export.imported += 1;
                        }
                    }
                }
                Err(err) => {
                    let why = own
                        .error("securityhub:BatchImportFindings", err)
                        .to_string();
                    for id in in_batch.into_keys() {
                        export.failed.push((id, why.clone()));
                    }
                }
            }
        }
        export.failed.sort();
        export
    }
}

fn text<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// One ASFF object as the SDK's finding, imported as `caller`'s through `product_arn`.
pub fn to_finding(
    v: &Value,
    product_arn: &str,
    caller: &str,
    partition: &str,
) -> AwsSecurityFinding {
    let id = text(v, "/Id").unwrap_or_default();
    let about = text(v, "/AwsAccountId").unwrap_or(caller);
    let mut resources = Vec::new();
    for r in v
        .get("Resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        resources.push(
            Resource::builder()
                .set_type(text(r, "/Type").map(str::to_owned))
                .set_id(text(r, "/Id").map(str::to_owned))
                .set_partition(text(r, "/Partition").map(Partition::from))
                .set_region(text(r, "/Region").map(str::to_owned))
                .build(),
        );
    }
    let home = resources
        .first()
        .and_then(|r| r.region())
        .map(str::to_owned);
    if about != caller {
        resources.push(
            Resource::builder()
                .r#type("AwsAccount")
                .id(format!("AWS::::Account:{about}"))
                .partition(Partition::from(partition))
                .set_region(home)
                .build(),
        );
    }
    let product_fields = v.get("ProductFields").and_then(Value::as_object).map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect::<HashMap<_, _>>()
    });
    let types = v.get("Types").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    });
    let remediation = text(v, "/Remediation/Recommendation/Text").map(|t| {
        Remediation::builder()
            .recommendation(Recommendation::builder().text(t).build())
            .build()
    });
    AwsSecurityFinding::builder()
        .schema_version(text(v, "/SchemaVersion").unwrap_or("2018-10-08"))
        .id(id)
        .product_arn(product_arn)
        .set_product_name(text(v, "/ProductName").map(str::to_owned))
        .set_company_name(text(v, "/CompanyName").map(str::to_owned))
        .set_generator_id(text(v, "/GeneratorId").map(str::to_owned))
        .aws_account_id(caller)
        .set_types(types)
        .set_created_at(text(v, "/CreatedAt").map(str::to_owned))
        .set_updated_at(text(v, "/UpdatedAt").map(str::to_owned))
        .severity(
            Severity::builder()
                .set_label(text(v, "/Severity/Label").map(SeverityLabel::from))
                .set_original(text(v, "/Severity/Original").map(str::to_owned))
                .build(),
        )
        .set_title(text(v, "/Title").map(str::to_owned))
        .set_description(text(v, "/Description").map(str::to_owned))
        .set_remediation(remediation)
        .set_product_fields(product_fields)
        .set_resources(Some(resources))
        .set_workflow(
            text(v, "/Workflow/Status")
                .map(|s| Workflow::builder().status(WorkflowStatus::from(s)).build()),
        )
        .set_record_state(text(v, "/RecordState").map(RecordState::from))
        .build()
}
