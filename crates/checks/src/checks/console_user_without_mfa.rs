//! A console password without MFA is one phished or reused password away from an
//! interactive session; the credential report says which users are in that state.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::iam_common::with_last_use;
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct ConsoleUserWithoutMfa;

static META: CheckMeta = CheckMeta {
    id: "iam.console_user_without_mfa",
    title: "IAM user can sign in to the console without MFA",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::CredentialReport],
    rationale: "A console password is phishable and often reused; without an MFA device a \
                leaked password alone gives an attacker an interactive session.",
    remediation: &[
        "Confirm the user is a person you know who needs console access.",
        "If so, have them enable an MFA device; if not, remove the console password.",
    ],
};

impl Check for ConsoleUserWithoutMfa {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let report = ctx.credential_report()?;
        // The root user is iam.root_mfa_disabled's business, with its own exceptions.
        Ok(report
            .rows
            .iter()
            .filter(|r| !r.is_root() && r.password_enabled == Some(true) && !r.mfa_active)
            .map(|r| {
                let user = &r.user;
                let draft = FindingDraft::new(
                    "iam_user",
                    &r.arn,
                    format!("IAM user {user} has a console password and no MFA"),
                    format!("User {user} can sign in to the AWS console with a password alone."),
                )
                .evidence("user", user.clone())
                .evidence("password_enabled", true)
                .evidence("mfa_active", false)
                .evidence("password_last_used", rfc3339(r.password_last_used))
                .evidence("user_creation_time", rfc3339(r.user_creation_time))
                .remediation(vec![
                    format!(
                        "Confirm with the owner of {user} that the user is known and needs console access."
                    ),
                    format!(
                        "If it is known: have the user enable MFA (aws iam create-virtual-mfa-device --virtual-mfa-device-name {user}-mfa --outfile qr.png --bootstrap-method QRCodePNG, then aws iam enable-mfa-device --user-name {user} --serial-number <MFA_ARN> --authentication-code1 <CODE1> --authentication-code2 <CODE2>)."
                    ),
                    format!(
                        "If it is not needed or not known: remove console access with aws iam delete-login-profile --user-name {user}"
                    ),
                ]);
                with_last_use(draft, ctx, Some(&r.arn), None)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{Facts, ROOT_ACCOUNT_USER};

    use super::*;
    use crate::checks::fixtures::{
        MALLORY, about, accessed, evaluate_with, incident, with_accessed,
    };
    use crate::checks::fixtures::{days_ago, evaluate, report, row};
    use serde_json::json;

    #[test]
    fn fires_only_for_password_users_without_mfa() {
        let mut alice = row("alice");
        alice.password_enabled = Some(true);
        alice.password_last_used = days_ago(2);
        let mut bob = row("bob");
        bob.password_enabled = Some(true);
        bob.mfa_active = true;
        let api_only = row("ci");
        let mut root = row(ROOT_ACCOUNT_USER);
        root.password_enabled = Some(true);
        let mut unknown = row("legacy");
        unknown.password_enabled = None;

        let drafts = evaluate(
            &ConsoleUserWithoutMfa,
            &report(vec![alice, bob, api_only, root, unknown]),
            "global",
            &[],
        )
        .expect("source present");
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].evidence["user"], "alice");
        assert!(drafts[0].evidence["password_last_used"].is_string());
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("delete-login-profile --user-name alice"))
        );
    }

    #[test]
    fn missing_report_is_reported() {
        assert_eq!(
            evaluate(&ConsoleUserWithoutMfa, &Facts::default(), "global", &[]).unwrap_err(),
            CheckError::MissingSource(Source::CredentialReport)
        );
    }

    #[test]
    fn shows_what_the_user_used_inside_the_window() {
        let (facts, settings) = incident();
        let facts = with_accessed(
            facts,
            vec![accessed(
                MALLORY,
                &[("ec2", Some(1)), ("iam", Some(2)), ("s3", Some(30))],
            )],
        );
        let drafts =
            evaluate_with(&ConsoleUserWithoutMfa, &facts, "global", &settings).expect("runs");
        let d = about(&drafts, MALLORY);
        assert_eq!(
            d.evidence["services_used_in_window"],
            json!([
                {"namespace": "ec2", "last_authenticated": "2026-11-23T12:00:00Z"},
                {"namespace": "iam", "last_authenticated": "2026-11-22T12:00:00Z"},
            ])
        );
        assert_eq!(d.evidence["last_used"], "2026-11-23T12:00:00Z");
        assert_eq!(d.evidence["password_last_used"], serde_json::Value::Null);
        assert!(
            d.detail
                .ends_with("Used ec2 and iam inside the window (last 2026-11-23T12:00:00Z)."),
            "{}",
            d.detail
        );
    }
}
