//! GuardDuty in one region: whether a detector exists and is enabled, and its high and
//! critical findings that are not archived.
//!
//! Calls per account-region: ListDetectors (one page: a region has at most one detector);
//! without a detector nothing more. With one: GetDetector, ListFindings (50 ids per page, at
//! most [`MAX_FINDINGS`] ids, most severe first) and GetFindings per 50 ids.

use std::collections::HashMap;

use aws_sdk_guardduty::types::{Condition, FindingCriteria, OrderBy, SortCriteria};
use orgsweep_model::facts::{GuardDutyFinding, GuardDutyStatus};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::AwsError;
use crate::session::AccountSession;

/// The lowest severity read: GuardDuty's "high" starts at 7.0, which is what the checks
/// report. Lower findings stay in GuardDuty.
const MIN_SEVERITY: i64 = 7;

/// ListFindings and GetFindings take at most 50 ids per call.
const BATCH: usize = 50;

/// At most this many findings per region, the most severe first. A region with more high
/// findings than this is compromised beyond what a list adds; the collection says it
/// stopped short (a `problems` entry).
pub(crate) const MAX_FINDINGS: usize = 200;

/// What a finding is about, by id, when the finding names one.
fn resource_id(resource: &aws_sdk_guardduty::types::Resource) -> Option<String> {
    let id = resource
        .access_key_details()
        .and_then(|d| d.access_key_id())
        .or_else(|| resource.instance_details().and_then(|d| d.instance_id()))
        .or_else(|| resource.s3_bucket_details().iter().find_map(|b| b.name()))
        .or_else(|| resource.eks_cluster_details().and_then(|d| d.name()))
        .or_else(|| resource.ecs_cluster_details().and_then(|d| d.name()))
        .or_else(|| resource.lambda_details().and_then(|d| d.function_name()))
        .or_else(|| {
            resource
                .rds_db_instance_details()
                .and_then(|d| d.db_instance_identifier())
        })
        .or_else(|| resource.container_details().and_then(|d| d.name()));
    id.map(str::to_owned)
}

impl AccountSession {
    /// The region's GuardDuty status; no detector is `detector_id: None` (GuardDuty is off
    /// there: that is the finding, not an error). The second value says why findings were
    /// left out, if any were.
    pub(crate) async fn guardduty_status(
        &self,
        region: &str,
    ) -> Result<(GuardDutyStatus, Option<String>), AwsError> {
        let client = self.guardduty(Some(region));
        let mut pages = client.list_detectors().into_paginator().send();
        let mut detectors = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("guardduty:ListDetectors", e))?;
            detectors.extend(page.detector_ids().iter().cloned());
        }
        detectors.sort();
        let Some(detector) = detectors.into_iter().next() else {
            return Ok((GuardDutyStatus::default(), None));
        };
        let got = client
            .get_detector()
            .detector_id(&detector)
            .send()
            .await
            .map_err(|e| self.error("guardduty:GetDetector", e))?;
        let criteria = FindingCriteria::builder()
            .set_criterion(Some(HashMap::from([
                (
                    "severity".to_owned(),
                    Condition::builder()
                        .greater_than_or_equal(MIN_SEVERITY)
                        .build(),
                ),
                (
                    "service.archived".to_owned(),
                    Condition::builder().equals("false").build(),
                ),
            ])))
            .build();
        let mut pages = client
            .list_findings()
            .detector_id(&detector)
            .finding_criteria(criteria)
            .sort_criteria(
                SortCriteria::builder()
                    .attribute_name("severity")
                    .order_by(OrderBy::Desc)
                    .build(),
            )
            .max_results(i32::try_from(BATCH).unwrap_or(50))
            .into_paginator()
            .send();
        let mut ids = Vec::new();
        let mut more = false;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("guardduty:ListFindings", e))?;
            ids.extend(page.finding_ids().iter().cloned());
            if ids.len() >= MAX_FINDINGS {
                more = ids.len() > MAX_FINDINGS || page.next_token().is_some_and(|t| !t.is_empty());
                ids.truncate(MAX_FINDINGS);
                break;
            }
        }
        let mut findings = Vec::new();
        for batch in ids.chunks(BATCH) {
            let got = client
                .get_findings()
                .detector_id(&detector)
                .set_finding_ids(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| self.error("guardduty:GetFindings", e))?;
            for f in got.findings() {
                let Some(id) = f.id() else { continue };
                findings.push(GuardDutyFinding {
                    id: id.to_owned(),
                    finding_type: f.r#type().unwrap_or_default().to_owned(),
                    severity: f.severity().unwrap_or_default(),
                    title: f.title().unwrap_or_default().to_owned(),
                    resource_type: f
                        .resource()
                        .and_then(|r| r.resource_type())
                        .unwrap_or_default()
                        .to_owned(),
                    resource_id: f.resource().and_then(resource_id),
                    updated_at: f
                        .updated_at()
                        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()),
                });
            }
        }
        findings.sort_by(|a, b| a.id.cmp(&b.id));
        let problem = more.then(|| {
            format!(
                "more than {MAX_FINDINGS} GuardDuty findings of severity {MIN_SEVERITY} or more: only the {MAX_FINDINGS} most severe were read"
            )
        });
        Ok((
            GuardDutyStatus {
                detector_id: Some(detector),
                detector_status: got.status().map(|s| s.as_str().to_owned()),
                findings,
            },
            problem,
        ))
    }
}
