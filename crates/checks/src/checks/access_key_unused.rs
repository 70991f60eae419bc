//! An active key nobody uses is pure risk: it can leak without anyone missing it when it
//! is turned off.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::iam_common::{active_user_keys, key_evidence, key_ids};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct AccessKeyUnused;

static META: CheckMeta = CheckMeta {
    id: "iam.access_key_unused",
    title: "Active access key never used, or not for the unused limit",
    severity: Severity::Low,
    scope: Scope::Account,
    sources: &[Source::CredentialReport],
    rationale: "A key that is not used can be deactivated without harm; left active it only \
                waits to leak.",
    remediation: &["Deactivate the key; delete it after a grace period if nothing complains."],
};

impl Check for AccessKeyUnused {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let limit = ctx.settings.unused_days;
        let cutoff = ctx.days_ago(limit);
        Ok(active_user_keys(ctx.credential_report()?)
            .filter(|(_, _, k)| match k.last_used_date {
                Some(used) => used < cutoff,
                // A key created yesterday has had no chance to be used yet.
                None => k.last_rotated.is_none_or(|created| created < cutoff),
            })
            .map(|(row, slot, key)| {
                let (resource_id, key_ref) = key_ids(row, slot, key);
                let user = &row.user;
                let used = match key.last_used_date {
                    Some(_) => format!(
                        "was last used {} ({} in {})",
                        rfc3339(key.last_used_date).as_str().unwrap_or("long ago"),
                        key.last_used_service.as_deref().unwrap_or("unknown service"),
                        key.last_used_region.as_deref().unwrap_or("unknown region")
                    ),
                    None => "has never been used".to_owned(),
                };
                let draft = FindingDraft::new(
                    "iam_access_key",
                    &resource_id,
                    format!("Access key of {user} {used}"),
                    format!("The active key in slot {slot} of {user} {used}; the limit is {limit} days."),
                )
                .evidence("unused_days", limit);
                key_evidence(draft, row, slot, key).remediation(vec![
                    format!("Confirm with the owner of {user} that key {key_ref} is not needed."),
                    format!("Deactivate it: aws iam update-access-key --user-name {user} --access-key-id {key_ref} --status Inactive"),
                    format!("After a grace period without complaints, delete it: aws iam delete-access-key --user-name {user} --access-key-id {key_ref}"),
                ])
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::checks::fixtures::{NOW, days_ago, evaluate, report, row};

    #[test]
    fn fires_for_never_used_and_long_unused_active_keys() {
        let mut never = row("never");
        never.access_keys[0].active = true;
        never.access_keys[0].last_rotated = days_ago(200);
        let mut fresh = row("fresh");
        fresh.access_keys[0].active = true;
        fresh.access_keys[0].last_rotated = days_ago(1);
        let mut stale = row("stale");
        stale.access_keys[1].active = true;
        stale.access_keys[1].last_rotated = days_ago(300);
        stale.access_keys[1].last_used_date = Some(NOW - Duration::days(90) - Duration::seconds(1));
        stale.access_keys[1].last_used_service = Some("s3".to_owned());
        let mut edge = row("edge");
        edge.access_keys[0].active = true;
        edge.access_keys[0].last_rotated = days_ago(300);
        edge.access_keys[0].last_used_date = Some(NOW - Duration::days(90));
        let mut inactive = row("inactive");
        inactive.access_keys[0].last_rotated = days_ago(300);
        let drafts = evaluate(
            &AccessKeyUnused,
            &report(vec![never, fresh, stale, edge, inactive]),
            "global",
            &[],
        )
        .expect("runs");
        let users: Vec<&str> = drafts
            .iter()
            .filter_map(|d| d.evidence["user"].as_str())
            .collect();
        assert_eq!(users, ["never", "stale"]);
        assert!(drafts[0].title.contains("never been used"));
        assert_eq!(drafts[1].evidence["last_used_service"], "s3");
    }
}
