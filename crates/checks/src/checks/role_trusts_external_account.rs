//! A role that an account outside the organization may assume is a door left open: an
//! intruder adds their own account to a trust policy to come back at will. Accounts of the
//! organization and allow-listed partners are fine; `*` is never fine.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;
use serde_json::{Value, json};

use crate::checks::iam_common::with_last_use;
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct RoleTrustsExternalAccount;

static META: CheckMeta = CheckMeta {
    id: "iam.role_trusts_external_account",
    title: "Role can be assumed from outside the organization",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::IamAuthorizationDetails],
    rationale: "Intruders add their own account to a role's trust policy to keep access; a \
                role anyone outside the organization can assume is a standing way in.",
    remediation: &[
        "Confirm why the outside account is trusted; if it is a partner, allow-list it.",
        "Otherwise tighten the trust policy and revoke the role's sessions.",
    ],
};

/// One principal a trust statement lets in, with the statement that does.
#[derive(Debug, Clone, PartialEq)]
struct Trusted {
    principal: String,
    /// The 12-digit account, or `*` for anyone.
    account: String,
    external_id: bool,
    statement: Value,
}

/// A value that may be a string or a list of strings.
fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether an Action (or NotAction) entry lets someone assume the role.
fn allows_assume(statement: &Value) -> bool {
    if statement.get("NotAction").is_some() {
        // "Everything except…" includes AssumeRole unless it is excluded.
        return !strings(statement.get("NotAction"))
            .iter()
            .any(|a| action_matches(a));
    }
    strings(statement.get("Action"))
        .iter()
        .any(|a| action_matches(a))
}

fn action_matches(action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    action == "*" || action == "sts:*" || action.starts_with("sts:assumerole")
}

/// The account of an AWS principal: `123456789012`, `arn:aws:iam::123456789012:root`,
/// `…:role/x`, `…:user/x`, `arn:aws:sts::123456789012:assumed-role/…`, any partition.
fn account_of(principal: &str) -> Option<String> {
    if principal == "*" {
        return Some("*".to_owned());
    }
    let candidate = if principal.starts_with("arn:") {
        principal.split(':').nth(4)?
    } else {
        principal
    };
    (candidate.len() == 12 && candidate.bytes().all(|b| b.is_ascii_digit()))
        .then(|| candidate.to_owned())
}

fn has_external_id(statement: &Value) -> bool {
    statement
        .get("Condition")
        .and_then(Value::as_object)
        .is_some_and(|ops| {
            ops.values()
                .any(|keys| keys.get("sts:ExternalId").is_some())
        })
}

/// Every principal the trust policy's Allow statements let assume the role.
fn trusted_principals(policy: &Value) -> Vec<Trusted> {
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for statement in statements {
        // Deny statements only take access away.
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow")
            || !allows_assume(statement)
        {
            continue;
        }
        let external_id = has_external_id(statement);
        let mut add = |principal: &str, account: String| {
            out.push(Trusted {
                principal: principal.to_owned(),
                account,
                external_id,
                statement: statement.clone(),
            });
        };
        // Allow with NotPrincipal means everyone but the listed principals.
        if statement.get("NotPrincipal").is_some() {
            add("NotPrincipal (everyone else)", "*".to_owned());
            continue;
        }
        match statement.get("Principal") {
            Some(Value::String(s)) if s == "*" => add("*", "*".to_owned()),
            Some(Value::Object(map)) => {
                for principal in strings(map.get("AWS")) {
                    if let Some(account) = account_of(principal) {
                        add(principal, account);
                    }
                }
                // Service and federated principals are AWS's or the account's identity
                // providers; only a wildcard is reported.
                for key in ["Service", "Federated", "CanonicalUser"] {
                    if strings(map.get(key)).contains(&"*") {
                        add(&format!("{key}: *"), "*".to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

impl Check for RoleTrustsExternalAccount {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let details = ctx.iam_authorization_details()?;
        let settings = ctx.settings;
        let mut drafts = Vec::new();
        for role in &details.roles {
            // Service-linked roles are AWS's; a role without a readable policy has nothing to show.
            if role.path.starts_with("/aws-service-role/") {
                continue;
            }
            let Some(policy) = &role.trust_policy else {
                // A trust policy nobody can read cannot be vouched for: it is a finding of
                // its own, never a silent pass.
                if let Some(error) = &role.trust_policy_error {
                    let name = &role.name;
                    let mut draft = FindingDraft::new(
                        "iam_role",
                        &role.arn,
                        format!("Trust policy of role {name} could not be parsed"),
                        format!(
                            "The trust policy of role {name} is not a policy orgsweep can read ({error}); who may assume the role is unknown."
                        ),
                    )
                    .evidence("parse_error", error.clone())
                    .remediation(vec![
                        format!("Read the trust policy by hand: aws iam get-role --role-name {name} --query Role.AssumeRolePolicyDocument"),
                        "If it trusts anyone outside the organization without a reason, replace it with a policy naming only the accounts that need the role.".to_owned(),
                    ]);
                    draft.severity = Some(Severity::Medium);
                    drafts.push(draft);
                }
                continue;
            };
            let outside: Vec<Trusted> = trusted_principals(policy)
                .into_iter()
                .filter(|t| {
                    t.account == "*"
                        || (t.account != ctx.account_id
                            && !settings.organization_accounts.contains(&t.account)
                            && !settings.trusted_accounts.contains(&t.account))
                })
                .collect();
            if outside.is_empty() {
                continue;
            }
            let anyone = outside.iter().any(|t| t.account == "*");
            let anyone_unconditional = outside
                .iter()
                .any(|t| t.account == "*" && t.statement.get("Condition").is_none());
            let severity = if anyone_unconditional {
                Severity::Critical
            } else if !anyone && outside.iter().all(|t| t.external_id) {
                Severity::Medium
            } else {
                Severity::High
            };
            let mut accounts: Vec<&str> = outside.iter().map(|t| t.account.as_str()).collect();
            accounts.sort();
            accounts.dedup();
            let who = accounts.join(", ");
            let name = &role.name;
            let mut draft = FindingDraft::new(
                "iam_role",
                &role.arn,
                format!("Role {name} can be assumed from {}", if anyone { "anyone" } else { "outside the organization" }),
                format!(
                    "The trust policy of role {name} lets {who} assume it{}.",
                    if severity == Severity::Medium { " (with an sts:ExternalId condition)" } else { "" }
                ),
            )
            .evidence("accounts", json!(accounts))
            .evidence(
                "principals",
                json!(outside.iter().map(|t| json!({"principal": t.principal, "account": t.account, "external_id": t.external_id})).collect::<Vec<_>>()),
            )
            .evidence("statements", json!(outside.iter().map(|t| t.statement.clone()).collect::<Vec<_>>()))
            .remediation(vec![
                format!("Confirm with the owner of role {name} why {who} may assume it."),
                format!(
                    "If it is a partner, add the account to trusted_accounts in orgsweep.toml; if not, tighten the trust policy: aws iam update-assume-role-policy --role-name {name} --policy-document file://trust.json"
                ),
                format!(
                    "Revoke sessions already issued (IAM console: Roles > {name} > Revoke active sessions, which denies tokens issued before now via aws:TokenIssueTime)."
                ),
                format!(
                    "Review who assumed it: aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue={}",
                    role.arn
                ),
            ]);
            draft.severity = Some(severity);
            // Whether, and for what, the role was used inside the window.
            drafts.push(with_last_use(draft, ctx, Some(&role.arn), None));
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use orgsweep_model::facts::{AttachedPolicies, Facts, IamAuthorizationDetails, IamRole};

    use super::*;
    use crate::Settings;
    use crate::checks::fixtures::{ACCOUNT, evaluate_with};
    use crate::checks::fixtures::{BACKDOOR, about, accessed, incident, with_accessed};

    const MEMBER: &str = "222222222222";
    const OUTSIDE: &str = "999999999999";
    const PARTNER: &str = "333333333333";

    fn principals(principal: Value) -> Vec<(String, String)> {
        let policy = json!({"Statement": {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}});
        trusted_principals(&policy)
            .into_iter()
            .map(|t| (t.principal, t.account))
            .collect()
    }

    #[test]
    fn understands_every_principal_shape() {
        let p = |s: &str, a: &str| (s.to_owned(), a.to_owned());
        assert_eq!(principals(json!("*")), [p("*", "*")]);
        assert_eq!(principals(json!({"AWS": "*"})), [p("*", "*")]);
        assert_eq!(principals(json!({"AWS": OUTSIDE})), [p(OUTSIDE, OUTSIDE)]);
        let root = format!("arn:aws:iam::{OUTSIDE}:root");
        assert_eq!(principals(json!({"AWS": root})), [p(&root, OUTSIDE)]);
        let role = format!("arn:aws:iam::{MEMBER}:role/x");
        assert_eq!(
            principals(json!({"AWS": [role, OUTSIDE]})),
            [p(&role, MEMBER), p(OUTSIDE, OUTSIDE)]
        );
        let gov = format!("arn:aws-us-gov:iam::{OUTSIDE}:user/u");
        assert_eq!(principals(json!({"AWS": gov})), [p(&gov, OUTSIDE)]);
        let assumed = format!("arn:aws:sts::{OUTSIDE}:assumed-role/r/s");
        assert_eq!(principals(json!({"AWS": assumed})), [p(&assumed, OUTSIDE)]);
        assert!(principals(json!({"Service": "ec2.amazonaws.com"})).is_empty());
        assert_eq!(principals(json!({"Service": "*"})), [p("Service: *", "*")]);
        assert!(principals(json!({"Federated": "arn:aws:iam::1:saml-provider/x"})).is_empty());
        assert!(principals(json!({"Federated": "cognito-identity.amazonaws.com"})).is_empty());
    }

    #[test]
    fn statements_deny_not_principal_and_actions() {
        let deny = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}]});
        assert!(trusted_principals(&deny).is_empty());
        let other_action =
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]});
        assert!(trusted_principals(&other_action).is_empty());
        let wildcard_action = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": ["sts:*"]}]});
        assert_eq!(trusted_principals(&wildcard_action).len(), 1);
        let not_principal = json!({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": OUTSIDE}, "Action": "sts:AssumeRole"}]});
        assert_eq!(trusted_principals(&not_principal)[0].account, "*");
    }

    fn role(name: &str, path: &str, policy: Value) -> IamRole {
        IamRole {
            name: name.to_owned(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"),
            path: path.to_owned(),
            created_at: None,
            policies: AttachedPolicies::default(),
            trust_policy: Some(policy),
            trust_policy_error: None,
            last_used_at: None,
        }
    }

    fn trust(principal: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})
    }

    #[test]
    fn fires_outside_the_organization_only() {
        let external_id = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": "sts:AssumeRole",
                                 "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}}]});
        let roles = vec![
            role(
                "outside",
                "/",
                trust(&format!("arn:aws:iam::{OUTSIDE}:root")),
            ),
            role("member", "/", trust(MEMBER)),
            role("own", "/", trust(ACCOUNT)),
            role("partner", "/", trust(PARTNER)),
            role("vendor", "/", external_id),
            role("anyone", "/", trust("*")),
            role(
                "AWSServiceRoleForX",
                "/aws-service-role/x.amazonaws.com/",
                trust("*"),
            ),
        ];
        let facts = Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                roles,
                ..Default::default()
            }),
            ..Facts::default()
        };
        let settings = Settings {
            organization_accounts: BTreeSet::from([ACCOUNT.to_owned(), MEMBER.to_owned()]),
            trusted_accounts: BTreeSet::from([PARTNER.to_owned()]),
            ..Settings::default()
        };
        let drafts =
            evaluate_with(&RoleTrustsExternalAccount, &facts, "global", &settings).expect("runs");
        let found: Vec<(&str, Option<Severity>)> = drafts
            .iter()
            .map(|d| (d.resource_id.rsplit('/').next().unwrap_or(""), d.severity))
            .collect();
        assert_eq!(
            found,
            [
                ("outside", Some(Severity::High)),
                ("vendor", Some(Severity::Medium)),
                ("anyone", Some(Severity::Critical)),
            ]
        );
        assert_eq!(drafts[0].evidence["accounts"], json!([OUTSIDE]));
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("update-assume-role-policy --role-name outside"))
        );
    }

    #[test]
    fn an_unreadable_trust_policy_is_a_finding_not_a_pass() {
        let mut unreadable = role("mystery", "/", json!({}));
        unreadable.trust_policy = None;
        unreadable.trust_policy_error = Some("not a JSON policy document: EOF".to_owned());
        let facts = Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                roles: vec![unreadable],
                ..IamAuthorizationDetails::default()
            }),
            ..Facts::default()
        };
        let drafts = evaluate_with(
            &RoleTrustsExternalAccount,
            &facts,
            "global",
            &Settings::default(),
        )
        .expect("runs");
        assert_eq!(drafts.len(), 1);
        assert!(
            drafts[0].title.contains("could not be parsed"),
            "{}",
            drafts[0].title
        );
        assert_eq!(drafts[0].severity, Some(Severity::Medium));
    }

    #[test]
    fn shows_what_the_role_was_used_for_inside_the_window() {
        let (facts, settings) = incident();
        let with = |services: &[(&str, Option<i64>)]| {
            let facts = with_accessed(facts.clone(), vec![accessed(BACKDOOR, services)]);
            evaluate_with(&RoleTrustsExternalAccount, &facts, "global", &settings).expect("runs")
        };
        let drafts = with(&[("sts", Some(3)), ("s3", None)]);
        let d = about(&drafts, BACKDOOR);
        assert_eq!(
            d.evidence["services_used_in_window"],
            json!([{"namespace": "sts", "last_authenticated": "2026-11-21T12:00:00Z"}])
        );
        assert_eq!(d.severity, Some(Severity::High));
        assert!(
            d.detail
                .ends_with("Used sts inside the window (last 2026-11-21T12:00:00Z)."),
            "{}",
            d.detail
        );
        // Used only before the window: said so, not left out.
        let drafts = with(&[("s3", Some(60))]);
        let d = about(&drafts, BACKDOOR);
        assert_eq!(d.evidence["last_used"], "2026-09-25T12:00:00Z");
        assert_eq!(d.evidence["services_used_in_window"], json!([]));
        assert!(
            d.detail.ends_with(
                "No service used inside the window according to IAM's last-accessed data."
            )
        );
    }
}
