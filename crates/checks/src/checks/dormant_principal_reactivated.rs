//! A user nobody used for months that comes back to life is how a forgotten identity turns
//! into an intruder's foothold: someone gives it a fresh access key and uses it.
//!
//! IAM keeps only the *latest* use of each credential (the credential report's password
//! and key dates, a role's `RoleLastUsed`) and of each service (service last accessed
//! data), never a history. Once a credential or a service is used inside the window, the
//! date of its use before the window is overwritten. So the previous use is knowable only
//! when every credential used inside the window did not exist before it: an access key
//! created inside the window. Then the principal's other traces (its password, its other
//! key, the services it used before the window) all still show their latest use before
//! the window, and the latest of them is the previous use.
//!
//! Everything else is not reported, because its previous use is unknowable from these
//! facts: a user whose password or older key was used inside the window (the daily CI key
//! and the stolen old key look the same), and every role, whose one credential, its
//! sessions, existed before the window by definition. Services used inside the window
//! before the new key existed mean another, possibly since deleted, credential was at
//! work, so those users are not reported either. Principals created less than
//! `unused_days` before the window were never dormant and are `iam.principal_recently_created`'s.

use orgsweep_model::Severity;
use orgsweep_model::facts::{
    AccessKeySlot, CredentialReport, CredentialReportRow, LastAccessed, Source,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::checks::iam_common::key_ids;
use crate::checks::principals::{Principal, is_aws_managed_role, principals};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct DormantPrincipalReactivated;

static META: CheckMeta = CheckMeta {
    id: "iam.dormant_principal_reactivated",
    title: "A user unused for months was used again inside the window",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[
        Source::IamAuthorizationDetails,
        Source::CredentialReport,
        Source::LastAccessed,
    ],
    rationale: "Forgotten users are where intruders persist: a fresh access key on a user \
                nobody used for months is rarely a person returning to work.",
    remediation: &[
        "Confirm with the user's owner whether it was meant to be used again.",
        "If not, deactivate its new access key and review what the key did.",
    ],
};

/// One credential of a principal: when it was last used and, for keys, since when it exists.
struct Credential<'a> {
    last_used: Option<OffsetDateTime>,
    created: Option<OffsetDateTime>,
    key: Option<(&'a CredentialReportRow, usize, &'a AccessKeySlot)>,
}

fn credentials<'a>(p: &Principal<'a>, report: &'a CredentialReport) -> Option<Vec<Credential<'a>>> {
    if !p.is_user {
        return Some(vec![Credential {
            last_used: p.last_used_at,
            created: p.created_at,
            key: None,
        }]);
    }
    // Without the user's row its credentials are unknown: nothing can be decided.
    let row = report.rows.iter().find(|r| r.arn == p.arn)?;
    let password = Credential {
        last_used: row.password_last_used,
        // A password's creation date is not in the report: it may have existed all along.
        created: None,
        key: None,
    };
    let keys = row
        .access_keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.last_rotated.is_some() || k.active || k.last_used_date.is_some())
        .map(|(i, k)| Credential {
            last_used: k.last_used_date,
            created: k.last_rotated,
            key: Some((row, i + 1, k)),
        });
    Some(std::iter::once(password).chain(keys).collect())
}

/// The verdict for one principal: `Some((previous use, new credentials used in the
/// window))` when it was dormant and is reactivated, `None` otherwise or when unknowable.
fn reactivated<'a>(
    ctx: &Context<'_>,
    p: &Principal<'a>,
    creds: &[Credential<'a>],
    accessed: Option<&LastAccessed>,
) -> Option<(Option<OffsetDateTime>, Vec<usize>)> {
    let window = ctx.window_start();
    let dormant_since = window - time::Duration::days(i64::from(ctx.settings.unused_days));
    // It must have existed through the whole dormant stretch.
    if p.created_at.is_none_or(|c| c > dormant_since) {
        return None;
    }
    let inside = |t: Option<OffsetDateTime>| t.is_some_and(|t| t >= window);
    let used_inside: Vec<usize> = (0..creds.len())
        .filter(|&i| inside(creds[i].last_used))
        .collect();
    if used_inside.is_empty() {
        return None;
    }
    // A credential used inside the window that existed before it hides its earlier uses.
    if used_inside
        .iter()
        .any(|&i| creds[i].created.is_none_or(|c| c < window))
    {
        return None;
    }
    let services = accessed.map(|a| a.services.as_slice()).unwrap_or_default();
    let first_new = used_inside.iter().filter_map(|&i| creds[i].created).min()?;
    // A service last used inside the window before any new key existed: some other
    // credential was at work, and it is not among those the report shows.
    if services
        .iter()
        .filter_map(|s| s.last_authenticated)
        .any(|t| t >= window && t < first_new)
    {
        return None;
    }
    let before = |t: &OffsetDateTime| *t < window;
    let previous = creds
        .iter()
        .filter_map(|c| c.last_used)
        .chain(services.iter().filter_map(|s| s.last_authenticated))
        .chain(accessed.and_then(|a| a.last_used))
        .filter(before)
        .max();
    if previous.is_some_and(|t| t >= dormant_since) {
        return None;
    }
    Some((previous, used_inside))
}

fn key_evidence(c: &Credential<'_>) -> Value {
    let Some((_, slot, k)) = c.key else {
        return Value::Null;
    };
    json!({
        "access_key_id": k.key_id,
        "slot": slot,
        "created": rfc3339(k.last_rotated),
        "last_used_date": rfc3339(k.last_used_date),
        "last_used_service": k.last_used_service,
        "last_used_region": k.last_used_region,
    })
}

impl Check for DormantPrincipalReactivated {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let details = ctx.iam_authorization_details()?;
        let report = ctx.credential_report()?;
        let accessed = ctx.last_accessed()?;
        let window = ctx.window_start();
        let unused_days = ctx.settings.unused_days;
        let mut drafts = Vec::new();
        for p in principals(details) {
            if is_aws_managed_role(&p, &ctx.settings.scan_role_name) {
                continue;
            }
            let Some(creds) = credentials(&p, report) else {
                continue;
            };
            let last_accessed = accessed.get(p.arn);
            let Some((previous, new)) = reactivated(ctx, &p, &creds, last_accessed) else {
                continue;
            };
            let services_inside: Vec<Value> = last_accessed
                .map(|a| a.services.as_slice())
                .unwrap_or_default()
                .iter()
                .filter(|s| s.last_authenticated.is_some_and(|t| t >= window))
                .map(|s| json!({"namespace": s.namespace, "last_authenticated": rfc3339(s.last_authenticated)}))
                .collect();
            let namespaces: Vec<&str> = services_inside
                .iter()
                .filter_map(|s| s["namespace"].as_str())
                .collect();
            let name = p.name;
            let previously = match previous {
                Some(t) => format!(
                    "last used {} before it",
                    rfc3339(Some(t)).as_str().unwrap_or("long")
                ),
                None => "never used before it".to_owned(),
            };
            let keys: Vec<(String, String, Option<String>)> = new
                .iter()
                .filter_map(|&i| creds[i].key)
                .map(|(row, slot, k)| {
                    let (_, key_ref) = key_ids(row, slot, k);
                    (key_ref, row.user.clone(), k.last_used_region.clone())
                })
                .collect();
            let key_list: Vec<&str> = keys.iter().map(|(k, _, _)| k.as_str()).collect();
            let mut steps = vec![format!(
                "Confirm with the owner of {name} in account {} whether it was meant to be used again, with new key(s) {}.",
                ctx.account_id,
                key_list.join(", ")
            )];
            for (key, user, region) in &keys {
                steps.push(format!(
                    "If not, deactivate the key (do not delete it yet): aws iam update-access-key --user-name {user} --access-key-id {key} --status Inactive"
                ));
                steps.push(format!(
                    "See what it did: aws cloudtrail lookup-events --region {} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key} (and every other region it was used in)",
                    region.as_deref().unwrap_or("us-east-1")
                ));
            }
            steps.push(format!(
                "Find who created the key: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=EventName,AttributeValue=CreateAccessKey (the event whose request names {name}), and treat that identity as compromised too."
            ));
            steps.push(format!(
                "If {name} is no longer needed, leave its keys inactive and remove its console password: aws iam delete-login-profile --user-name {name}"
            ));
            drafts.push(
                FindingDraft::new(
                    p.resource_type(),
                    p.arn,
                    format!(
                        "Dormant {} {name} used again with new key(s) {}",
                        if p.is_user { "user" } else { "role" },
                        key_list.join(", ")
                    ),
                    format!(
                        "{name} was {previously} the {}-day window, at least {unused_days} days without use, and was used inside the window{}.",
                        ctx.settings.window_days,
                        if namespaces.is_empty() {
                            String::new()
                        } else {
                            format!(" (services: {})", namespaces.join(", "))
                        }
                    ),
                )
                .evidence("arn", p.arn)
                .evidence("created", rfc3339(p.created_at))
                .evidence("previous_use", rfc3339(previous))
                .evidence("unused_days", unused_days)
                .evidence(
                    "new_keys_used",
                    new.iter().map(|&i| key_evidence(&creds[i])).collect::<Vec<_>>(),
                )
                .evidence("services_used_in_window", services_inside)
                .remediation(steps),
            );
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use orgsweep_model::facts::{
        AttachedPolicies, CredentialReport, Facts, IamAuthorizationDetails, IamRole, ServiceAccess,
    };

    use super::*;
    use crate::checks::fixtures::{ACCOUNT, NOW, days_ago, evaluate, row, user};

    fn service(namespace: &str, days: Option<i64>) -> ServiceAccess {
        ServiceAccess {
            namespace: namespace.to_owned(),
            last_authenticated: days.and_then(days_ago),
        }
    }

    fn accessed(arn: &str, services: Vec<ServiceAccess>) -> (String, LastAccessed) {
        let last_used = services.iter().filter_map(|s| s.last_authenticated).max();
        (
            arn.to_owned(),
            LastAccessed {
                principal_arn: arn.to_owned(),
                last_used,
                services,
            },
        )
    }

    fn role(name: &str, last_used: Option<i64>) -> IamRole {
        IamRole {
            name: name.to_owned(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            path: "/".to_owned(),
            created_at: days_ago(600),
            policies: AttachedPolicies::default(),
            trust_policy: None,
            trust_policy_error: None,
            last_used_at: last_used.and_then(days_ago),
        }
    }

    /// `dormant`: password used 200 days ago, a new key (created 3 days ago) used
    /// yesterday for sts and ec2; s3 last used 150 days ago.
    fn scenario() -> (CredentialReportRow, Vec<ServiceAccess>) {
        let mut r = row("dormant");
        r.password_enabled = Some(true);
        r.password_last_used = days_ago(200);
        r.access_keys[0].active = true;
        r.access_keys[0].last_rotated = days_ago(3);
        r.access_keys[0].last_used_date = days_ago(1);
        r.access_keys[0].last_used_service = Some("ec2".to_owned());
        r.access_keys[0].last_used_region = Some("ap-southeast-2".to_owned());
        r.access_keys[0].key_id = Some("AKIAIOSFODNN7EXAMPLE".to_owned());
        let services = vec![
            service("ec2", Some(1)),
            service("sts", Some(2)),
            service("s3", Some(150)),
            service("iam", None),
        ];
        (r, services)
    }

    fn facts(
        rows: Vec<CredentialReportRow>,
        roles: Vec<IamRole>,
        accessed: Vec<(String, LastAccessed)>,
    ) -> Facts {
        let users = rows.iter().map(|r| user(&r.user)).collect();
        Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                users,
                roles,
                ..IamAuthorizationDetails::default()
            }),
            credential_report: Some(CredentialReport {
                generated_at: Some(NOW),
                rows,
            }),
            last_accessed: Some(accessed.into_iter().collect::<BTreeMap<_, _>>()),
            ..Facts::default()
        }
    }

    fn run(facts: &Facts) -> Vec<FindingDraft> {
        evaluate(&DormantPrincipalReactivated, facts, "global", &[]).expect("runs")
    }

    #[test]
    fn a_new_key_on_a_dormant_user_is_reported_with_the_previous_use() {
        let (r, services) = scenario();
        let arn = r.arn.clone();
        let drafts = run(&facts(vec![r], vec![], vec![accessed(&arn, services)]));
        assert_eq!(drafts.len(), 1);
        let d = &drafts[0];
        assert_eq!(
            (d.resource_type.as_str(), d.resource_id.as_str()),
            ("iam_user", arn.as_str())
        );
        // The password (200 days) and s3 (150 days) are the traces before the window: the
        // latest of them is the previous use.
        assert_eq!(d.evidence["previous_use"], rfc3339(days_ago(150)));
        assert_eq!(
            d.evidence["services_used_in_window"],
            json!([
                {"namespace": "ec2", "last_authenticated": rfc3339(days_ago(1))},
                {"namespace": "sts", "last_authenticated": rfc3339(days_ago(2))},
            ])
        );
        assert_eq!(
            d.evidence["new_keys_used"][0]["access_key_id"],
            "AKIAIOSFODNN7EXAMPLE"
        );
        assert!(d.detail.contains("(services: ec2, sts)"));
        assert!(d.remediation.iter().any(|s| s
            == "If not, deactivate the key (do not delete it yet): aws iam update-access-key --user-name dormant --access-key-id AKIAIOSFODNN7EXAMPLE --status Inactive"));
        assert!(d.remediation.iter().any(|s| s.contains(
            "lookup-events --region ap-southeast-2 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=AKIAIOSFODNN7EXAMPLE"
        )));
    }

    #[test]
    fn a_user_never_used_before_is_reported_and_recent_use_before_the_window_is_not() {
        let (mut r, _) = scenario();
        r.password_last_used = None;
        let arn = r.arn.clone();
        let drafts = run(&facts(
            vec![r.clone()],
            vec![],
            vec![accessed(&arn, vec![service("ec2", Some(1))])],
        ));
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].evidence["previous_use"], Value::Null);
        assert!(drafts[0].detail.contains("never used before it"));
        // Used 60 days before the window: not dormant for 90 days.
        let drafts = run(&facts(
            vec![r],
            vec![],
            vec![accessed(
                &arn,
                vec![service("ec2", Some(1)), service("s3", Some(67))],
            )],
        ));
        assert!(drafts.is_empty());
    }

    #[test]
    fn unknowable_previous_uses_are_not_reported() {
        let (base, services) = scenario();
        let arn = base.arn.clone();
        // The old key, created long ago, used yesterday: a daily CI key and a stolen one
        // look the same.
        let mut old_key = base.clone();
        old_key.access_keys[0].last_rotated = days_ago(400);
        // The password used inside the window hides its earlier uses.
        let mut password = base.clone();
        password.password_last_used = days_ago(2);
        // A service used inside the window before the new key existed: another (perhaps
        // deleted) credential was at work.
        let mut rotated = base.clone();
        rotated.user = "rotated".to_owned();
        rotated.arn = format!("arn:aws:iam::{ACCOUNT}:user/rotated");
        let rotated_services = vec![service("ec2", Some(1)), service("s3", Some(5))];
        for r in [old_key, password] {
            assert!(
                run(&facts(
                    vec![r],
                    vec![],
                    vec![accessed(&arn, services.clone())]
                ))
                .is_empty()
            );
        }
        let rotated_arn = rotated.arn.clone();
        assert!(
            run(&facts(
                vec![rotated],
                vec![],
                vec![accessed(&rotated_arn, rotated_services)]
            ))
            .is_empty()
        );
        // A role used in the window: RoleLastUsed overwrote its previous use.
        let dormant_role = role("old-deployer", Some(1));
        let role_arn = dormant_role.arn.clone();
        assert!(
            run(&facts(
                vec![],
                vec![dormant_role],
                vec![accessed(
                    &role_arn,
                    vec![service("ec2", Some(1)), service("s3", Some(300))]
                )],
            ))
            .is_empty()
        );
    }

    #[test]
    fn young_users_and_users_without_a_report_row_are_left_alone() {
        let (r, services) = scenario();
        let arn = r.arn.clone();
        let mut young = facts(vec![r], vec![], vec![accessed(&arn, services.clone())]);
        if let Some(d) = young.iam_authorization_details.as_mut() {
            d.users[0].created_at = days_ago(60);
        }
        assert!(run(&young).is_empty());
        let mut no_row = facts(vec![row("dormant")], vec![], vec![accessed(&arn, services)]);
        if let Some(report) = no_row.credential_report.as_mut() {
            report.rows.clear();
        }
        assert!(run(&no_row).is_empty());
    }

    #[test]
    fn each_missing_source_is_an_error() {
        let (r, services) = scenario();
        let arn = r.arn.clone();
        let full = facts(vec![r], vec![], vec![accessed(&arn, services)]);
        for (source, strip) in [
            (
                Source::IamAuthorizationDetails,
                (|f: &mut Facts| f.iam_authorization_details = None) as fn(&mut Facts),
            ),
            (
                Source::CredentialReport,
                (|f: &mut Facts| f.credential_report = None) as fn(&mut Facts),
            ),
            (
                Source::LastAccessed,
                (|f: &mut Facts| f.last_accessed = None) as fn(&mut Facts),
            ),
        ] {
            let mut partial = full.clone();
            strip(&mut partial);
            let err = evaluate(&DormantPrincipalReactivated, &partial, "global", &[]).unwrap_err();
            assert_eq!(err, CheckError::MissingSource(source));
        }
    }
}
