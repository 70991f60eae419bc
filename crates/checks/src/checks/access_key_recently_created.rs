//! An attacker with IAM write access usually mints their own access key first, so a key
//! created inside the look-back window must be one somebody can vouch for. The credential
//! report's "last rotated" time of a key slot is the key's creation time.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::iam_common::{key_evidence, key_ids};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct AccessKeyRecentlyCreated;

static META: CheckMeta = CheckMeta {
    id: "iam.access_key_recently_created",
    title: "Access key created inside the look-back window",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::CredentialReport],
    rationale: "Creating an access key is how an intruder turns a stolen session or password \
                into lasting access; every new key should be one a person can vouch for.",
    remediation: &[
        "Confirm with the key's owner that they created it.",
        "If nobody did, deactivate the key (do not delete it yet) and review its activity in CloudTrail.",
    ],
};

impl Check for AccessKeyRecentlyCreated {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let report = ctx.credential_report()?;
        let mut drafts = Vec::new();
        for row in &report.rows {
            for (slot, key) in row.access_keys.iter().enumerate() {
                if !ctx.in_window(key.last_rotated) {
                    continue;
                }
                let user = &row.user;
                let slot = slot + 1;
                let (resource_id, key_ref) = key_ids(row, slot, key);
                let created = rfc3339(key.last_rotated);
                let created_text = created.as_str().unwrap_or("recently").to_owned();
                let deactivate = if row.is_root() {
                    format!(
                        "If nobody did, sign in as the root user and deactivate key {key_ref} under Security credentials (root keys cannot be managed through IAM APIs)."
                    )
                } else {
                    format!(
                        "If nobody did, deactivate (do not delete) it: aws iam update-access-key --user-name {user} --access-key-id {key_ref} --status Inactive"
                    )
                };
                let draft = FindingDraft::new(
                    "iam_access_key",
                    &resource_id,
                    format!("Access key of {user} created {created_text}"),
                    format!(
                        "Key slot {slot} of {user} holds a key created {created_text}, inside the {}-day window; it is {}.",
                        ctx.settings.window_days,
                        if key.active { "active" } else { "inactive" }
                    ),
                );
                drafts.push(
                    key_evidence(draft, row, slot, key).remediation(vec![
                        format!("Confirm with the owner of {user} that they created key {key_ref}."),
                        deactivate,
                        format!(
                            "Review what the key did: aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key_ref}"
                        ),
                    ]),
                );
            }
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{NOW, days_ago, evaluate, report, row};
    use time::Duration;

    #[test]
    fn fires_for_keys_created_inside_the_window_in_either_slot() {
        let mut fresh = row("build-bot");
        fresh.access_keys[1].active = true;
        fresh.access_keys[1].last_rotated = days_ago(1);
        fresh.access_keys[1].key_id = Some("AKIAFRESH".to_owned());
        let mut old = row("legacy");
        old.access_keys[0].active = true;
        old.access_keys[0].last_rotated = days_ago(30);
        let mut edge = row("edge");
        edge.access_keys[0].last_rotated = Some(NOW - Duration::days(7));
        let mut just_outside = row("outside");
        just_outside.access_keys[0].last_rotated =
            Some(NOW - Duration::days(7) - Duration::seconds(1));

        let drafts = evaluate(
            &AccessKeyRecentlyCreated,
            &report(vec![fresh, old, edge, just_outside]),
            "global",
            &[],
        )
        .expect("source present");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(
            ids,
            ["AKIAFRESH", "arn:aws:iam::111111111111:user/edge#key1"]
        );
        assert_eq!(drafts[0].evidence["key_slot"], 2);
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("--access-key-id AKIAFRESH --status Inactive"))
        );
    }

    #[test]
    fn no_keys_no_findings() {
        let drafts = evaluate(
            &AccessKeyRecentlyCreated,
            &report(vec![row("a")]),
            "global",
            &[],
        )
        .expect("source present");
        assert!(drafts.is_empty());
    }
}
