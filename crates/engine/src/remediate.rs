//! From findings to reversible containment actions, and applying them account by account.
//! A failure stays with its account: the others still get done, and every outcome is
//! returned for the audit log.

use std::collections::BTreeSet;

use orgsweep_aws::{Action, Outcome, Session};
use orgsweep_model::{Finding, Report};
use serde::Serialize;
use time::OffsetDateTime;

/// Which findings to act on; empty lists select everything.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub finding_ids: Vec<String>,
    pub check_ids: Vec<String>,
    pub accounts: Vec<String>,
}

impl Selection {
    fn selects(&self, f: &Finding) -> bool {
        let any = |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        any(&self.finding_ids, &f.id)
            && any(&self.check_ids, &f.check_id)
            && any(&self.accounts, &f.account_id)
    }
}

/// An action, with the finding that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Planned {
    pub account_id: String,
    pub action: Action,
    pub finding_id: String,
    pub check_id: String,
}

fn text<'a>(f: &'a Finding, key: &str) -> Option<&'a str> {
    f.evidence.get(key).and_then(serde_json::Value::as_str)
}

/// The containment a finding calls for, if any.
fn action_for(f: &Finding) -> Option<Action> {
    let last_segment = |arn: &str| arn.rsplit('/').next().unwrap_or(arn).to_owned();
    match (f.check_id.as_str(), f.resource_type.as_str()) {
        (_, "iam_access_key") => Some(Action::DeactivateAccessKey {
            user: text(f, "user")?.to_owned(),
            access_key_id: text(f, "access_key_id")?.to_owned(),
        }),
        ("iam.quarantine_policy_attached", "iam_user") => Some(Action::DeactivateUserKeys {
            user: text(f, "user")?.to_owned(),
        }),
        ("iam.unknown_principal", "iam_user") => Some(Action::DenyAllForUser {
            user: text(f, "name")?.to_owned(),
        }),
        (
            "iam.unknown_principal"
            | "iam.role_trusts_external_account"
            | "iam.quarantine_policy_attached",
            "iam_role",
        ) => Some(Action::RevokeRoleSessions {
            role: last_segment(&f.resource_id),
        }),
        ("cloudtrail.suspicious_event", "principal") if f.resource_id.contains(":user/") => {
            Some(Action::DenyAllForUser {
                user: last_segment(&f.resource_id),
            })
        }
        (
            "resources.mining_class_instance"
            | "resources.unexpected_region"
            | "resources.unknown_resource",
            "ec2_instance",
        ) => Some(Action::SnapshotAndStopInstance {
            region: f.region.clone(),
            instance_id: f.resource_id.clone(),
        }),
        _ => None,
    }
}

/// Every containment action the selected findings call for, each once per account.
pub fn plan_containment(report: &Report, selection: &Selection) -> Vec<Planned> {
    let mut seen = BTreeSet::new();
    let mut planned = Vec::new();
    for f in report.findings.iter().filter(|f| selection.selects(f)) {
        if let Some(action) = action_for(f)
            && seen.insert((f.account_id.clone(), action.clone()))
        {
            planned.push(Planned {
                account_id: f.account_id.clone(),
                action,
                finding_id: f.id.clone(),
                check_id: f.check_id.clone(),
            });
        }
    }
    planned.sort();
    planned
}

/// The user name of an IAM user ARN (`arn:aws:iam::1:user/path/name` → `name`).
fn own_user(arn: &str) -> Option<&str> {
    arn.split_once(":user/")
        .map(|(_, rest)| rest.rsplit('/').next().unwrap_or(rest))
}

fn own_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

fn targets_user(action: &Action) -> Option<&str> {
    match action {
        Action::DeactivateAccessKey { user, .. }
        | Action::DeactivateUserKeys { user }
        | Action::DenyAllForUser { user } => Some(user),
        _ => None,
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub who: String,
    pub account_id: String,
    pub finding_id: String,
    #[serde(flatten)]
    pub action: Action,
    pub target: String,
    /// `done`, `skipped` or `failed`.
    pub result: &'static str,
    pub detail: String,
}

/// Applies `planned`, account by account. The management account is reached with the
/// caller's credentials, members through the session's (remediation) role.
pub async fn apply(
    session: &Session,
    management_account_id: &str,
    who: &str,
    planned: &[Planned],
) -> Vec<AuditRecord> {
    let mut records = Vec::new();
    let accounts: BTreeSet<&str> = planned.iter().map(|p| p.account_id.as_str()).collect();
    for account in accounts {
        let aws = if account == management_account_id {
            Ok(session.management(account))
        } else {
            session.member(account).await
        };
        for p in planned.iter().filter(|p| p.account_id == account) {
            let own = own_user(who).is_some_and(|me| {
                account == own_account(who) && targets_user(&p.action) == Some(me)
            });
            let (result, detail) = match &aws {
                // Locking out the identity doing the containment would stop it half-way.
                _ if own => (
                    "skipped",
                    "the user is the identity running orgsweep".to_owned(),
                ),
                Err(err) => ("failed", err.to_string()),
                Ok(aws) => match aws.contain(&p.action).await {
                    Ok(Outcome::Done(detail)) => ("done", detail),
                    Ok(Outcome::Skipped(detail)) => ("skipped", detail),
                    Err(err) => ("failed", err.to_string()),
                },
            };
            records.push(AuditRecord {
                time: OffsetDateTime::now_utc(),
                who: who.to_owned(),
                account_id: account.to_owned(),
                finding_id: p.finding_id.clone(),
                action: p.action.clone(),
                target: p.action.describe(),
                result,
                detail,
            });
        }
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_is_recognised_by_user_and_account() {
        let me = "arn:aws:iam::111111111111:user/ops/orgsweep-scanner";
        assert_eq!(own_user(me), Some("orgsweep-scanner"));
        assert_eq!(own_account(me), "111111111111");
        assert_eq!(own_user("arn:aws:sts::111111111111:assumed-role/r/s"), None);
        let key = Action::DeactivateAccessKey {
            user: "orgsweep-scanner".into(),
            access_key_id: "AKIA".into(),
        };
        assert_eq!(targets_user(&key), Some("orgsweep-scanner"));
        assert_eq!(
            targets_user(&Action::RevokeRoleSessions { role: "r".into() }),
            None
        );
    }
}
