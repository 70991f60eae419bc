//! When AWS finds an account's keys on a public site, suspects them compromised, attaches
//! its quarantine policy, or receives an abuse report about the account's resources, it says
//! so in an AWS Health event. Those are AWS's own warnings: each is reported as it was sent,
//! whatever its status, because a closed event says nothing about whether anyone acted.

use orgsweep_model::Severity;
use orgsweep_model::facts::{HealthEvent, Source};

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct HealthRiskNotification;

static META: CheckMeta = CheckMeta {
    id: "health.risk_notification",
    title: "AWS warned about exposed credentials, a compromise or abuse",
    severity: Severity::Critical,
    scope: Scope::Account,
    sources: &[Source::HealthEvents],
    rationale: "AWS Health risk and abuse events are AWS telling the account owner that its \
                credentials leaked, look compromised, were quarantined, or that its resources \
                attack others; AWS may restrict the account if nobody responds.",
    remediation: &[
        "Read the event's full text in the AWS Health Dashboard and do what it asks.",
        "Contain the credentials or resources it names, then reply to the AWS Support case it opened.",
    ],
};

/// What kind of warning an event type code is, or `None` for events that are not.
fn warning(code: &str) -> Option<&'static str> {
    match code {
        "AWS_RISK_CREDENTIALS_EXPOSED" => Some("exposed credentials"),
        "AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED" => Some("suspected credential compromise"),
        "AWS_RISK_IAM_QUARANTINE" => Some("quarantine policy attached"),
        c if c.starts_with("AWS_ABUSE_") => Some("abuse report"),
        c if c.starts_with("AWS_RISK_") => Some("risk notification"),
        _ => None,
    }
}

/// Access key ids the event's text names (`AKIA…` long-term, `ASIA…` temporary): AWS writes
/// the exposed key into the description, and the commands can then name it.
fn key_ids(text: &str) -> Vec<&str> {
    let mut ids: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| {
            w.len() == 20
                && (w.starts_with("AKIA") || w.starts_with("ASIA"))
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn steps(ctx: &Context<'_>, e: &HealthEvent) -> Vec<String> {
    let account = ctx.account_id;
    let mut steps = vec![format!(
        "Read the whole event (from the management account): aws health describe-event-details-for-organization --region us-east-1 --organization-event-detail-filters awsAccountId={account},eventArn={}",
        e.arn
    )];
    let keys = key_ids(&e.description);
    let key_steps = |steps: &mut Vec<String>| {
        if keys.is_empty() {
            steps.push(format!(
                "Find the access key the event names; deactivate it (do not delete it yet): aws iam update-access-key --user-name <USER> --access-key-id <ACCESS_KEY_ID> --status Inactive (in account {account})"
            ));
        }
        for key in &keys {
            steps.push(format!(
                "Find the key's user: aws iam get-access-key-last-used --access-key-id {key} (in account {account})"
            ));
            steps.push(format!(
                "Deactivate it (do not delete it yet): aws iam update-access-key --user-name <USER> --access-key-id {key} --status Inactive"
            ));
            steps.push(format!(
                "See what it did: aws cloudtrail lookup-events --region <REGION> --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key} (every region it was used in)"
            ));
        }
    };
    match e.event_type_code.as_str() {
        "AWS_RISK_CREDENTIALS_EXPOSED" | "AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED" => {
            key_steps(&mut steps);
            steps.push(
                "Check for what an intruder leaves behind: new users, keys, roles and policies, and resources in every region (this report's other findings for the account).".to_owned(),
            );
        }
        "AWS_RISK_IAM_QUARANTINE" => {
            steps.push(format!(
                "AWS attached its AWSCompromisedKeyQuarantine policy to the key's user: leave it attached until the user's keys are replaced (see iam.quarantine_policy_attached for account {account})."
            ));
            key_steps(&mut steps);
        }
        c if c.starts_with("AWS_ABUSE_") => {
            steps.push(
                "Identify the instances, IP addresses or buckets the report names and contain them: snapshot and stop instances, remove public access.".to_owned(),
            );
            steps.push(
                "Find the credentials that created them in CloudTrail and treat them as compromised.".to_owned(),
            );
        }
        _ => steps.push(
            "Do what the event asks, and contain any credentials or resources it names.".to_owned(),
        ),
    }
    steps.push(format!(
        "Reply to the AWS Support case the event refers to (in account {account}) with what was done, before AWS's deadline."
    ));
    steps
}

impl Check for HealthRiskNotification {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        Ok(ctx
            .health_events()?
            .iter()
            .filter_map(|e| {
                let what = warning(&e.event_type_code)?;
                let code = &e.event_type_code;
                let started = rfc3339(e.start_time);
                let started = started.as_str().unwrap_or("at an unknown time");
                let mut draft = FindingDraft::new(
                    "health_event",
                    &e.arn,
                    format!("AWS Health: {what} ({code}), {}", e.status),
                    format!(
                        "AWS sent account {} a {code} event ({what}), started {started}, status {}: {}",
                        ctx.account_id,
                        e.status,
                        e.description.trim()
                    ),
                )
                .evidence("event_type_code", code.as_str())
                .evidence("service", e.service.as_str())
                .evidence("status", e.status.as_str())
                .evidence("start_time", rfc3339(e.start_time))
                .evidence("event_region", e.region.as_str())
                .evidence("description", e.description.as_str())
                .evidence("access_key_ids", key_ids(&e.description))
                .remediation(steps(ctx, e));
                // The event's region places the finding; `global` events stay global.
                if !e.region.is_empty() {
                    draft = draft.region(&e.region);
                }
                Some(draft)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{evaluate, health_event};

    const EXPOSED_TEXT: &str = "We have become aware that the AWS Access Key AKIAIOSFODNN7EXAMPLE, \
        belonging to IAM User legacy-ci, along with the corresponding Secret Key is publicly \
        available online at https://github.com/example/repo.";

    #[test]
    fn reports_risk_and_abuse_events_and_nothing_else() {
        let events = vec![
            health_event("AWS_RISK_CREDENTIALS_EXPOSED", "open", EXPOSED_TEXT),
            health_event("AWS_RISK_IAM_QUARANTINE", "closed", "We attached a policy."),
            health_event(
                "AWS_ABUSE_DOS_REPORT",
                "open",
                "Instance i-0abc attacked 203.0.113.9.",
            ),
            health_event("AWS_RISK_SOMETHING_NEW", "open", "Another risk."),
            health_event(
                "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
                "upcoming",
                "Retirement.",
            ),
            health_event(
                "AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED",
                "open",
                "Suspicious.",
            ),
        ];
        let facts = orgsweep_model::facts::Facts {
            health_events: Some(events),
            ..Default::default()
        };
        let drafts = evaluate(&HealthRiskNotification, &facts, "global", &[]).expect("runs");
        let codes: Vec<&str> = drafts
            .iter()
            .filter_map(|d| d.evidence["event_type_code"].as_str())
            .collect();
        assert_eq!(
            codes,
            [
                "AWS_RISK_CREDENTIALS_EXPOSED",
                "AWS_RISK_IAM_QUARANTINE",
                "AWS_ABUSE_DOS_REPORT",
                "AWS_RISK_SOMETHING_NEW",
                "AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED",
            ]
        );
        let exposed = &drafts[0];
        assert_eq!(exposed.resource_type, "health_event");
        assert!(
            exposed
                .resource_id
                .starts_with("arn:aws:health:global::event/RISK/")
        );
        assert!(exposed.detail.contains("publicly available online"));
        assert_eq!(
            exposed.evidence["access_key_ids"],
            serde_json::json!(["AKIAIOSFODNN7EXAMPLE"])
        );
        assert_eq!(exposed.region.as_deref(), Some("global"));
        assert!(exposed.remediation.iter().any(|s| s
            == "Deactivate it (do not delete it yet): aws iam update-access-key --user-name <USER> --access-key-id AKIAIOSFODNN7EXAMPLE --status Inactive"));
        assert!(exposed.remediation[0].contains(&format!(
            "awsAccountId=111111111111,eventArn={}",
            exposed.resource_id
        )));
        // Without a key in the text, the step says what to look for.
        assert!(
            drafts[4]
                .remediation
                .iter()
                .any(|s| s.contains("<ACCESS_KEY_ID>"))
        );
        assert!(
            drafts[2]
                .remediation
                .iter()
                .any(|s| s.contains("snapshot and stop"))
        );
    }

    #[test]
    fn key_ids_are_found_in_text_only_when_well_formed() {
        assert_eq!(
            key_ids("keys AKIAIOSFODNN7EXAMPLE, ASIAIOSFODNN7EXAMPLE and AKIAIOSFODNN7EXAMPLE."),
            ["AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE"]
        );
        assert!(key_ids("AKIAshort AKIAIOSFODNN7EXAMPLEX akiaiosfodnn7example").is_empty());
    }

    #[test]
    fn without_the_events_it_fails() {
        let err = evaluate(
            &HealthRiskNotification,
            &orgsweep_model::facts::Facts::default(),
            "global",
            &[],
        )
        .unwrap_err();
        assert_eq!(err, CheckError::MissingSource(Source::HealthEvents));
    }
}
