//! New identities and policies inside the look-back window are what an intruder leaves
//! behind: a user to come back as, a role to assume, a policy granting more. Principals the
//! baseline accepts are not reported again.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::iam_common::with_last_use;
use crate::checks::principals::{is_aws_managed_role, principals};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct PrincipalRecentlyCreated;

static META: CheckMeta = CheckMeta {
    id: "iam.principal_recently_created",
    title: "IAM user, role or policy created inside the look-back window",
    severity: Severity::Medium,
    scope: Scope::Account,
    sources: &[Source::IamAuthorizationDetails],
    rationale: "Creating users, roles and policies is how intruders persist and escalate; \
                every recent one should be one somebody can vouch for.",
    remediation: &[
        "Confirm with the account owner who created it and why.",
        "If nobody did, contain it and review its activity in CloudTrail.",
    ],
};

impl Check for PrincipalRecentlyCreated {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let details = ctx.iam_authorization_details()?;
        let known = |arn: &str| {
            ctx.settings
                .known
                .as_ref()
                .is_some_and(|k| k.knows_principal(ctx.account_id, arn))
        };
        let window = ctx.settings.window_days;
        let mut drafts: Vec<FindingDraft> = principals(details)
            .filter(|p| ctx.in_window(p.created_at) && !known(p.arn))
            // AWS creates its own roles with the account or a service; they are not news.
            .filter(|p| !is_aws_managed_role(p, &ctx.settings.scan_role_name))
            .map(|p| {
                let kind = if p.is_user { "user" } else { "role" };
                let created = rfc3339(p.created_at);
                let when = created.as_str().unwrap_or("recently").to_owned();
                let draft = FindingDraft::new(
                    p.resource_type(),
                    p.arn,
                    format!("IAM {kind} {} created {when}", p.name),
                    format!("IAM {kind} {} was created {when}, inside the {window}-day window.", p.name),
                )
                .evidence("name", p.name)
                .evidence("created", created)
                .remediation(vec![
                    format!("Confirm with the account owner who created {kind} {} and why.", p.name),
                    format!(
                        "Find the creation event: aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue={}",
                        p.name
                    ),
                    format!(
                        "If nobody vouches for it, contain it before deleting anything ({}).",
                        if p.is_user {
                            "deactivate its keys, delete its login profile"
                        } else {
                            "revoke its sessions, tighten its trust policy"
                        }
                    ),
                ]);
                with_last_use(draft, ctx, Some(p.arn), None)
            })
            .collect();
        for policy in details
            .policies
            .iter()
            .filter(|p| ctx.in_window(p.created_at))
        {
            let created = rfc3339(policy.created_at);
            let when = created.as_str().unwrap_or("recently").to_owned();
            drafts.push(
                FindingDraft::new(
                    "iam_policy",
                    &policy.arn,
                    format!("IAM policy {} created {when}", policy.name),
                    format!(
                        "Customer-managed policy {} was created {when}, inside the {window}-day window, and is attached {} time(s).",
                        policy.name, policy.attachment_count
                    ),
                )
                .evidence("name", policy.name.clone())
                .evidence("created", created)
                .evidence("attachment_count", policy.attachment_count)
                .remediation(vec![
                    format!("Confirm who created policy {} and why.", policy.name),
                    format!(
                        "See what it grants and to whom: aws iam get-policy-version --policy-arn {} --version-id $(aws iam get-policy --policy-arn {} --query Policy.DefaultVersionId --output text); aws iam list-entities-for-policy --policy-arn {}",
                        policy.arn, policy.arn, policy.arn
                    ),
                    "If nobody vouches for it, detach it from every principal, then delete it after the investigation.".to_owned(),
                ]),
            );
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{Facts, IamAuthorizationDetails, IamManagedPolicy};
    use time::Duration;

    use super::*;
    use crate::checks::fixtures::{ACCOUNT, NOW, days_ago, evaluate_with, user};
    use crate::checks::fixtures::{BACKDOOR, MALLORY, about, incident_with_usage};
    use crate::{Known, Settings};
    use serde_json::json;

    #[test]
    fn reports_new_users_and_policies_inside_the_window_unless_known() {
        let mut fresh = user("fresh");
        fresh.created_at = days_ago(1);
        let mut edge = user("edge");
        edge.created_at = Some(NOW - Duration::days(7));
        let mut accepted = user("accepted");
        accepted.created_at = days_ago(2);
        let old = user("old");
        let facts = Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                users: vec![fresh, edge, accepted, old],
                policies: vec![IamManagedPolicy {
                    name: "escalate".to_owned(),
                    arn: format!("arn:aws:iam::{ACCOUNT}:policy/escalate"),
                    created_at: days_ago(3),
                    attachment_count: 1,
                }],
                ..Default::default()
            }),
            ..Facts::default()
        };
        let mut known = Known::default();
        known
            .add_principals(ACCOUNT, ["user/accepted"])
            .expect("pattern");
        let settings = Settings {
            known: Some(known),
            ..Settings::default()
        };
        let drafts =
            evaluate_with(&PrincipalRecentlyCreated, &facts, "global", &settings).expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "arn:aws:iam::111111111111:user/fresh",
                "arn:aws:iam::111111111111:user/edge",
                "arn:aws:iam::111111111111:policy/escalate"
            ]
        );
    }

    #[test]
    fn shows_what_new_principals_used_inside_the_window() {
        let (facts, settings) = incident_with_usage();
        let drafts =
            evaluate_with(&PrincipalRecentlyCreated, &facts, "global", &settings).expect("runs");
        let user = about(&drafts, MALLORY);
        assert_eq!(
            user.evidence["services_used_in_window"],
            json!([
                {"namespace": "ec2", "last_authenticated": "2026-11-23T12:00:00Z"},
                {"namespace": "iam", "last_authenticated": "2026-11-22T12:00:00Z"},
            ])
        );
        assert!(
            user.detail
                .ends_with("Used ec2 and iam inside the window (last 2026-11-23T12:00:00Z)."),
            "{}",
            user.detail
        );
        let role = about(&drafts, BACKDOOR);
        assert_eq!(role.evidence["last_used"], "2026-11-21T12:00:00Z");
        assert!(
            role.detail
                .ends_with("Used sts inside the window (last 2026-11-21T12:00:00Z)."),
            "{}",
            role.detail
        );
    }
}
