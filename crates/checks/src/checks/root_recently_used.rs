//! Day-to-day work never needs root; a root sign-in or root key use inside the window is
//! either a rare, known task or an intruder.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;
use time::OffsetDateTime;

use crate::checks::iam_common::root_row;
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct RootRecentlyUsed;

static META: CheckMeta = CheckMeta {
    id: "iam.root_recently_used",
    title: "The root user was used inside the look-back window",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::CredentialReport],
    rationale: "Root is for a handful of account tasks; any use should match one of them and \
                a person who did it.",
    remediation: &["Confirm who used root and why; if nobody did, secure root at once."],
};

impl Check for RootRecentlyUsed {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        // moto's report has no root row; real AWS always writes one.
        let Some(root) = root_row(ctx.credential_report()?) else {
            return Ok(Vec::new());
        };
        let mut uses: Vec<(String, OffsetDateTime)> = Vec::new();
        if let Some(at) = root.password_last_used.filter(|t| ctx.in_window(Some(*t))) {
            uses.push(("password (console sign-in)".to_owned(), at));
        }
        for (i, key) in root.access_keys.iter().enumerate() {
            if let Some(at) = key.last_used_date.filter(|t| ctx.in_window(Some(*t))) {
                uses.push((
                    format!(
                        "access key {} ({} in {})",
                        i + 1,
                        key.last_used_service
                            .as_deref()
                            .unwrap_or("unknown service"),
                        key.last_used_region.as_deref().unwrap_or("unknown region")
                    ),
                    at,
                ));
            }
        }
        let Some(latest) = uses.iter().map(|(_, at)| *at).max() else {
            return Ok(Vec::new());
        };
        let account = ctx.account_id;
        let what: Vec<String> = uses
            .iter()
            .map(|(how, at)| format!("{how} at {}", rfc3339(Some(*at)).as_str().unwrap_or("?")))
            .collect();
        Ok(vec![
            FindingDraft::new(
                "iam_root_user",
                &format!("arn:aws:iam::{account}:root"),
                format!("Root user of {account} used {}", rfc3339(Some(latest)).as_str().unwrap_or("recently")),
                format!("Root was used inside the {}-day window: {}.", ctx.settings.window_days, what.join("; ")),
            )
            .evidence("uses", what)
            .evidence("password_last_used", rfc3339(root.password_last_used))
            .evidence("access_key_1_last_used_date", rfc3339(root.access_keys[0].last_used_date))
            .evidence("access_key_2_last_used_date", rfc3339(root.access_keys[1].last_used_date))
            .remediation(vec![
                "Confirm with the root credential's custodian who signed in and why.".to_owned(),
                "See what root did: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=Username,AttributeValue=root".to_owned(),
                "If nobody did: reset the root password, enable root MFA, delete root access keys, and contact AWS Support.".to_owned(),
            ]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::ROOT_ACCOUNT_USER;
    use time::Duration;

    use super::*;
    use crate::checks::fixtures::{NOW, days_ago, evaluate, report, row};

    #[test]
    fn fires_for_password_or_key_use_inside_the_window() {
        let run =
            |root| evaluate(&RootRecentlyUsed, &report(vec![root]), "global", &[]).expect("runs");
        let mut root = row(ROOT_ACCOUNT_USER);
        root.password_last_used = days_ago(30);
        assert!(run(root.clone()).is_empty());
        root.password_last_used = Some(NOW - Duration::days(7));
        let found = run(root.clone());
        assert_eq!(found.len(), 1);
        assert!(found[0].detail.contains("password"));
        root.password_last_used = None;
        root.access_keys[1].last_used_date = days_ago(2);
        root.access_keys[1].last_used_service = Some("ec2".to_owned());
        assert!(run(root)[0].detail.contains("access key 2 (ec2"));
        // No root row (moto): nothing to say, not an error.
        assert!(
            evaluate(
                &RootRecentlyUsed,
                &report(vec![row("alice")]),
                "global",
                &[]
            )
            .expect("runs")
            .is_empty()
        );
    }
}
