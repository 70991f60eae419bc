//! The root user can do anything, including closing the account; a password without MFA is
//! one phishing mail away. Accounts whose root credentials are centrally removed (no
//! password, no keys) have nothing to protect.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::iam_common::root_row;
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct RootMfaDisabled;

static META: CheckMeta = CheckMeta {
    id: "iam.root_mfa_disabled",
    title: "The root user has no MFA",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::CredentialReport, Source::AccountSummary],
    rationale: "Root can do anything in the account and no policy limits it; its password \
                alone must never be enough to sign in.",
    remediation: &["Enable MFA for the root user, or remove root credentials centrally."],
};

impl Check for RootMfaDisabled {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let (source, password) = match ctx.credential_report().ok().and_then(root_row) {
            Some(root) => {
                let no_keys = root.access_keys.iter().all(|k| !k.active);
                if root.mfa_active || (root.password_enabled == Some(false) && no_keys) {
                    return Ok(Vec::new());
                }
                // AWS writes `not_supported` for root's password_enabled: unknown, so report.
                ("credential report", root.password_enabled)
            }
            None => {
                let summary = ctx
                    .account_summary()
                    .map_err(|_| CheckError::MissingSource(Source::CredentialReport))?;
                if summary.root_mfa_enabled != Some(false) {
                    return Ok(Vec::new());
                }
                ("account summary", None)
            }
        };
        let account = ctx.account_id;
        Ok(vec![
            FindingDraft::new(
                "iam_root_user",
                &format!("arn:aws:iam::{account}:root"),
                format!("Root user of {account} has no MFA"),
                format!(
                    "The root user has no MFA device{}.",
                    match password {
                        Some(true) => " and a password",
                        _ => " (whether it has a password is not known)",
                    }
                ),
            )
            .evidence("source", source)
            .evidence("password_enabled", password)
            .remediation(vec![
                "Sign in as the root user and enable MFA under Security credentials (a hardware key or passkey is best).".to_owned(),
                "Or, for member accounts, remove root credentials centrally from the management account: aws organizations enable-aws-service-access --service-principal iam.amazonaws.com, then aws iam enable-organizations-root-credentials-management".to_owned(),
            ]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{AccountSummary, Facts, ROOT_ACCOUNT_USER};

    use super::*;
    use crate::checks::fixtures::{evaluate, report, row};

    #[test]
    fn fires_without_mfa_unless_root_credentials_are_removed() {
        let run = |facts: &Facts| {
            evaluate(&RootMfaDisabled, facts, "global", &[])
                .expect("runs")
                .len()
        };
        let mut root = row(ROOT_ACCOUNT_USER);
        root.password_enabled = None; // AWS: not_supported
        assert_eq!(run(&report(vec![root.clone()])), 1);
        root.mfa_active = true;
        assert_eq!(run(&report(vec![root.clone()])), 0);
        root.mfa_active = false;
        root.password_enabled = Some(false); // centrally removed: no password, no keys
        assert_eq!(run(&report(vec![root.clone()])), 0);
        root.access_keys[0].active = true;
        assert_eq!(run(&report(vec![root])), 1);

        let summary = |mfa| Facts {
            account_summary: Some(AccountSummary {
                root_mfa_enabled: mfa,
                root_access_keys_present: None,
            }),
            ..Facts::default()
        };
        assert_eq!(run(&summary(Some(false))), 1);
        assert_eq!(run(&summary(Some(true))), 0);
        assert!(evaluate(&RootMfaDisabled, &Facts::default(), "global", &[]).is_err());
    }
}
