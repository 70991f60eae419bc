//! From findings to reversible containment actions, and applying them account by account.
//! A failure stays with its account: the others still get done, and every outcome is
//! returned for the audit log.

use std::collections::BTreeSet;

use orgsweep_aws::{Action, Outcome, Session};
use orgsweep_model::{Finding, Report};
use serde::Serialize;
use time::OffsetDateTime;

/// Which findings to act on; empty lists do not narrow.
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

    /// Whether anything was selected explicitly: `remediate --apply` refuses to act on a
    /// whole report at once.
    pub fn is_explicit(&self) -> bool {
        !(self.finding_ids.is_empty() && self.check_ids.is_empty() && self.accounts.is_empty())
    }

    /// Refuses ids the report (or the catalogue) does not have, naming them: a typo must
    /// not read as "nothing to contain".
    pub fn validate(&self, report: &Report) -> Result<(), String> {
        let unknown_findings: Vec<&str> = self
            .finding_ids
            .iter()
            .filter(|id| !report.findings.iter().any(|f| &f.id == *id))
            .map(String::as_str)
            .collect();
        if !unknown_findings.is_empty() {
            return Err(format!(
                "--finding: no finding {} in the report",
                unknown_findings.join(", ")
            ));
        }
        let unknown_checks: Vec<&str> = self
            .check_ids
            .iter()
            .filter(|id| orgsweep_checks::find(id).is_none())
            .map(String::as_str)
            .collect();
        if !unknown_checks.is_empty() {
            return Err(format!(
                "--check: unknown check {} (orgsweep checks lists them)",
                unknown_checks.join(", ")
            ));
        }
        let unknown_accounts: Vec<&str> = self
            .accounts
            .iter()
            .filter(|id| !report.accounts.iter().any(|a| &a.account_id == *id))
            .map(String::as_str)
            .collect();
        if !unknown_accounts.is_empty() {
            return Err(format!(
                "--accounts: account {} is not in the report",
                unknown_accounts.join(", ")
            ));
        }
        Ok(())
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

/// Whether the principal a finding is about is known to the baseline (its inventory item
/// is `known`): such principals are vouched for, and contained only when their finding is
/// selected by id.
fn principal_is_known(report: &Report, f: &Finding) -> bool {
    let arn = match f.resource_type.as_str() {
        "iam_user" | "iam_role" | "principal" => Some(f.resource_id.as_str()),
        _ => text(f, "user_arn"),
    };
    let Some(arn) = arn else { return false };
    report
        .inventory
        .iter()
        .any(|i| i.account_id == f.account_id && i.resource_id == arn && i.known)
}

/// Every containment action the selected findings call for, each once per account. The
/// scanner's own identity and (unless selected by finding id) principals the baseline
/// knows are left alone.
pub fn plan_containment(report: &Report, selection: &Selection) -> Vec<Planned> {
    let mut seen = BTreeSet::new();
    let mut planned = Vec::new();
    for f in report.findings.iter().filter(|f| selection.selects(f)) {
        if f.scanner_identity {
            continue;
        }
        if principal_is_known(report, f) && !selection.finding_ids.contains(&f.id) {
            continue;
        }
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

/// What the caller would lock itself out of: its own user (`user/<name>`) or, for an
/// assumed-role session (`assumed-role/<role>/<session>`), that role, in its own account.
fn locks_out_caller(caller_arn: &str, account: &str, action: &Action) -> bool {
    let Some(caller) = orgsweep_aws::Caller::from_arn(caller_arn, None) else {
        return false;
    };
    if caller.account_id != account {
        return false;
    }
    match (caller.principal(), action) {
        (
            Some(("user", me)),
            Action::DeactivateAccessKey { user, .. }
            | Action::DeactivateUserKeys { user }
            | Action::DenyAllForUser { user },
        ) => user == me,
        (Some(("role", me)), Action::RevokeRoleSessions { role }) => role == me,
        _ => false,
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

/// Applies `planned`, account by account, handing each record to `audit` before the next
/// action starts; an audit failure stops everything at once (nothing unlogged happens).
/// The caller's own account is reached with its credentials, the others through
/// `role` (the remediation role, never the read-only scan role).
pub async fn apply(
    session: &Session,
    role: &str,
    planned: &[Planned],
    audit: &mut dyn FnMut(&AuditRecord) -> std::io::Result<()>,
) -> Result<Vec<AuditRecord>, std::io::Error> {
    let who = session.caller_arn().to_owned();
    let own_account = session.caller().account_id.clone();
    let mut records = Vec::new();
    let accounts: BTreeSet<&str> = planned.iter().map(|p| p.account_id.as_str()).collect();
    for account in accounts {
        let aws = if account == own_account {
            Ok(session.own(account))
        } else {
            session.member_with_role(account, role).await
        };
        for p in planned.iter().filter(|p| p.account_id == account) {
            let (result, detail) = match &aws {
                // Locking out the identity doing the containment would stop it half-way.
                _ if locks_out_caller(&who, account, &p.action) => (
                    "skipped",
                    "the target is the identity running orgsweep".to_owned(),
                ),
                Err(err) => ("failed", err.to_string()),
                Ok(aws) => match aws.contain(&p.action).await {
                    Ok(Outcome::Done(detail)) => ("done", detail),
                    Ok(Outcome::Skipped(detail)) => ("skipped", detail),
                    Err(err) => ("failed", err.to_string()),
                },
            };
            let record = AuditRecord {
                time: OffsetDateTime::now_utc(),
                who: who.clone(),
                account_id: account.to_owned(),
                finding_id: p.finding_id.clone(),
                action: p.action.clone(),
                target: p.action.describe(),
                result,
                detail,
            };
            audit(&record)?;
            records.push(record);
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use orgsweep_model::{Finding, InventoryItem, Report};

    use super::*;

    fn report() -> Report {
        let key = |user: &str, id: &str| {
            let mut f = Finding {
                id: format!("f-{user}"),
                check_id: "iam.access_key_recently_created".to_owned(),
                account_id: "111111111111".to_owned(),
                resource_type: "iam_access_key".to_owned(),
                resource_id: id.to_owned(),
                ..Finding::default()
            };
            f.evidence.insert("user".to_owned(), user.into());
            f.evidence.insert("access_key_id".to_owned(), id.into());
            f.evidence.insert(
                "user_arn".to_owned(),
                format!("arn:aws:iam::111111111111:user/{user}").into(),
            );
            f
        };
        let mut own = key("orgsweep-scanner", "AKIASCANNER");
        own.scanner_identity = true;
        Report {
            schema_version: orgsweep_model::SCHEMA_VERSION,
            tool: orgsweep_model::Tool {
                name: "orgsweep".to_owned(),
                version: "0".to_owned(),
            },
            run: orgsweep_model::Run::default(),
            accounts: Vec::new(),
            coverage: Vec::new(),
            findings: vec![key("ci", "AKIACI"), key("intruder", "AKIABAD"), own],
            inventory: vec![InventoryItem {
                account_id: "111111111111".to_owned(),
                region: "global".to_owned(),
                resource_type: "iam_user".to_owned(),
                resource_id: "arn:aws:iam::111111111111:user/ci".to_owned(),
                created_at: None,
                state: None,
                tags: Default::default(),
                known: true,
            }],
            stats: Default::default(),
            previous: None,
        }
    }

    fn targets(planned: &[Planned]) -> Vec<String> {
        planned.iter().map(|p| p.action.describe()).collect()
    }

    #[test]
    fn known_principals_and_the_scanner_are_contained_only_when_named() {
        let report = report();
        let by_check = Selection {
            check_ids: vec!["iam.access_key_recently_created".to_owned()],
            ..Selection::default()
        };
        let planned = targets(&plan_containment(&report, &by_check));
        assert_eq!(planned, ["deactivate access key AKIABAD of user intruder"]);
        // The baseline's `ci` is contained when its finding is selected by id.
        let by_id = Selection {
            finding_ids: vec!["f-ci".to_owned()],
            ..Selection::default()
        };
        assert_eq!(
            targets(&plan_containment(&report, &by_id)),
            ["deactivate access key AKIACI of user ci"]
        );
        // orgsweep's own identity never is, even by id.
        let own = Selection {
            finding_ids: vec!["f-orgsweep-scanner".to_owned()],
            ..Selection::default()
        };
        assert!(plan_containment(&report, &own).is_empty());
    }

    #[test]
    fn selections_must_be_explicit_and_name_what_exists() {
        let report = report();
        assert!(!Selection::default().is_explicit());
        let typo = Selection {
            check_ids: vec!["iam.no_such".to_owned()],
            ..Selection::default()
        };
        assert!(typo.validate(&report).unwrap_err().contains("iam.no_such"));
        let gone = Selection {
            finding_ids: vec!["deadbeef".to_owned()],
            ..Selection::default()
        };
        assert!(gone.validate(&report).unwrap_err().contains("deadbeef"));
    }

    #[test]
    fn the_caller_is_recognised_as_a_user_or_an_assumed_role() {
        let key = Action::DeactivateAccessKey {
            user: "orgsweep-scanner".into(),
            access_key_id: "AKIA".into(),
        };
        let me = "arn:aws:iam::111111111111:user/ops/orgsweep-scanner";
        assert!(locks_out_caller(me, "111111111111", &key));
        assert!(
            !locks_out_caller(me, "222222222222", &key),
            "another account's namesake"
        );
        let role = Action::RevokeRoleSessions {
            role: "responder".into(),
        };
        let session = "arn:aws:sts::111111111111:assumed-role/responder/alice";
        assert!(locks_out_caller(session, "111111111111", &role));
        assert!(!locks_out_caller(session, "111111111111", &key));
        assert!(!locks_out_caller(
            session,
            "111111111111",
            &Action::RevokeRoleSessions {
                role: "other".into()
            }
        ));
        let gov = "arn:aws-us-gov:sts::111111111111:assumed-role/responder/alice";
        assert!(locks_out_caller(gov, "111111111111", &role));
    }
}
