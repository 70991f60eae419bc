//! An account whose root e-mail is on a domain the organization does not own can be taken
//! over by whoever controls that mailbox: the root password reset goes there.

use orgsweep_model::Severity;

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct RootEmailOutsideOrgDomains;

static META: CheckMeta = CheckMeta {
    id: "account.root_email_outside_org_domains",
    title: "Account root e-mail is outside the organization's domains",
    severity: Severity::Medium,
    scope: Scope::Account,
    // The e-mail comes from Organizations' account list, which discovery already has.
    sources: &[],
    rationale: "Whoever controls the root e-mail address can reset the root password and \
                take the account over.",
    remediation: &["Change the root e-mail to an address on a domain the organization controls."],
};

/// Whether `email`'s domain is one of `domains` or a subdomain of one.
fn in_domains(email: &str, domains: &[String]) -> bool {
    let Some((_, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let domain = domain.to_ascii_lowercase();
    domains.iter().any(|d| {
        let d = d.trim_start_matches('@').to_ascii_lowercase();
        domain == d || domain.ends_with(&format!(".{d}"))
    })
}

impl Check for RootEmailOutsideOrgDomains {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let domains = &ctx.settings.email_domains;
        if domains.is_empty() {
            return Err(CheckError::NotConfigured(
                "no email domains: set --email-domains, or email_domains in the settings file (--config)",
            ));
        }
        let Some(account) = &ctx.facts.account else {
            return Ok(Vec::new());
        };
        if in_domains(&account.email, domains) {
            return Ok(Vec::new());
        }
        Ok(vec![
            FindingDraft::new(
                "account",
                ctx.account_id,
                format!("Root e-mail of {} is outside the organization's domains", account.name),
                format!(
                    "Account {} ({}) has the root e-mail {}, not on {}.",
                    ctx.account_id,
                    account.name,
                    account.email,
                    domains.join(", ")
                ),
            )
            .evidence("email", account.email.clone())
            .evidence("domains", domains.clone())
            .remediation(vec![
                format!("Confirm who owns the mailbox {}.", account.email),
                "Sign in as the root user and change the e-mail address under Account settings (the organization's management account can also update member root e-mails through AWS Organizations' centralized root access).".to_owned(),
            ]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{AccountInfo, Facts};

    use super::*;
    use crate::Settings;
    use crate::checks::fixtures::evaluate_with;

    #[test]
    fn matches_domains_and_subdomains_case_insensitively() {
        let domains = vec!["example.com".to_owned()];
        assert!(in_domains("ops@Example.COM", &domains));
        assert!(in_domains("ops@aws.example.com", &domains));
        assert!(!in_domains("ops@example.com.evil.net", &domains));
        assert!(!in_domains("ops@notexample.com", &domains));
        assert!(!in_domains("no-at-sign", &domains));
    }

    #[test]
    fn fires_outside_and_skips_without_configured_domains() {
        let facts = Facts {
            account: Some(AccountInfo {
                name: "prod".into(),
                email: "owner@gmail.com".into(),
            }),
            ..Facts::default()
        };
        let err = evaluate_with(
            &RootEmailOutsideOrgDomains,
            &facts,
            "global",
            &Settings::default(),
        )
        .unwrap_err();
        assert!(err.is_skip());
        let settings = Settings {
            email_domains: vec!["example.com".into()],
            ..Settings::default()
        };
        let drafts =
            evaluate_with(&RootEmailOutsideOrgDomains, &facts, "global", &settings).expect("runs");
        assert_eq!(drafts.len(), 1);
    }
}
