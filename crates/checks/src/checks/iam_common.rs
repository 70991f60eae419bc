//! What the IAM checks share: how a key is named in findings and commands, its usage
//! evidence, and what IAM's last-accessed data says a principal did inside the window.

use orgsweep_model::facts::{AccessKeySlot, CredentialReport, CredentialReportRow};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Context, FindingDraft, rfc3339};

/// A key's resource id and the id to put into commands. Key ids come from ListAccessKeys;
/// without one, the user's ARN and the slot identify the key for as long as it exists.
pub(crate) fn key_ids(
    row: &CredentialReportRow,
    slot: usize,
    key: &AccessKeySlot,
) -> (String, String) {
    match &key.key_id {
        Some(id) => (id.clone(), id.clone()),
        None => (
            format!("{}#key{slot}", row.arn),
            "<ACCESS_KEY_ID>".to_owned(),
        ),
    }
}

/// Active keys of IAM users (not root), with their 1-based slot.
pub(crate) fn active_user_keys(
    report: &CredentialReport,
) -> impl Iterator<Item = (&CredentialReportRow, usize, &AccessKeySlot)> {
    report.rows.iter().filter(|r| !r.is_root()).flat_map(|row| {
        row.access_keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.active)
            .map(move |(i, k)| (row, i + 1, k))
    })
}

/// The key's age and use as evidence.
pub(crate) fn key_evidence(
    draft: FindingDraft,
    row: &CredentialReportRow,
    slot: usize,
    key: &AccessKeySlot,
) -> FindingDraft {
    draft
        .evidence("user", row.user.clone())
        .evidence("user_arn", row.arn.clone())
        .evidence("key_slot", slot)
        .evidence("access_key_id", key.key_id.clone())
        .evidence("active", key.active)
        .evidence("created", rfc3339(key.last_rotated))
        .evidence("last_used_date", rfc3339(key.last_used_date))
        .evidence("last_used_region", key.last_used_region.clone())
        .evidence("last_used_service", key.last_used_service.clone())
}

/// The `<root_account>` row, when the report has one (moto's has not).
pub(crate) fn root_row(report: &CredentialReport) -> Option<&CredentialReportRow> {
    report.rows.iter().find(|r| r.is_root())
}

/// Steps that replace a user's key without losing the application: new key first, then
/// deactivate the old one, delete only once verified.
pub(crate) fn rotation_steps(user: &str, key: &str) -> Vec<String> {
    vec![
        format!(
            "Create a new key for the application: aws iam create-access-key --user-name {user}"
        ),
        "Deploy the new key and verify the application works with it.".to_owned(),
        format!(
            "Deactivate (do not delete) the old key: aws iam update-access-key --user-name {user} --access-key-id {key} --status Inactive"
        ),
        format!(
            "Once nothing broke, delete it: aws iam delete-access-key --user-name {user} --access-key-id {key}"
        ),
    ]
}

/// Services listed one by one in [`LastUse`]'s evidence and sentence; the rest are counted.
pub(crate) const MAX_SERVICES_SHOWN: usize = 10;

/// What IAM's last-accessed data says about one principal, as of the window: read from
/// `Source::LastAccessed` opportunistically. That source is collected for a bounded list of
/// principals only, and the IAM checks do not declare it: when it is missing, or has no
/// entry for the principal, there is no [`LastUse`] at all (unknown, never "unused").
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LastUse {
    /// The principal's latest use of any service.
    pub last_used: Option<OffsetDateTime>,
    /// `(namespace, last authenticated)` of the services used inside the window, newest
    /// first.
    pub in_window: Vec<(String, OffsetDateTime)>,
}

/// The principal's [`LastUse`], with services used at or after `window_start`; `None` when
/// the last-accessed data does not cover the principal.
pub(crate) fn last_use(
    ctx: &Context<'_>,
    principal_arn: &str,
    window_start: OffsetDateTime,
) -> Option<LastUse> {
    let accessed = ctx.facts.last_accessed.as_ref()?.get(principal_arn)?;
    let mut in_window: Vec<(String, OffsetDateTime)> = accessed
        .services
        .iter()
        .filter_map(|s| Some((s.namespace.clone(), s.last_authenticated?)))
        .filter(|(_, t)| *t >= window_start)
        .collect();
    in_window.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some(LastUse {
        last_used: accessed.last_used,
        in_window,
    })
}

/// "a", "a and b", "a, b and c".
fn spoken_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl LastUse {
    /// The evidence keys: `last_used` (RFC 3339 or null), `services_used_in_window`
    /// (`[{namespace, last_authenticated}]`, newest first, at most [`MAX_SERVICES_SHOWN`])
    /// and `services_used_in_window_more` (how many more were used inside the window).
    pub fn evidence(&self) -> Vec<(&'static str, Value)> {
        let shown: Vec<Value> = self
            .in_window
            .iter()
            .take(MAX_SERVICES_SHOWN)
            .map(|(namespace, t)| {
                json!({"namespace": namespace, "last_authenticated": rfc3339(Some(*t))})
            })
            .collect();
        vec![
            ("last_used", rfc3339(self.last_used)),
            ("services_used_in_window", Value::Array(shown)),
            (
                "services_used_in_window_more",
                json!(self.in_window.len().saturating_sub(MAX_SERVICES_SHOWN)),
            ),
        ]
    }

    /// One sentence for the finding's detail. `subject` names who used the services
    /// ("User alice"); without one the sentence starts with "Used".
    pub fn sentence(&self, subject: Option<&str>) -> String {
        let Some((_, newest)) = self.in_window.first() else {
            return match subject {
                Some(who) => format!(
                    "{who} used no service inside the window according to IAM's last-accessed data."
                ),
                None => "No service used inside the window according to IAM's last-accessed data."
                    .to_owned(),
            };
        };
        let mut names: Vec<String> = self
            .in_window
            .iter()
            .take(MAX_SERVICES_SHOWN)
            .map(|(n, _)| n.clone())
            .collect();
        let more = self.in_window.len().saturating_sub(MAX_SERVICES_SHOWN);
        if more > 0 {
            names.push(format!(
                "{more} more service{}",
                if more == 1 { "" } else { "s" }
            ));
        }
        let last = rfc3339(Some(*newest));
        let last = last.as_str().unwrap_or("recently");
        let services = spoken_list(&names);
        match subject {
            Some(who) => format!("{who} used {services} inside the window (last {last})."),
            None => format!("Used {services} inside the window (last {last})."),
        }
    }

    /// Adds the evidence and appends the sentence to the draft's detail. A key the draft
    /// already carries with a value (`iam.unknown_principal`'s own `last_used`, from the
    /// role's RoleLastUsed) keeps it: existing evidence never changes meaning.
    pub fn add_to(&self, mut draft: FindingDraft, subject: Option<&str>) -> FindingDraft {
        for (key, value) in self.evidence() {
            match draft.evidence.get(key) {
                Some(existing) if !existing.is_null() => {}
                _ => {
                    draft.evidence.insert(key.to_owned(), value);
                }
            }
        }
        let sentence = self.sentence(subject);
        if draft.detail.is_empty() {
            draft.detail = sentence;
        } else {
            draft.detail.push(' ');
            draft.detail.push_str(&sentence);
        }
        draft
    }
}

/// `draft` with what the last-accessed data says `principal_arn` did inside the scan's
/// window, or unchanged when the data does not cover it (or there is no principal).
pub(crate) fn with_last_use(
    draft: FindingDraft,
    ctx: &Context<'_>,
    principal_arn: Option<&str>,
    subject: Option<&str>,
) -> FindingDraft {
    match principal_arn.and_then(|arn| last_use(ctx, arn, ctx.window_start())) {
        Some(usage) => usage.add_to(draft, subject),
        None => draft,
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::Severity;
    use orgsweep_model::facts::Facts;

    use super::*;
    use crate::checks::access_key_recently_created::AccessKeyRecentlyCreated;
    use crate::checks::console_user_without_mfa::ConsoleUserWithoutMfa;
    use crate::checks::fixtures::{
        BACKDOOR, MALLORY, NOW, accessed, days_ago, evaluate_with, incident, with_accessed,
    };
    use crate::checks::principal_recently_created::PrincipalRecentlyCreated;
    use crate::checks::quarantine_policy_attached::QuarantinePolicyAttached;
    use crate::checks::role_trusts_external_account::RoleTrustsExternalAccount;
    use crate::checks::unknown_principal::UnknownPrincipal;
    use crate::{Check, Settings};

    fn ctx<'a>(facts: &'a Facts, settings: &'a Settings) -> Context<'a> {
        Context {
            account_id: crate::checks::fixtures::ACCOUNT,
            region: "global",
            now: NOW,
            settings,
            facts,
        }
    }

    #[test]
    fn services_inside_the_window_newest_first_capped_with_a_count() {
        // Twelve services used inside the 7-day window (hours apart), two before it, one
        // never: the two before the window and the unused one are left out.
        let mut services: Vec<(String, Option<i64>)> = Vec::new();
        for i in 0..12 {
            services.push((format!("svc{i:02}"), Some(i % 6)));
        }
        services.push(("s3".to_owned(), Some(30)));
        services.push(("kms".to_owned(), Some(8)));
        services.push(("iam".to_owned(), None));
        let refs: Vec<(&str, Option<i64>)> =
            services.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        let facts = with_accessed(Facts::default(), vec![accessed(MALLORY, &refs)]);
        let settings = Settings::default();
        let c = ctx(&facts, &settings);
        let usage = last_use(&c, MALLORY, c.window_start()).expect("covered");
        let order: Vec<&str> = usage.in_window.iter().map(|(n, _)| n.as_str()).collect();
        // Newest first; the same day sorts by name.
        assert_eq!(
            order,
            [
                "svc00", "svc06", "svc01", "svc07", "svc02", "svc08", "svc03", "svc09", "svc04",
                "svc10", "svc05", "svc11"
            ]
        );
        let evidence: serde_json::Map<String, Value> = usage
            .evidence()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(evidence["last_used"], rfc3339(days_ago(0)));
        let shown = evidence["services_used_in_window"]
            .as_array()
            .expect("list");
        assert_eq!(shown.len(), MAX_SERVICES_SHOWN);
        assert_eq!(
            shown[0],
            json!({"namespace": "svc00", "last_authenticated": "2026-11-24T12:00:00Z"})
        );
        assert_eq!(
            shown[9],
            json!({"namespace": "svc10", "last_authenticated": "2026-11-20T12:00:00Z"})
        );
        assert_eq!(evidence["services_used_in_window_more"], 2);
        assert_eq!(
            usage.sentence(None),
            "Used svc00, svc06, svc01, svc07, svc02, svc08, svc03, svc09, svc04, svc10 and 2 more services inside the window (last 2026-11-24T12:00:00Z)."
        );
        // The window start is the caller's, and inclusive: a 1-day window keeps today's and
        // those exactly a day old.
        let narrow = last_use(&c, MALLORY, c.days_ago(1)).expect("covered");
        assert_eq!(
            narrow.sentence(None),
            "Used svc00, svc06, svc01 and svc07 inside the window (last 2026-11-24T12:00:00Z)."
        );
    }

    #[test]
    fn sentences_for_one_service_none_and_a_subject() {
        let facts = with_accessed(
            Facts::default(),
            vec![
                accessed(MALLORY, &[("ec2", Some(2)), ("s3", Some(40))]),
                accessed(BACKDOOR, &[("s3", Some(40)), ("iam", None)]),
            ],
        );
        let settings = Settings::default();
        let c = ctx(&facts, &settings);
        let window = c.window_start();
        let mallory = last_use(&c, MALLORY, window).expect("covered");
        assert_eq!(
            mallory.sentence(None),
            "Used ec2 inside the window (last 2026-11-22T12:00:00Z)."
        );
        assert_eq!(
            mallory.sentence(Some("User mallory")),
            "User mallory used ec2 inside the window (last 2026-11-22T12:00:00Z)."
        );
        let backdoor = last_use(&c, BACKDOOR, window).expect("covered");
        assert_eq!(
            backdoor.sentence(None),
            "No service used inside the window according to IAM's last-accessed data."
        );
        assert_eq!(
            backdoor.sentence(Some("Role backdoor")),
            "Role backdoor used no service inside the window according to IAM's last-accessed data."
        );
        // Used before the window: the last use is still evidence, the list is empty.
        let evidence = backdoor.evidence();
        assert_eq!(evidence[0], ("last_used", rfc3339(days_ago(40))));
        assert_eq!(evidence[1], ("services_used_in_window", json!([])));
        assert_eq!(evidence[2], ("services_used_in_window_more", json!(0)));
    }

    #[test]
    fn nothing_without_data_for_the_principal_and_existing_values_are_kept() {
        let settings = Settings::default();
        let not_collected = Facts::default();
        let other = with_accessed(Facts::default(), vec![accessed(BACKDOOR, &[])]);
        for facts in [&not_collected, &other] {
            let c = ctx(facts, &settings);
            assert_eq!(last_use(&c, MALLORY, c.window_start()), None);
            let draft = FindingDraft::new("iam_user", MALLORY, "t".into(), "Detail.".into());
            let same = with_last_use(draft.clone(), &c, Some(MALLORY), None);
            assert_eq!((same.detail, same.evidence), (draft.detail, draft.evidence));
        }
        // A key the draft already has with a value keeps it; a null one is filled in.
        let facts = with_accessed(
            Facts::default(),
            vec![accessed(MALLORY, &[("ec2", Some(1))])],
        );
        let c = ctx(&facts, &settings);
        let kept = with_last_use(
            FindingDraft::new("iam_role", MALLORY, "t".into(), "Detail.".into())
                .evidence("last_used", "2026-11-20T00:00:00Z"),
            &c,
            Some(MALLORY),
            None,
        );
        assert_eq!(kept.evidence["last_used"], "2026-11-20T00:00:00Z");
        assert_eq!(
            kept.detail,
            "Detail. Used ec2 inside the window (last 2026-11-23T12:00:00Z)."
        );
        let filled = with_last_use(
            FindingDraft::new("iam_user", MALLORY, "t".into(), "Detail.".into())
                .evidence("last_used", Value::Null),
            &c,
            Some(MALLORY),
            None,
        );
        assert_eq!(filled.evidence["last_used"], "2026-11-23T12:00:00Z");
    }

    /// The checks that show last use, and the principal each of `incident`'s findings is
    /// about.
    fn iam_checks() -> [&'static dyn Check; 6] {
        [
            &QuarantinePolicyAttached,
            &AccessKeyRecentlyCreated,
            &PrincipalRecentlyCreated,
            &RoleTrustsExternalAccount,
            &ConsoleUserWithoutMfa,
            &UnknownPrincipal,
        ]
    }

    type Verdict = Vec<(
        String,
        String,
        String,
        Option<Severity>,
        String,
        serde_json::Map<String, Value>,
        Vec<String>,
    )>;

    fn verdict(check: &dyn Check, facts: &Facts, settings: &Settings) -> Verdict {
        evaluate_with(check, facts, "global", settings)
            .expect("runs")
            .into_iter()
            .map(|d| {
                (
                    d.resource_type,
                    d.resource_id,
                    d.title,
                    d.severity,
                    d.detail,
                    d.evidence,
                    d.remediation,
                )
            })
            .collect()
    }

    #[test]
    fn without_last_accessed_data_nothing_is_added_and_verdicts_are_unchanged() {
        let (facts, settings) = incident();
        let usage = vec![
            accessed(MALLORY, &[("ec2", Some(1)), ("iam", Some(2))]),
            accessed(BACKDOOR, &[("s3", Some(3))]),
        ];
        for check in iam_checks() {
            let id = check.meta().id;
            let plain = verdict(check, &facts, &settings);
            assert!(!plain.is_empty(), "{id} reports the incident");
            for (_, _, _, _, detail, evidence, _) in &plain {
                assert!(!evidence.contains_key("services_used_in_window"), "{id}");
                assert!(!detail.contains("inside the window (last"), "{id}");
                assert!(!detail.contains("last-accessed"), "{id}");
            }
            // Collected for nobody, or for someone else: the same verdict, nothing added.
            let empty = with_accessed(facts.clone(), Vec::new());
            assert_eq!(verdict(check, &empty, &settings), plain, "{id}");
            let others = with_accessed(
                facts.clone(),
                vec![accessed(
                    "arn:aws:iam::111111111111:user/alice",
                    &[("ec2", Some(1))],
                )],
            );
            assert_eq!(verdict(check, &others, &settings), plain, "{id}");
            // With the data, the same findings (ids, titles, severities, steps) with more
            // evidence and a longer detail.
            let rich = verdict(
                check,
                &with_accessed(facts.clone(), usage.clone()),
                &settings,
            );
            assert_eq!(rich.len(), plain.len(), "{id}");
            for (r, p) in rich.iter().zip(&plain) {
                assert_eq!(
                    (&r.0, &r.1, &r.2, r.3, &r.6),
                    (&p.0, &p.1, &p.2, p.3, &p.6),
                    "{id}"
                );
                assert!(
                    r.4.starts_with(&p.4) && r.4.len() > p.4.len(),
                    "{id}: {}",
                    r.4
                );
                for (key, value) in &p.5 {
                    if !value.is_null() {
                        assert_eq!(r.5.get(key), Some(value), "{id}: {key}");
                    }
                }
                assert!(r.5.contains_key("services_used_in_window"), "{id}");
            }
        }
    }
}
