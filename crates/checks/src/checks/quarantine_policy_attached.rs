//! AWS attaches an AWSCompromisedKeyQuarantine policy (or, historically, the inline
//! `AWSExposedCredentialPolicy_DO_NOT_REMOVE`) when it finds a principal's access key in
//! public: the strongest signal of a leaked credential there is. The data comes from
//! GetAccountAuthorizationDetails, which the other IAM checks read anyway: no extra calls.

use orgsweep_model::Severity;
use orgsweep_model::facts::{AttachedPolicies, Source};
use serde_json::{Value, json};

use crate::checks::iam_common::with_last_use;
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct QuarantinePolicyAttached;

static META: CheckMeta = CheckMeta {
    id: "iam.quarantine_policy_attached",
    title: "AWS quarantined a principal for an exposed access key",
    severity: Severity::Critical,
    scope: Scope::Account,
    sources: &[Source::IamAuthorizationDetails],
    rationale: "AWS attaches an AWSCompromisedKeyQuarantine policy when it detects a principal's \
                access key in a public place. The key is known to outsiders and may already \
                have been used; the quarantine policy only denies a subset of actions.",
    remediation: &[
        "Create a new access key for the application and deploy it.",
        "Deactivate (do not delete) the exposed key until the application is verified on the new key.",
        "Review CloudTrail for everything the exposed key did since it was exposed.",
        "Only then detach the quarantine policy and reply to the AWS Support case.",
    ],
};

/// Prefix of every version (V1–V4 and future ones) of the AWS managed quarantine policy.
const MANAGED_NAME_PREFIX: &str = "AWSCompromisedKeyQuarantine";
const LEGACY_INLINE: &str = "AWSExposedCredentialPolicy_DO_NOT_REMOVE";

/// The quarantine policies among `policies`: AWS managed ones by name prefix, in any
/// partition (`arn:aws:`, `arn:aws-us-gov:`, `arn:aws-cn:`), and the legacy inline one.
fn quarantine_policies(policies: &AttachedPolicies) -> Vec<String> {
    let managed = policies.managed_arns.iter().filter(|arn| {
        arn.split_once(":policy/").is_some_and(|(head, name)| {
            head.starts_with("arn:aws")
                && head.ends_with(":iam::aws")
                && name.starts_with(MANAGED_NAME_PREFIX)
        })
    });
    let inline = policies.inline_names.iter().filter(|n| *n == LEGACY_INLINE);
    managed.chain(inline).cloned().collect()
}

fn user_steps(user: &str, policies: &[String]) -> Vec<String> {
    let mut steps = vec![
        format!("List the user's keys: aws iam list-access-keys --user-name {user}"),
        format!(
            "Create a replacement key for the application and deploy it: aws iam create-access-key --user-name {user}"
        ),
        format!(
            "Deactivate (do not delete) the exposed key: aws iam update-access-key --user-name {user} --access-key-id <EXPOSED_KEY_ID> --status Inactive"
        ),
        "Review what the exposed key did: aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=<EXPOSED_KEY_ID>".to_owned(),
    ];
    for policy in policies {
        if policy == LEGACY_INLINE {
            steps.push(format!(
                "After the review, remove the quarantine: aws iam delete-user-policy --user-name {user} --policy-name {policy}"
            ));
        } else {
            steps.push(format!(
                "After the review, remove the quarantine: aws iam detach-user-policy --user-name {user} --policy-arn {policy}"
            ));
        }
    }
    steps.push("Reply to the AWS Support case that reported the exposure.".to_owned());
    steps
}

fn role_steps(role: &str, policies: &[String]) -> Vec<String> {
    let mut steps = vec![
        format!(
            "Revoke the role's active sessions (IAM console: Roles > {role} > Revoke active sessions), which denies every session issued before now."
        ),
        format!(
            "Find who obtained credentials for the role: aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue={role}"
        ),
    ];
    for policy in policies {
        steps.push(format!(
            "After the review, remove the quarantine: aws iam detach-role-policy --role-name {role} --policy-arn {policy}"
        ));
    }
    steps
}

impl Check for QuarantinePolicyAttached {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let details = ctx.iam_authorization_details()?;
        let mut drafts = Vec::new();

        let quarantined_groups: Vec<(&str, Vec<String>)> = details
            .groups
            .iter()
            .map(|g| (g.name.as_str(), quarantine_policies(&g.policies)))
            .filter(|(_, p)| !p.is_empty())
            .collect();

        for user in &details.users {
            let direct = quarantine_policies(&user.policies);
            let via_groups: Vec<&str> = quarantined_groups
                .iter()
                .filter(|(g, _)| user.groups.iter().any(|ug| ug == g))
                .map(|(g, _)| *g)
                .collect();
            if direct.is_empty() && via_groups.is_empty() {
                continue;
            }
            let how = if direct.is_empty() {
                format!("through group(s) {}", via_groups.join(", "))
            } else {
                direct.join(", ")
            };
            let draft = FindingDraft::new(
                    "iam_user",
                    &user.arn,
                    format!("IAM user {} is quarantined for an exposed access key", user.name),
                    format!(
                        "User {} has the quarantine policy {how}: AWS found one of its access keys exposed.",
                        user.name
                    ),
                )
                .evidence("user", user.name.clone())
                .evidence("policies", json!(direct))
                .evidence("via_groups", json!(via_groups))
                .remediation(user_steps(&user.name, &direct));
            // What the principal reached inside the window is the exposed key's blast radius.
            drafts.push(with_last_use(draft, ctx, Some(&user.arn), None));
        }

        for role in &details.roles {
            let policies = quarantine_policies(&role.policies);
            if policies.is_empty() {
                continue;
            }
            let draft = FindingDraft::new(
                "iam_role",
                &role.arn,
                format!(
                    "IAM role {} is quarantined for exposed credentials",
                    role.name
                ),
                format!(
                    "Role {} has the quarantine policy {}: credentials issued for it were exposed.",
                    role.name,
                    policies.join(", ")
                ),
            )
            .evidence("role", role.name.clone())
            .evidence("policies", json!(policies))
            .remediation(role_steps(&role.name, &policies));
            drafts.push(with_last_use(draft, ctx, Some(&role.arn), None));
        }

        // A quarantined group without members still says a key was exposed; its members'
        // findings above already cover the others.
        for (group, policies) in &quarantined_groups {
            let has_members = details
                .users
                .iter()
                .any(|u| u.groups.iter().any(|g| g == group));
            if has_members {
                continue;
            }
            let arn = details
                .groups
                .iter()
                .find(|g| g.name == *group)
                .map_or(Value::Null, |g| Value::String(g.arn.clone()));
            drafts.push(
                FindingDraft::new(
                    "iam_group",
                    group,
                    format!("IAM group {group} carries a quarantine policy"),
                    format!(
                        "Group {group} has the quarantine policy {} but no members: find the user whose key was exposed.",
                        policies.join(", ")
                    ),
                )
                .evidence("group_arn", arn)
                .evidence("policies", json!(policies)),
            );
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{Facts, IamAuthorizationDetails, IamGroup};

    use super::*;
    use crate::checks::fixtures::{BACKDOOR, MALLORY, about, evaluate_with, incident_with_usage};
    use crate::checks::fixtures::{evaluate, user};

    fn facts(details: IamAuthorizationDetails) -> Facts {
        Facts {
            iam_authorization_details: Some(details),
            ..Facts::default()
        }
    }

    fn run(details: IamAuthorizationDetails) -> Vec<FindingDraft> {
        evaluate(&QuarantinePolicyAttached, &facts(details), "global", &[]).expect("source present")
    }

    #[test]
    fn fires_for_every_managed_version_and_the_legacy_inline_policy() {
        let mut users = Vec::new();
        for (i, arn) in [
            "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantine",
            "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2",
            "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
            "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
            "arn:aws-us-gov:iam::aws:policy/AWSCompromisedKeyQuarantineV5",
        ]
        .iter()
        .enumerate()
        {
            let mut u = user(&format!("u{i}"));
            u.policies.managed_arns.push((*arn).to_owned());
            users.push(u);
        }
        let mut legacy = user("legacy");
        legacy.policies.inline_names.push(LEGACY_INLINE.to_owned());
        users.push(legacy);
        let drafts = run(IamAuthorizationDetails {
            users,
            ..Default::default()
        });
        assert_eq!(drafts.len(), 6);
        assert!(
            drafts[5]
                .remediation
                .iter()
                .any(|s| s.contains("delete-user-policy --user-name legacy"))
        );
        assert!(
            drafts[1]
                .remediation
                .iter()
                .any(|s| s.contains("update-access-key --user-name u1") && s.contains("Inactive"))
        );
    }

    #[test]
    fn ignores_look_alikes_and_customer_policies_of_the_same_name() {
        let mut u = user("dev");
        u.policies.managed_arns = vec![
            "arn:aws:iam::123456789012:policy/AWSCompromisedKeyQuarantineV2".to_owned(),
            "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(),
        ];
        u.policies.inline_names = vec!["AWSExposedCredentialPolicy".to_owned()];
        assert!(
            run(IamAuthorizationDetails {
                users: vec![u],
                ..Default::default()
            })
            .is_empty()
        );
    }

    #[test]
    fn members_of_a_quarantined_group_count() {
        let group = IamGroup {
            name: "ci".to_owned(),
            arn: "arn:aws:iam::111111111111:group/ci".to_owned(),
            policies: AttachedPolicies {
                managed_arns: vec![
                    "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3".to_owned(),
                ],
                inline_names: vec![],
            },
        };
        let mut member = user("runner");
        member.groups.push("ci".to_owned());
        let drafts = run(IamAuthorizationDetails {
            users: vec![member, user("outsider")],
            groups: vec![group.clone()],
            ..Default::default()
        });
        assert_eq!(drafts.len(), 1);
        assert_eq!(
            drafts[0].resource_id,
            "arn:aws:iam::111111111111:user/runner"
        );
        assert_eq!(drafts[0].evidence["via_groups"], json!(["ci"]));

        let empty_group = run(IamAuthorizationDetails {
            groups: vec![group],
            ..Default::default()
        });
        assert_eq!(empty_group.len(), 1);
        assert_eq!(empty_group[0].resource_type, "iam_group");
    }

    #[test]
    fn missing_source_is_an_error_not_silence() {
        let err =
            evaluate(&QuarantinePolicyAttached, &Facts::default(), "global", &[]).unwrap_err();
        assert_eq!(
            err,
            CheckError::MissingSource(Source::IamAuthorizationDetails)
        );
    }

    #[test]
    fn shows_what_the_quarantined_principals_used_inside_the_window() {
        let (facts, settings) = incident_with_usage();
        let drafts =
            evaluate_with(&QuarantinePolicyAttached, &facts, "global", &settings).expect("runs");
        let user = about(&drafts, MALLORY);
        assert_eq!(
            user.evidence["services_used_in_window"],
            json!([
                {"namespace": "ec2", "last_authenticated": "2026-11-23T12:00:00Z"},
                {"namespace": "iam", "last_authenticated": "2026-11-22T12:00:00Z"},
            ])
        );
        assert_eq!(user.evidence["last_used"], "2026-11-23T12:00:00Z");
        assert_eq!(user.evidence["services_used_in_window_more"], 0);
        assert!(
            user.detail
                .ends_with("Used ec2 and iam inside the window (last 2026-11-23T12:00:00Z)."),
            "{}",
            user.detail
        );
        let role = about(&drafts, BACKDOOR);
        assert!(
            role.detail
                .ends_with("Used sts inside the window (last 2026-11-21T12:00:00Z)."),
            "{}",
            role.detail
        );
        // Existing evidence is untouched.
        assert_eq!(user.evidence["user"], "mallory");
    }
}
