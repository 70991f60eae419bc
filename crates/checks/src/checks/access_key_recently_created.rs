//! An attacker with IAM write access usually mints their own access key first, so a key
//! created inside the look-back window must be one somebody can vouch for. The creation
//! time comes from iam:ListAccessKeys, read fresh for every user: the credential report can
//! be four hours old, and a key minted since is exactly the one that must not be missed.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::iam_common::with_last_use;
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct AccessKeyRecentlyCreated;

static META: CheckMeta = CheckMeta {
    id: "iam.access_key_recently_created",
    title: "Access key created inside the look-back window",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::IamAuthorizationDetails, Source::AccessKeys],
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
        let keys = ctx.access_keys()?;
        let arn_of = |user: &str| {
            ctx.facts
                .iam_authorization_details
                .as_ref()
                .and_then(|d| d.users.iter().find(|u| u.name == user))
                .map(|u| u.arn.clone())
        };
        let mut drafts = Vec::new();
        for key in keys.iter().filter(|k| ctx.in_window(k.created_at)) {
            let (user, key_id) = (&key.user, &key.access_key_id);
            let user_arn = arn_of(user);
            let created = rfc3339(key.created_at);
            let created_text = created.as_str().unwrap_or("recently").to_owned();
            let draft = FindingDraft::new(
                "iam_access_key",
                key_id,
                format!("Access key {key_id} of {user} created {created_text}"),
                format!(
                    "User {user} has an access key created {created_text}, inside the {}-day window; it is {}.",
                    ctx.settings.window_days,
                    if key.active { "active" } else { "inactive" }
                ),
            )
            .evidence("user", user.clone())
            .evidence("user_arn", user_arn.clone())
            .evidence("access_key_id", key_id.clone())
            .evidence("created", created)
            .evidence("active", key.active)
            .remediation(vec![
                format!("Confirm with the owner of {user} that they created key {key_id}."),
                format!(
                    "If nobody did, deactivate (do not delete) it: aws iam update-access-key --user-name {user} --access-key-id {key_id} --status Inactive"
                ),
                format!(
                    "Review what the key did: aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key_id}"
                ),
            ]);
            // IAM's last-accessed data is per user, all its credentials together.
            let subject = format!("User {user} (any of its credentials)");
            drafts.push(with_last_use(
                draft,
                ctx,
                user_arn.as_deref(),
                Some(&subject),
            ));
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{
        MALLORY, NOW, about, days_ago, evaluate, evaluate_with, incident_with_usage,
    };
    use orgsweep_model::facts::{AccessKey, Facts};
    use serde_json::json;
    use time::Duration;

    fn key(user: &str, id: &str, created: Option<time::OffsetDateTime>) -> AccessKey {
        AccessKey {
            user: user.to_owned(),
            access_key_id: id.to_owned(),
            active: true,
            created_at: created,
        }
    }

    #[test]
    fn fires_for_keys_created_inside_the_window_from_the_fresh_key_list() {
        let facts = Facts {
            access_keys: Some(vec![
                key("build-bot", "AKIAFRESH", days_ago(1)),
                key("legacy", "AKIAOLD", days_ago(30)),
                key("edge", "AKIAEDGE", Some(NOW - Duration::days(7))),
                key(
                    "outside",
                    "AKIAOUT",
                    Some(NOW - Duration::days(7) - Duration::seconds(1)),
                ),
                // Minted an hour ago: a credential report cached for four hours would not
                // know this key yet.
                key("intruder", "AKIANEW", Some(NOW - Duration::hours(1))),
            ]),
            ..Facts::default()
        };
        let drafts =
            evaluate(&AccessKeyRecentlyCreated, &facts, "global", &[]).expect("source present");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["AKIAFRESH", "AKIAEDGE", "AKIANEW"]);
        assert_eq!(drafts[0].evidence["user"], "build-bot");
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("--access-key-id AKIAFRESH --status Inactive"))
        );
    }

    #[test]
    fn without_the_key_list_it_fails_rather_than_staying_quiet() {
        let err =
            evaluate(&AccessKeyRecentlyCreated, &Facts::default(), "global", &[]).unwrap_err();
        assert_eq!(err, CheckError::MissingSource(Source::AccessKeys));
    }

    #[test]
    fn shows_what_the_keys_user_used_inside_the_window() {
        let (facts, settings) = incident_with_usage();
        let drafts =
            evaluate_with(&AccessKeyRecentlyCreated, &facts, "global", &settings).expect("runs");
        let d = about(&drafts, "AKIAMALLORY");
        assert_eq!(d.evidence["user_arn"], MALLORY);
        assert_eq!(
            d.evidence["services_used_in_window"],
            json!([
                {"namespace": "ec2", "last_authenticated": "2026-11-23T12:00:00Z"},
                {"namespace": "iam", "last_authenticated": "2026-11-22T12:00:00Z"},
            ])
        );
        assert_eq!(d.evidence["last_used"], "2026-11-23T12:00:00Z");
        // Last-accessed data is per user: the sentence says so.
        assert!(
            d.detail.ends_with(
                "User mallory (any of its credentials) used ec2 and iam inside the window (last 2026-11-23T12:00:00Z)."
            ),
            "{}",
            d.detail
        );
        // Without the user's ARN there is nobody to look up.
        let mut anonymous = facts.clone();
        anonymous.iam_authorization_details = None;
        let drafts = evaluate_with(&AccessKeyRecentlyCreated, &anonymous, "global", &settings)
            .expect("runs");
        assert!(!drafts[0].evidence.contains_key("services_used_in_window"));
    }
}
