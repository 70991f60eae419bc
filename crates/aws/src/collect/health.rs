//! AWS Health's risk and abuse events for the whole organization, read once per scan from
//! the caller's account through Health's organizational view, and handed to each affected
//! account.
//!
//! Calls per scan (us-east-1, Health's endpoint): DescribeHealthServiceStatusForOrganization
//! (is the organizational view on? without it the event list is silently empty),
//! DescribeEventsForOrganization for the `issue` and `accountNotification` categories
//! (100 per page, all of the organization's events AWS keeps, about 90 days), of which only
//! `AWS_RISK_*` and `AWS_ABUSE_*` codes are kept; then per kept event
//! DescribeAffectedAccountsForOrganization (paged) and DescribeEventDetailsForOrganization
//! per 10 (event, account) pairs for AWS's text, which differs per account (it names the
//! exposed key). Filtering the codes here rather than in the request keeps new risk and
//! abuse codes visible without a release.

use std::collections::BTreeMap;

use aws_sdk_health::types::{EventAccountFilter, EventTypeCategory, OrganizationEventFilter};
use orgsweep_model::facts::HealthEvent;

use super::to_time;
use crate::error::AwsError;
use crate::session::AccountSession;

/// The event type code prefixes kept: AWS's warnings about the account's security.
pub const PREFIXES: [&str; 2] = ["AWS_RISK_", "AWS_ABUSE_"];

/// DescribeEventDetailsForOrganization takes at most 10 filters.
const DETAILS_BATCH: usize = 10;

/// Health errors in words: what the organization lacks.
fn explain(err: AwsError, account: &str) -> AwsError {
    let message = match err.code() {
        Some("SubscriptionRequiredException") => format!(
            "{err}; the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise \
             support plan on account {account} (the management account or Health's delegated \
             administrator)"
        ),
        _ if err.is_access_denied() => format!(
            "{err}; the scanning identity needs health:DescribeEventsForOrganization, \
             DescribeAffectedAccountsForOrganization, DescribeEventDetailsForOrganization and \
             DescribeHealthServiceStatusForOrganization in account {account}"
        ),
        _ => return err,
    };
    AwsError::Other {
        operation: "health:DescribeEventsForOrganization",
        message,
    }
}

/// One kept event, before its accounts and texts are known.
struct Event {
    arn: String,
    code: String,
    service: String,
    region: String,
    start_time: Option<time::OffsetDateTime>,
    status: String,
}

impl AccountSession {
    /// This account's risk and abuse events, from the organization's read on first use.
    /// A failure of that read is every account's.
    pub(crate) async fn account_health_events(&self) -> Result<Vec<HealthEvent>, AwsError> {
        let all = self
            .shared
            .health
            .get_or_init(|| async { self.caller().organization_health_events().await })
            .await;
        match all {
            Ok(all) => Ok(all.get(&self.account_id).cloned().unwrap_or_default()),
            Err(err) => Err(err.clone()),
        }
    }

    /// Reads the organization's risk and abuse events through this (the caller's) session,
    /// by affected account.
    pub(crate) async fn organization_health_events(
        &self,
    ) -> Result<BTreeMap<String, Vec<HealthEvent>>, AwsError> {
        let region = match self.shared.caller.partition.as_str() {
            "aws-cn" => "cn-northwest-1",
            "aws-us-gov" => "us-gov-west-1",
            _ => "us-east-1",
        };
        let caller = self.shared.caller.account_id.clone();
        let client = self.health(Some(region));
        let status = client
            .describe_health_service_status_for_organization()
            .send()
            .await
            .map_err(|e| {
                explain(
                    self.error("health:DescribeHealthServiceStatusForOrganization", e),
                    &caller,
                )
            })?;
        let enabled = status.health_service_access_status_for_organization();
        if enabled != Some("ENABLED") {
            return Err(AwsError::Other {
                operation: "health:DescribeEventsForOrganization",
                message: format!(
                    "AWS Health's organizational view is not enabled (status {}); enable it from \
                     the management account: aws health enable-health-service-access-for-organization \
                     --region us-east-1",
                    enabled.unwrap_or("unknown")
                ),
            });
        }

        let filter = OrganizationEventFilter::builder()
            .event_type_categories(EventTypeCategory::Issue)
            .event_type_categories(EventTypeCategory::AccountNotification)
            .build();
        let mut pages = client
            .describe_events_for_organization()
            .filter(filter)
            .max_results(100)
            .into_paginator()
            .send();
        let mut events = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                explain(
                    self.error("health:DescribeEventsForOrganization", e),
                    &caller,
                )
            })?;
            for e in page.events() {
                let (Some(arn), Some(code)) = (e.arn(), e.event_type_code()) else {
                    continue;
                };
                if !PREFIXES.iter().any(|p| code.starts_with(p)) {
                    continue;
                }
                events.push(Event {
                    arn: arn.to_owned(),
                    code: code.to_owned(),
                    service: e.service().unwrap_or_default().to_owned(),
                    region: e
                        .region()
                        .filter(|r| !r.is_empty())
                        .unwrap_or(orgsweep_model::GLOBAL_REGION)
                        .to_owned(),
                    start_time: to_time(e.start_time()),
                    status: e
                        .status_code()
                        .map_or_else(String::new, |s| s.as_str().to_owned()),
                });
            }
        }

        // (event index, account) pairs, then AWS's text for each.
        let mut pairs: Vec<(usize, String)> = Vec::new();
        for (index, event) in events.iter().enumerate() {
            let mut pages = client
                .describe_affected_accounts_for_organization()
                .event_arn(&event.arn)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    explain(
                        self.error("health:DescribeAffectedAccountsForOrganization", e),
                        &caller,
                    )
                })?;
                pairs.extend(
                    page.affected_accounts()
                        .iter()
                        .map(|account| (index, account.clone())),
                );
            }
        }
        let mut texts: BTreeMap<(String, String), String> = BTreeMap::new();
        for batch in pairs.chunks(DETAILS_BATCH) {
            let mut request = client.describe_event_details_for_organization();
            for (index, account) in batch {
                let filter = EventAccountFilter::builder()
                    .event_arn(&events[*index].arn)
                    .aws_account_id(account)
                    .build()
                    .map_err(|e| AwsError::Other {
                        operation: "health:DescribeEventDetailsForOrganization",
                        message: e.to_string(),
                    })?;
                request = request.organization_event_detail_filters(filter);
            }
            let details = request.send().await.map_err(|e| {
                explain(
                    self.error("health:DescribeEventDetailsForOrganization", e),
                    &caller,
                )
            })?;
            for d in details.successful_set() {
                let (Some(account), Some(arn)) =
                    (d.aws_account_id(), d.event().and_then(|e| e.arn()))
                else {
                    continue;
                };
                let text = d
                    .event_description()
                    .and_then(|e| e.latest_description())
                    .unwrap_or_default();
                texts.insert((arn.to_owned(), account.to_owned()), text.to_owned());
            }
            // The event itself still stands; its text says why it is missing.
            for f in details.failed_set() {
                let (Some(account), Some(arn)) = (f.aws_account_id(), f.event_arn()) else {
                    continue;
                };
                texts.insert(
                    (arn.to_owned(), account.to_owned()),
                    format!(
                        "(AWS Health did not return the event's text: {}: {})",
                        f.error_name().unwrap_or("error"),
                        f.error_message().unwrap_or_default()
                    ),
                );
            }
        }

        let mut by_account: BTreeMap<String, Vec<HealthEvent>> = BTreeMap::new();
        for (index, account) in pairs {
            let e = &events[index];
            let description = texts
                .remove(&(e.arn.clone(), account.clone()))
                .unwrap_or_default();
            by_account.entry(account).or_default().push(HealthEvent {
                arn: e.arn.clone(),
                event_type_code: e.code.clone(),
                service: e.service.clone(),
                region: e.region.clone(),
                start_time: e.start_time,
                status: e.status.clone(),
                description,
            });
        }
        for list in by_account.values_mut() {
            list.sort_by(|a, b| a.arn.cmp(&b.arn));
            list.dedup_by(|a, b| a.arn == b.arn);
        }
        tracing::info!(
            events = events.len(),
            accounts = by_account.len(),
            "read the organization's AWS Health risk and abuse events"
        );
        Ok(by_account)
    }
}
