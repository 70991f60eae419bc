//! AWS writes to the SECURITY alternate contact about abuse and compromised keys; without
//! one, those notices go only to the root e-mail, which often nobody reads.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;
use serde_json::json;

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct SecurityContactMissing;

static META: CheckMeta = CheckMeta {
    id: "account.security_contact_missing",
    title: "Account has no SECURITY alternate contact",
    severity: Severity::Medium,
    scope: Scope::Account,
    sources: &[Source::AlternateContacts],
    rationale: "AWS sends security notifications (exposed keys, abuse reports) to the \
                SECURITY contact; without one they reach only the root e-mail address.",
    remediation: &["Set a SECURITY alternate contact that a monitored team mailbox receives."],
};

impl Check for SecurityContactMissing {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let contacts = ctx.alternate_contacts()?;
        if contacts.security.is_some() {
            return Ok(Vec::new());
        }
        let account = ctx.account_id;
        Ok(vec![
            FindingDraft::new(
                "account",
                account,
                format!("Account {account} has no SECURITY contact"),
                "AWS security notices for this account go only to its root e-mail address.".to_owned(),
            )
            .evidence("billing", json!(contacts.billing))
            .evidence("operations", json!(contacts.operations))
            .remediation(vec![format!(
                "aws account put-alternate-contact --account-id {account} --alternate-contact-type SECURITY --name \"Security team\" --title \"Security\" --email-address <SECURITY_MAILBOX> --phone-number <PHONE>"
            )]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{AlternateContacts, Contact, Facts};

    use super::*;
    use crate::checks::fixtures::evaluate;

    #[test]
    fn fires_only_without_a_security_contact() {
        let facts = |security| Facts {
            alternate_contacts: Some(AlternateContacts {
                security,
                ..AlternateContacts::default()
            }),
            ..Facts::default()
        };
        let missing = evaluate(&SecurityContactMissing, &facts(None), "global", &[]).expect("runs");
        assert_eq!(missing.len(), 1);
        assert!(missing[0].remediation[0].contains("--alternate-contact-type SECURITY"));
        let present = facts(Some(Contact {
            email: "sec@example.com".into(),
            ..Contact::default()
        }));
        assert!(
            evaluate(&SecurityContactMissing, &present, "global", &[])
                .expect("runs")
                .is_empty()
        );
    }
}
