//! Old keys have had the longest time to leak (laptops, CI logs, old repositories);
//! rotating them bounds what a leak is worth.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::iam_common::{active_user_keys, key_evidence, key_ids, rotation_steps};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct AccessKeyNotRotated;

static META: CheckMeta = CheckMeta {
    id: "iam.access_key_not_rotated",
    title: "Active access key older than the rotation limit",
    severity: Severity::Medium,
    scope: Scope::Account,
    sources: &[Source::CredentialReport],
    rationale: "Long-lived keys accumulate copies in places nobody tracks; rotation limits \
                how long a leaked key stays useful.",
    remediation: &[
        "Create a new key, move the application to it, deactivate the old key, delete it once verified.",
    ],
};

impl Check for AccessKeyNotRotated {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let limit = ctx.settings.rotation_days;
        let cutoff = ctx.days_ago(limit);
        Ok(active_user_keys(ctx.credential_report()?)
            .filter(|(_, _, k)| k.last_rotated.is_some_and(|t| t < cutoff))
            .map(|(row, slot, key)| {
                let (resource_id, key_ref) = key_ids(row, slot, key);
                let age = key.last_rotated.map_or(0, |t| (ctx.now - t).whole_days());
                let draft = FindingDraft::new(
                    "iam_access_key",
                    &resource_id,
                    format!("Access key of {} is {age} days old", row.user),
                    format!(
                        "The active key in slot {slot} of {} was created {} ({age} days ago), beyond the {limit}-day rotation limit.",
                        row.user,
                        rfc3339(key.last_rotated).as_str().unwrap_or("long ago")
                    ),
                )
                .evidence("age_days", age)
                .evidence("rotation_days", limit);
                key_evidence(draft, row, slot, key).remediation(rotation_steps(&row.user, &key_ref))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::checks::fixtures::{NOW, evaluate, report, row};

    #[test]
    fn fires_past_the_limit_for_active_user_keys_in_either_slot() {
        let mut old = row("old");
        old.access_keys[1].active = true;
        old.access_keys[1].last_rotated = Some(NOW - Duration::days(90) - Duration::seconds(1));
        old.access_keys[1].key_id = Some("AKIAOLD".to_owned());
        let mut edge = row("edge");
        edge.access_keys[0].active = true;
        edge.access_keys[0].last_rotated = Some(NOW - Duration::days(90));
        let mut inactive = row("inactive");
        inactive.access_keys[0].last_rotated = Some(NOW - Duration::days(400));
        let mut root = row(orgsweep_model::facts::ROOT_ACCOUNT_USER);
        root.access_keys[0].active = true;
        root.access_keys[0].last_rotated = Some(NOW - Duration::days(400));
        let drafts = evaluate(
            &AccessKeyNotRotated,
            &report(vec![old, edge, inactive, root]),
            "global",
            &[],
        )
        .expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["AKIAOLD"]);
        assert_eq!(drafts[0].evidence["key_slot"], 2);
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("--access-key-id AKIAOLD --status Inactive"))
        );
    }
}
