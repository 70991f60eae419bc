//! Trails, alternate contacts, and management events.
//!
//! Event query plan: one `ReadOnly=false` sweep per region over the window. LookupEvents
//! takes a single lookup attribute per call and allows 2 calls per second per account and
//! region, so the alternative, one query per suspicious event name (about forty names), costs
//! at least forty calls per region even in a quiet account; the write-event sweep costs one
//! call per 50 write events, which is fewer for all but the busiest accounts. Global services
//! (IAM, STS, sign-in) record in us-east-1, which the sweep of that region covers.

use aws_sdk_account::types::AlternateContactType;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey, ReadWriteType};
use aws_smithy_types::DateTime;
use orgsweep_model::facts::{AlternateContacts, Contact, Trail, TrailEvent};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::error::AwsError;
use crate::session::AccountSession;

/// LookupEvents' largest page.
const EVENTS_PAGE: i32 = 50;

/// Request parameters that name the resource an event acts on.
const RESOURCE_PARAMETERS: &[&str] = &[
    "userName",
    "roleName",
    "groupName",
    "policyArn",
    "policyName",
    "accessKeyId",
    "instanceId",
    "snapshotId",
    "imageId",
    "bucketName",
    "name",
    "trailName",
    "functionName",
    "keyName",
    "groupId",
    "detectorId",
    "configurationRecorderName",
    "serialNumber",
];

fn text(value: &Value, path: &[&str]) -> Option<String> {
    let mut v = value;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str().map(str::to_owned)
}

/// The events of one read, and how many records could not be parsed (counted, never
/// dropped silently).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsRead {
    pub events: Vec<TrailEvent>,
    pub unparsed: usize,
    /// What was wrong with the first record that could not be parsed.
    pub first_problem: Option<String>,
}

impl EventsRead {
    pub(crate) fn push(&mut self, parsed: Result<TrailEvent, String>) {
        match parsed {
            Ok(event) => self.events.push(event),
            Err(problem) => {
                self.unparsed += 1;
                self.first_problem.get_or_insert(problem);
            }
        }
    }

    pub(crate) fn extend(&mut self, other: EventsRead) {
        self.events.extend(other.events);
        self.unparsed += other.unparsed;
        if self.first_problem.is_none() {
            self.first_problem = other.first_problem;
        }
    }

    /// Sorted by time, each event once (log files may overlap).
    pub(crate) fn finish(mut self) -> Self {
        self.events
            .sort_by(|a, b| (a.event_time, &a.event_id).cmp(&(b.event_time, &b.event_id)));
        self.events.dedup_by(|a, b| a.event_id == b.event_id);
        self
    }
}

/// Parses one CloudTrail record: LookupEvents' `CloudTrailEvent` string and a log file's
/// `Records[]` entry have the same shape. An error names the field that is missing or bad.
pub fn parse_trail_event(record: &Value) -> Result<TrailEvent, String> {
    let raw_time = text(record, &["eventTime"]).ok_or("no eventTime")?;
    let time = OffsetDateTime::parse(&raw_time, &Rfc3339)
        .map_err(|_| format!("eventTime '{}' is not RFC 3339", truncate(&raw_time)))?;
    let mut resources: Vec<String> = record
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| text(r, &["ARN"]))
        .collect();
    if let Some(params) = record.get("requestParameters").and_then(Value::as_object) {
        for key in RESOURCE_PARAMETERS {
            if let Some(value) = params.get(*key).and_then(Value::as_str) {
                resources.push(value.to_owned());
            }
        }
    }
    resources.sort();
    resources.dedup();
    Ok(TrailEvent {
        event_id: text(record, &["eventID"]).ok_or("no eventID")?,
        event_name: text(record, &["eventName"]).ok_or("no eventName")?,
        event_source: text(record, &["eventSource"]).unwrap_or_default(),
        event_time: time,
        aws_region: text(record, &["awsRegion"]).unwrap_or_default(),
        principal_type: text(record, &["userIdentity", "type"]),
        principal_arn: text(record, &["userIdentity", "arn"]),
        access_key_id: text(record, &["userIdentity", "accessKeyId"]),
        user_name: text(record, &["userIdentity", "userName"]),
        source_ip: text(record, &["sourceIPAddress"]),
        user_agent: text(record, &["userAgent"]),
        mfa_used: text(record, &["additionalEventData", "MFAUsed"]).map(|m| m == "Yes"),
        error_code: text(record, &["errorCode"]),
        resources,
    })
}

/// A value quoted in a message, cut to a readable length.
fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
}

fn contact(c: &aws_sdk_account::types::AlternateContact) -> Contact {
    Contact {
        name: c.name().unwrap_or_default().to_owned(),
        title: c.title().unwrap_or_default().to_owned(),
        email: c.email_address().unwrap_or_default().to_owned(),
        phone: c.phone_number().unwrap_or_default().to_owned(),
    }
}

impl AccountSession {
    /// Every trail that applies to the account (its own and the organization's, from the
    /// home region's view, shadow trails included), with status and event selectors.
    pub async fn trails(&self) -> Result<Vec<Trail>, AwsError> {
        let home = self.home_region();
        let client = self.cloudtrail(Some(&home));
        let described = client
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|e| self.error("cloudtrail:DescribeTrails", e))?;
        let mut trails = Vec::new();
        for t in described.trail_list() {
            let Some(arn) = t.trail_arn() else { continue };
            // Status and selectors are read in the trail's home region.
            let region = t.home_region().unwrap_or(&home).to_owned();
            let regional = self.cloudtrail(Some(&region));
            let status = regional
                .get_trail_status()
                .name(arn)
                .send()
                .await
                .map_err(|e| self.error("cloudtrail:GetTrailStatus", e))?;
            let selectors = regional
                .get_event_selectors()
                .trail_name(arn)
                .send()
                .await
                .map_err(|e| self.error("cloudtrail:GetEventSelectors", e))?;
            let basic = selectors.event_selectors().iter().any(|s| {
                s.include_management_events().unwrap_or(true)
                    && !matches!(s.read_write_type(), Some(ReadWriteType::ReadOnly))
            });
            let advanced = selectors.advanced_event_selectors().iter().any(|s| {
                s.field_selectors().iter().any(|f| {
                    f.field() == "eventCategory" && f.equals().iter().any(|e| e == "Management")
                })
            });
            // A trail with no selectors at all logs management events (the default).
            let none = selectors.event_selectors().is_empty()
                && selectors.advanced_event_selectors().is_empty();
            trails.push(Trail {
                s3_bucket: t.s3_bucket_name().map(str::to_owned),
                s3_key_prefix: t.s3_key_prefix().map(str::to_owned),
                name: t.name().unwrap_or_default().to_owned(),
                arn: arn.to_owned(),
                home_region: t.home_region().map(str::to_owned),
                multi_region: t.is_multi_region_trail().unwrap_or(false),
                organization_trail: t.is_organization_trail().unwrap_or(false),
                logging: status.is_logging().unwrap_or(false),
                management_events: basic || advanced || none,
            });
        }
        trails.sort_by(|a, b| a.arn.cmp(&b.arn));
        Ok(trails)
    }

    /// The SECURITY, BILLING and OPERATIONS contacts; a missing one is `None`, not an error.
    pub async fn alternate_contacts(&self) -> Result<AlternateContacts, AwsError> {
        let client = self.account(None);
        let mut contacts = AlternateContacts::default();
        for kind in [
            AlternateContactType::Security,
            AlternateContactType::Billing,
            AlternateContactType::Operations,
        ] {
            let found = match client
                .get_alternate_contact()
                .alternate_contact_type(kind.clone())
                .send()
                .await
            {
                Ok(out) => out.alternate_contact().map(contact),
                Err(e) => {
                    let err = self.error("account:GetAlternateContact", e);
                    if err.code() == Some("ResourceNotFoundException") {
                        None
                    } else {
                        return Err(err);
                    }
                }
            };
            match kind {
                AlternateContactType::Security => contacts.security = found,
                AlternateContactType::Billing => contacts.billing = found,
                _ => contacts.operations = found,
            }
        }
        Ok(contacts)
    }

    /// Write events of the last `window_days` in `region` (see the module's query plan).
    pub async fn trail_events(
        &self,
        region: &str,
        window_days: u32,
    ) -> Result<EventsRead, AwsError> {
        let end = OffsetDateTime::now_utc();
        let start = end - Duration::days(i64::from(window_days));
        let client = self.cloudtrail_lookup(Some(region));
        let mut pages = client
            .lookup_events()
            .lookup_attributes(
                LookupAttribute::builder()
                    .attribute_key(LookupAttributeKey::ReadOnly)
                    .attribute_value("false")
                    .build()
                    .map_err(|e| AwsError::Other {
                        operation: "cloudtrail:LookupEvents",
                        message: e.to_string(),
                    })?,
            )
            .start_time(DateTime::from_secs(start.unix_timestamp()))
            .end_time(DateTime::from_secs(end.unix_timestamp()))
            .max_results(EVENTS_PAGE)
            .into_paginator()
            .send();
        let mut read = EventsRead::default();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("cloudtrail:LookupEvents", e))?;
            for event in page.events() {
                read.push(
                    event
                        .cloud_trail_event()
                        .ok_or_else(|| "an event without CloudTrailEvent".to_owned())
                        .and_then(|json| {
                            serde_json::from_str::<Value>(json)
                                .map_err(|e| format!("CloudTrailEvent is not JSON: {e}"))
                        })
                        .and_then(|v| parse_trail_event(&v)),
                );
            }
        }
        Ok(read.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_record_as_aws_writes_it() {
        let record: Value = serde_json::from_str(r#"{
            "eventVersion": "1.08",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDA", "arn": "arn:aws:iam::111111111111:user/mallory",
                             "accountId": "111111111111", "accessKeyId": "AKIAEXAMPLE", "userName": "mallory"},
            "eventTime": "2026-11-20T03:04:05Z", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
            "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.15",
            "requestParameters": {"userName": "admin"}, "responseElements": null,
            "eventID": "e-1", "readOnly": false, "eventType": "AwsApiCall"
        }"#).expect("json");
        let event = parse_trail_event(&record).expect("parses");
        assert_eq!(event.event_name, "CreateAccessKey");
        assert_eq!(event.principal_type.as_deref(), Some("IAMUser"));
        assert_eq!(event.access_key_id.as_deref(), Some("AKIAEXAMPLE"));
        assert_eq!(event.resources, ["admin"]);
        assert_eq!(event.mfa_used, None);
        let err = parse_trail_event(&serde_json::json!({"eventName": "x"})).unwrap_err();
        assert_eq!(err, "no eventTime");
        let err = parse_trail_event(&serde_json::json!({"eventTime": "yesterday"})).unwrap_err();
        assert!(err.contains("'yesterday'"), "{err}");
    }
}
