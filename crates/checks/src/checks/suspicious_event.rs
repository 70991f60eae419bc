//! CloudTrail management events that intrusions are made of: new credentials, principals
//! and policies, turning off the lights (trails, GuardDuty, Config), exfiltration paths,
//! root activity, and compute launched where the organization does not operate. Events are
//! grouped per principal so a burst is one finding, not hundreds. Sources: AWS's incident
//! response playbooks, Stratus Red Team's AWS techniques, SigmaHQ's CloudTrail rules.

use std::collections::BTreeMap;

use orgsweep_model::Severity;
use orgsweep_model::facts::{Source, TrailEvent};
use serde_json::json;

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct SuspiciousEvent;

static META: CheckMeta = CheckMeta {
    id: "cloudtrail.suspicious_event",
    title: "Suspicious management events inside the look-back window",
    severity: Severity::High,
    scope: Scope::Region,
    sources: &[Source::TrailEvents],
    rationale: "Creating credentials and principals, disabling logging and sharing data out \
                are the steps of an intrusion; each one inside the window needs an owner.",
    remediation: &[
        "Confirm with the principal's owner that the events were theirs.",
        "If not, contain the principal's credentials and review all of its activity.",
    ],
};

/// Event names by group (README, "Activity: CloudTrail events"): AWS's incident-response
/// playbooks, Stratus Red Team's AWS techniques and SigmaHQ's CloudTrail rules.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "credentials",
        &[
            "CreateAccessKey",
            "CreateLoginProfile",
            "UpdateLoginProfile",
            "CreateVirtualMFADevice",
            "DeactivateMFADevice",
            "GetFederationToken",
        ],
    ),
    (
        "principals and policies",
        &[
            "CreateUser",
            "CreateRole",
            "UpdateAssumeRolePolicy",
            "CreatePolicy",
            "CreatePolicyVersion",
            "AttachUserPolicy",
            "AttachRolePolicy",
            "PutUserPolicy",
            "PutRolePolicy",
            "AddUserToGroup",
            "CreateFunction",
            "UpdateFunctionCode",
            "AddPermission",
        ],
    ),
    (
        "defense evasion",
        &[
            "StopLogging",
            "DeleteTrail",
            "UpdateTrail",
            "PutEventSelectors",
            "DeleteDetector",
            "DisableSecurityHub",
            "DeleteConfigurationRecorder",
            "StopConfigurationRecorder",
            "DeleteFlowLogs",
        ],
    ),
    (
        "exfiltration",
        &[
            "ModifySnapshotAttribute",
            "ModifyImageAttribute",
            "PutBucketPolicy",
            "PutBucketAcl",
        ],
    ),
    ("organization", &["LeaveOrganization", "EnableRegion"]),
];
/// Reported only outside the expected regions.
const COMPUTE: &[&str] = &[
    "RunInstances",
    "RequestSpotInstances",
    "CreateKeyPair",
    "ImportKeyPair",
    "AuthorizeSecurityGroupIngress",
];
/// Events kept in a finding's evidence; the count says how many there were.
const EVIDENCE_EVENTS: usize = 25;

/// The group an event belongs to, or `None` when it is not suspicious.
pub fn classify(event: &TrailEvent, expected_regions: &[String]) -> Option<&'static str> {
    if event.principal_type.as_deref() == Some("Root") {
        return Some("root");
    }
    if event.event_name == "ConsoleLogin" && event.mfa_used == Some(false) {
        return Some("console sign-in without MFA");
    }
    if let Some((group, _)) = GROUPS
        .iter()
        .find(|(_, names)| names.contains(&event.event_name.as_str()))
    {
        return Some(group);
    }
    let unexpected = !expected_regions.is_empty() && !expected_regions.contains(&event.aws_region);
    (unexpected && COMPUTE.contains(&event.event_name.as_str()))
        .then_some("compute in an unexpected region")
}

fn principal_of(event: &TrailEvent) -> String {
    event
        .principal_arn
        .clone()
        .or_else(|| event.principal_type.clone())
        .unwrap_or_else(|| "unknown principal".to_owned())
}

fn steps(principal: &str, events: &[(&TrailEvent, &str)], region: &str) -> Vec<String> {
    let mut steps = vec![format!(
        "Confirm with the owner of {principal} that these events were theirs."
    )];
    let keys: Vec<&str> = {
        let mut k: Vec<&str> = events
            .iter()
            .filter_map(|(e, _)| e.access_key_id.as_deref())
            .collect();
        k.sort();
        k.dedup();
        k
    };
    for key in &keys {
        steps.push(format!(
            "Review everything key {key} did: aws cloudtrail lookup-events --region {region} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key}"
        ));
    }
    if principal.contains(":root") || principal == "Root" {
        steps.push("If the root user was not you: reset the root password, enable root MFA, delete any root access keys, and contact AWS Support.".to_owned());
    } else if let Some(user) = principal.split(":user/").nth(1) {
        let user = user.rsplit('/').next().unwrap_or(user);
        steps.push(format!(
            "If not: deactivate (do not delete) the user's keys (aws iam update-access-key --user-name {user} --access-key-id <KEY_ID> --status Inactive) and remove its console password (aws iam delete-login-profile --user-name {user})."
        ));
    } else if let Some(role) = principal.split(":assumed-role/").nth(1) {
        let role = role.split('/').next().unwrap_or(role);
        steps.push(format!(
            "If not: revoke the role's sessions (IAM console: Roles > {role} > Revoke active sessions) and review who may assume it (aws iam get-role --role-name {role})."
        ));
    }
    steps.push("Undo what was not sanctioned only after recording it (keep the event ids from the evidence).".to_owned());
    steps
}

impl Check for SuspiciousEvent {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let events = ctx.trail_events()?;
        let expected = &ctx.settings.expected_regions;
        let mut by_principal: BTreeMap<String, Vec<(&TrailEvent, &str)>> = BTreeMap::new();
        for event in events.iter().filter(|e| ctx.in_window(Some(e.event_time))) {
            if let Some(group) = classify(event, expected) {
                by_principal
                    .entry(principal_of(event))
                    .or_default()
                    .push((event, group));
            }
        }
        Ok(by_principal
            .into_iter()
            .map(|(principal, events)| {
                let mut groups: Vec<&str> = events.iter().map(|(_, g)| *g).collect();
                groups.sort();
                groups.dedup();
                let mut names: Vec<&str> = events.iter().map(|(e, _)| e.event_name.as_str()).collect();
                names.sort();
                names.dedup();
                let first = events.iter().map(|(e, _)| e.event_time).min();
                let last = events.iter().map(|(e, _)| e.event_time).max();
                // A principal the baseline knows is probably an administrator at work: lower,
                // never hidden.
                let known = ctx
                    .settings
                    .known
                    .as_ref()
                    .is_some_and(|k| k.knows_principal(ctx.account_id, &principal));
                let evidence: Vec<serde_json::Value> = events
                    .iter()
                    .take(EVIDENCE_EVENTS)
                    .map(|(e, group)| {
                        json!({
                            "time": rfc3339(Some(e.event_time)), "event": e.event_name, "source": e.event_source,
                            "group": group, "event_id": e.event_id, "access_key_id": e.access_key_id,
                            "source_ip": e.source_ip, "user_agent": e.user_agent, "resources": e.resources,
                            "error_code": e.error_code, "mfa_used": e.mfa_used,
                        })
                    })
                    .collect();
                let mut draft = FindingDraft::new(
                    "principal",
                    &principal,
                    format!("{} suspicious event(s) by {principal}: {}", events.len(), names.join(", ")),
                    format!(
                        "{principal} made {} suspicious call(s) in {} between {} and {} ({}).",
                        events.len(),
                        ctx.region,
                        rfc3339(first).as_str().unwrap_or("?"),
                        rfc3339(last).as_str().unwrap_or("?"),
                        groups.join(", ")
                    ),
                )
                .evidence("principal", principal.clone())
                .evidence("principal_type", events[0].0.principal_type.clone())
                .evidence("count", events.len())
                .evidence("groups", json!(groups))
                .evidence("events", json!(evidence))
                // Every event id (not just the sample above): a later report tells a finding
                // that gained events from one that did not.
                .evidence("event_ids", json!(events.iter().map(|(e, _)| e.event_id.as_str()).collect::<std::collections::BTreeSet<_>>()))
                .evidence("known_principal", known)
                .remediation(steps(&principal, &events, ctx.region));
                if known {
                    draft.severity = Some(Severity::Medium);
                }
                draft
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::Facts;
    use time::Duration;

    use super::*;
    use crate::checks::fixtures::{ACCOUNT, NOW, evaluate, evaluate_with};
    use crate::{Known, Settings};

    fn event(name: &str, principal: &str, kind: &str, region: &str, hours_ago: i64) -> TrailEvent {
        TrailEvent {
            event_id: format!("{name}-{hours_ago}"),
            event_name: name.to_owned(),
            event_source: "iam.amazonaws.com".to_owned(),
            event_time: NOW - Duration::hours(hours_ago),
            aws_region: region.to_owned(),
            principal_type: Some(kind.to_owned()),
            principal_arn: Some(principal.to_owned()),
            access_key_id: Some("AKIAEXAMPLE".to_owned()),
            user_name: None,
            source_ip: Some("203.0.113.7".to_owned()),
            user_agent: Some("aws-cli/2".to_owned()),
            mfa_used: None,
            error_code: None,
            resources: vec![],
        }
    }

    const MALLORY: &str = "arn:aws:iam::111111111111:user/mallory";

    #[test]
    fn classifies_the_design_list() {
        let expected = vec!["us-east-1".to_owned()];
        let e = |name: &str, kind: &str, region: &str| {
            classify(&event(name, MALLORY, kind, region, 1), &expected)
        };
        assert_eq!(
            e("CreateAccessKey", "IAMUser", "us-east-1"),
            Some("credentials")
        );
        assert_eq!(
            e("StopLogging", "IAMUser", "us-east-1"),
            Some("defense evasion")
        );
        assert_eq!(e("DescribeInstances", "Root", "us-east-1"), Some("root"));
        assert_eq!(e("RunInstances", "IAMUser", "us-east-1"), None);
        assert_eq!(
            e("RunInstances", "IAMUser", "ap-south-1"),
            Some("compute in an unexpected region")
        );
        assert_eq!(e("ListUsers", "IAMUser", "us-east-1"), None);
        let mut login = event("ConsoleLogin", MALLORY, "IAMUser", "us-east-1", 1);
        login.mfa_used = Some(false);
        assert_eq!(
            classify(&login, &expected),
            Some("console sign-in without MFA")
        );
        login.mfa_used = Some(true);
        assert_eq!(classify(&login, &expected), None);
    }

    #[test]
    fn groups_per_principal_inside_the_window_and_lowers_known_principals() {
        let events = vec![
            event("CreateAccessKey", MALLORY, "IAMUser", "us-east-1", 2),
            event("CreateUser", MALLORY, "IAMUser", "us-east-1", 1),
            event(
                "StopLogging",
                "arn:aws:iam::111111111111:user/admin",
                "IAMUser",
                "us-east-1",
                3,
            ),
            event("CreateUser", MALLORY, "IAMUser", "us-east-1", 24 * 8),
        ];
        let facts = Facts {
            trail_events: Some(events),
            ..Facts::default()
        };
        let drafts = evaluate(&SuspiciousEvent, &facts, "us-east-1", &[]).expect("runs");
        assert_eq!(drafts.len(), 2);
        let mallory = drafts
            .iter()
            .find(|d| d.resource_id == MALLORY)
            .expect("mallory");
        assert_eq!(
            mallory.evidence["count"], 2,
            "the event outside the window is not counted"
        );
        assert!(
            mallory
                .remediation
                .iter()
                .any(|s| s.contains("--user-name mallory"))
        );

        let mut known = Known::default();
        known
            .add_principals(ACCOUNT, ["user/admin"])
            .expect("pattern");
        let settings = Settings {
            known: Some(known),
            ..Settings::default()
        };
        let drafts = evaluate_with(&SuspiciousEvent, &facts, "us-east-1", &settings).expect("runs");
        let admin = drafts
            .iter()
            .find(|d| d.resource_id.ends_with("user/admin"))
            .expect("never hidden");
        assert_eq!(admin.severity, Some(Severity::Medium));
    }

    #[test]
    fn an_empty_window_has_no_findings() {
        let facts = Facts {
            trail_events: Some(vec![]),
            ..Facts::default()
        };
        assert!(
            evaluate(&SuspiciousEvent, &facts, "us-east-1", &[])
                .expect("runs")
                .is_empty()
        );
    }
}
