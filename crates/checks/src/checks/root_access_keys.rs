//! Root access keys cannot be limited by any policy; AWS's guidance is that they should not
//! exist, and unexpected ones are a classic sign of compromise.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::iam_common::root_row;
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct RootAccessKeys;

static META: CheckMeta = CheckMeta {
    id: "iam.root_access_keys",
    title: "The root user has an active access key",
    severity: Severity::Critical,
    scope: Scope::Account,
    sources: &[Source::CredentialReport, Source::AccountSummary],
    rationale: "Root keys have unrestricted access that no policy can limit; they should not \
                exist, and keys nobody created are a sign of compromise.",
    remediation: &[
        "Check CloudTrail for the keys' use, then delete them (root user > Security credentials).",
    ],
};

impl Check for RootAccessKeys {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let account = ctx.account_id;
        let arn = format!("arn:aws:iam::{account}:root");
        let draft = |source: &str, detail: String| {
            FindingDraft::new(
                "iam_root_user",
                &arn,
                format!("Root user of {account} has an active access key"),
                detail,
            )
            .evidence("source", source.to_owned())
        };
        let lookup_by_user = "aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=root";
        let delete = "Sign in as the root user, open Security credentials, and delete the access key(s) (root keys cannot be managed through the IAM API); do it only after the review above.".to_owned();
        // The credential report's root row says which slot; the account summary (the
        // fallback when the report or its root row is missing) only that keys exist.
        match ctx.credential_report().ok().and_then(root_row) {
            Some(root) => Ok(root
                .access_keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.active)
                .map(|(i, k)| {
                    let slot = i + 1;
                    let lookup = k.key_id.as_ref().map_or_else(
                        || lookup_by_user.to_owned(),
                        |id| format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={id}"),
                    );
                    draft("credential report", format!("Root key slot {slot} holds an active key created {}.", rfc3339(k.last_rotated).as_str().unwrap_or("at an unknown time")))
                        .evidence("key_slot", slot)
                        .evidence("created", rfc3339(k.last_rotated))
                        .evidence("last_used_date", rfc3339(k.last_used_date))
                        .evidence("last_used_region", k.last_used_region.clone())
                        .evidence("last_used_service", k.last_used_service.clone())
                        .remediation(vec![format!("Find out what the key did: {lookup}"), delete.clone()])
                })
                .collect()),
            None => {
                let summary = ctx.account_summary().map_err(|_| CheckError::MissingSource(Source::CredentialReport))?;
                Ok(match summary.root_access_keys_present {
                    Some(true) => vec![
                        draft("account summary", "GetAccountSummary reports root access keys (AccountAccessKeysPresent).".to_owned())
                            .remediation(vec![format!("Find out what root did: {lookup_by_user}"), delete]),
                    ],
                    _ => Vec::new(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{AccountSummary, Facts, ROOT_ACCOUNT_USER};

    use super::*;
    use crate::checks::fixtures::{days_ago, evaluate, report, row};

    fn with_summary(mut facts: Facts, keys: Option<bool>) -> Facts {
        facts.account_summary = Some(AccountSummary {
            root_mfa_enabled: Some(true),
            root_access_keys_present: keys,
        });
        facts
    }

    #[test]
    fn reads_the_root_row_and_falls_back_to_the_summary() {
        let mut root = row(ROOT_ACCOUNT_USER);
        root.access_keys[1].active = true;
        root.access_keys[1].last_rotated = days_ago(10);
        let from_report = evaluate(
            &RootAccessKeys,
            &report(vec![root.clone(), row("alice")]),
            "global",
            &[],
        )
        .expect("runs");
        assert_eq!(from_report.len(), 1);
        assert_eq!(from_report[0].evidence["key_slot"], 2);
        assert_eq!(from_report[0].resource_id, "arn:aws:iam::111111111111:root");

        root.access_keys[1].active = false;
        assert!(
            evaluate(&RootAccessKeys, &report(vec![root]), "global", &[])
                .expect("runs")
                .is_empty()
        );

        // No root row (moto) or no report at all: the summary decides.
        let no_root = with_summary(report(vec![row("alice")]), Some(true));
        assert_eq!(
            evaluate(&RootAccessKeys, &no_root, "global", &[]).expect("runs")[0].evidence["source"],
            "account summary"
        );
        let no_report = with_summary(Facts::default(), Some(false));
        assert!(
            evaluate(&RootAccessKeys, &no_report, "global", &[])
                .expect("runs")
                .is_empty()
        );
        assert_eq!(
            evaluate(&RootAccessKeys, &Facts::default(), "global", &[]).unwrap_err(),
            CheckError::MissingSource(Source::CredentialReport)
        );
    }
}
