//! Users and roles nobody accepted: intruders create their own identities to come back. A
//! principal is unknown when neither the baseline nor the settings file's known principals
//! match it. AWS's own roles and orgsweep's scan role are never reported.

use orgsweep_model::Severity;
use orgsweep_model::facts::{AttachedPolicies, Source};
use serde_json::json;

use crate::checks::iam_common::with_last_use;
use crate::checks::principals::{Principal, is_aws_managed_role, principals};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, principal_key, rfc3339};

pub struct UnknownPrincipal;

static META: CheckMeta = CheckMeta {
    id: "iam.unknown_principal",
    title: "IAM user or role the baseline does not know",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::IamAuthorizationDetails],
    rationale: "Intruders create users and roles of their own to keep access after the \
                original credential is revoked; every principal should be one somebody accepted.",
    remediation: &[
        "Confirm with the account owner whether the principal is sanctioned.",
        "If it is, add it to the baseline; if not, contain it and review its activity.",
    ],
};

fn policies(p: &AttachedPolicies) -> serde_json::Value {
    json!({"managed": p.managed_arns, "inline": p.inline_names})
}

fn steps(principal: &Principal<'_>) -> Vec<String> {
    let name = principal.name;
    let key = principal_key(principal.arn);
    let mut steps = vec![format!(
        "Confirm with the owner of the account whether {key} is sanctioned; if it is, add \"{key}\" to the baseline file under this account."
    )];
    if principal.is_user {
        steps.push(format!(
            "If not, take away its keys without deleting them: aws iam list-access-keys --user-name {name}, then aws iam update-access-key --user-name {name} --access-key-id <KEY_ID> --status Inactive"
        ));
        steps.push(format!(
            "Remove its console access: aws iam delete-login-profile --user-name {name}"
        ));
    } else {
        steps.push(format!(
            "If not, revoke its sessions (IAM console: Roles > {name} > Revoke active sessions) and review its trust policy: aws iam get-role --role-name {name}"
        ));
    }
    steps.push(format!(
        "Review what it did: aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue={name}"
    ));
    steps.push("Delete it only after the investigation, once nothing depends on it.".to_owned());
    steps
}

impl Check for UnknownPrincipal {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let known = ctx
            .settings
            .known
            .as_ref()
            .ok_or(CheckError::NotConfigured(
                "no baseline: pass --baseline (orgsweep baseline writes one), or set known_principals in the settings file (--config)",
            ))?;
        let details = ctx.iam_authorization_details()?;
        Ok(principals(details)
            .filter(|p| !is_aws_managed_role(p, &ctx.settings.scan_role_name))
            .filter(|p| !known.knows_principal(ctx.account_id, p.arn))
            .map(|p| {
                let kind = if p.is_user { "user" } else { "role" };
                let draft = FindingDraft::new(
                    p.resource_type(),
                    p.arn,
                    format!("Unknown IAM {kind} {}", p.name),
                    format!(
                        "IAM {kind} {} (created {}) is in neither the baseline nor the known principals.",
                        p.name,
                        rfc3339(p.created_at).as_str().unwrap_or("at an unknown time")
                    ),
                )
                .evidence("name", p.name)
                .evidence("path", p.path)
                .evidence("created", rfc3339(p.created_at))
                .evidence("policies", policies(p.policies))
                .evidence("last_used", rfc3339(p.last_used_at))
                .remediation(steps(&p));
                with_last_use(draft, ctx, Some(p.arn), None)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{Facts, IamAuthorizationDetails, IamRole};

    use super::*;
    use crate::checks::fixtures::{ACCOUNT, days_ago, evaluate_with, user};
    use crate::checks::fixtures::{BACKDOOR, MALLORY, about, incident_with_usage};
    use crate::{Known, Settings};

    fn role(name: &str, path: &str) -> IamRole {
        IamRole {
            name: name.to_owned(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"),
            path: path.to_owned(),
            created_at: days_ago(3),
            policies: AttachedPolicies::default(),
            trust_policy: None,
            trust_policy_error: None,
            last_used_at: None,
        }
    }

    fn facts() -> Facts {
        Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                users: vec![user("alice"), user("mallory")],
                roles: vec![
                    role("deploy", "/"),
                    role("backdoor", "/"),
                    role(
                        "AWSServiceRoleForSupport",
                        "/aws-service-role/support.amazonaws.com/",
                    ),
                    role(
                        "AWSReservedSSO_Admin_0123",
                        "/aws-reserved/sso.amazonaws.com/",
                    ),
                    role("OrganizationAccountAccessRole", "/"),
                    role("orgsweep-scan", "/"),
                ],
                ..Default::default()
            }),
            ..Facts::default()
        }
    }

    #[test]
    fn reports_principals_outside_the_baseline_but_never_aws_or_scan_roles() {
        let mut known = Known::default();
        known
            .add_principals(ACCOUNT, ["user/alice"])
            .expect("pattern");
        known.add_principals("*", ["role/dep*"]).expect("pattern");
        let settings = Settings {
            known: Some(known),
            scan_role_name: "orgsweep-scan".to_owned(),
            ..Settings::default()
        };
        let drafts = evaluate_with(&UnknownPrincipal, &facts(), "global", &settings).expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "arn:aws:iam::111111111111:user/mallory",
                "arn:aws:iam::111111111111:role/backdoor"
            ]
        );
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("\"user/mallory\""))
        );
    }

    #[test]
    fn without_a_baseline_it_does_not_run_and_says_why() {
        let err =
            evaluate_with(&UnknownPrincipal, &facts(), "global", &Settings::default()).unwrap_err();
        assert!(err.is_skip());
        assert!(err.to_string().contains("no baseline"));
    }

    #[test]
    fn shows_what_unknown_principals_used_inside_the_window() {
        let (facts, settings) = incident_with_usage();
        let drafts = evaluate_with(&UnknownPrincipal, &facts, "global", &settings).expect("runs");
        let user = about(&drafts, MALLORY);
        assert_eq!(
            user.evidence["services_used_in_window"],
            json!([
                {"namespace": "ec2", "last_authenticated": "2026-11-23T12:00:00Z"},
                {"namespace": "iam", "last_authenticated": "2026-11-22T12:00:00Z"},
            ])
        );
        // A user has no RoleLastUsed: its `last_used` comes from the last-accessed data.
        assert_eq!(user.evidence["last_used"], "2026-11-23T12:00:00Z");
        assert!(
            user.detail
                .ends_with("Used ec2 and iam inside the window (last 2026-11-23T12:00:00Z)."),
            "{}",
            user.detail
        );
        // A role keeps its own `last_used` (RoleLastUsed, two days ago).
        let role = about(&drafts, BACKDOOR);
        assert_eq!(role.evidence["last_used"], "2026-11-22T12:00:00Z");
        assert!(
            role.detail
                .ends_with("Used sts inside the window (last 2026-11-21T12:00:00Z)."),
            "{}",
            role.detail
        );
    }
}
