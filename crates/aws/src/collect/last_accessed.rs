//! IAM's service last accessed data for the principals that matter in an incident.
//!
//! Each principal costs a GenerateServiceLastAccessedDetails (a job AWS runs) and at least
//! one GetServiceLastAccessedDetails, polled until the job completes: reading every user
//! and role of a large account would take minutes and hundreds of calls per account. So
//! only the principals whose last use decides something are read, most important first,
//! at most [`MAX_PRINCIPALS`] per account:
//!
//! 1. users with an access key created inside the window: `iam.dormant_principal_reactivated`
//!    needs their services' last use before the new key existed to know whether the user
//!    had been dormant (see that check);
//! 2. principals AWS quarantined (its `AWSCompromisedKeyQuarantine*` policy is attached):
//!    what they reached is the blast radius of the leaked key;
//! 3. console users without MFA: the easiest principals to take over;
//! 4. users and roles created inside the window: an intruder's new identities;
//! 5. roles whose trust policy lets anyone assume them (`*`, `NotPrincipal`): outside the
//!    organization whatever it is, so what they were used for is the first question;
//! 6. the principals the account's IAM checks found (`also`): roles trusting an account
//!    outside the organization and principals the baseline does not know are judged with
//!    the checks' settings (the organization's accounts, trusted accounts, baseline), which
//!    the engine has and the collector does not, so the engine runs those checks first and
//!    names their principals here.
//!
//! Twenty-five jobs are generated one after the other and polled together, which keeps an
//! account within about a minute even when AWS is slow; principals beyond the cap are
//! reported as not read (a `problems` entry) rather than silently skipped.
//!
//! Only services a principal used within IAM's tracking period are kept (AWS lists every
//! service it could reach, most never used).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_iam::types::JobStatusType;
use orgsweep_model::facts::{Facts, LastAccessed, ServiceAccess};
use serde_json::Value;
use time::OffsetDateTime;

use super::to_time;
use crate::error::AwsError;
use crate::session::AccountSession;

/// Principals read per account (see the module documentation).
pub const MAX_PRINCIPALS: usize = 25;

/// Polls of the pending jobs, with backoff: 0.5 s doubling to 5 s, about 40 s in all.
const POLLS: u32 = 10;
const FIRST_WAIT: Duration = Duration::from_millis(500);
const MAX_WAIT: Duration = Duration::from_secs(5);

/// The managed policy names AWS attaches to users whose key it found exposed
/// (`AWSCompromisedKeyQuarantine`, `…V2`, `…V3`).
const QUARANTINE: &str = ":iam::aws:policy/AWSCompromisedKeyQuarantine";

/// The ARNs to read, most important first, deduplicated, and how many were left out by
/// the cap.
pub fn principals_of_interest(
    facts: &Facts,
    window_start: OffsetDateTime,
    also: &[String],
) -> (Vec<String>, usize) {
    let mut ordered: Vec<&str> = Vec::new();
    let Some(details) = &facts.iam_authorization_details else {
        return (Vec::new(), 0);
    };
    let user_arn = |name: &str| {
        details
            .users
            .iter()
            .find(|u| u.name == name)
            .map(|u| u.arn.as_str())
    };
    // 1. Users with an access key created inside the window (fresh list, else the report).
    for key in facts.access_keys.iter().flatten() {
        if key.created_at.is_some_and(|t| t >= window_start)
            && let Some(arn) = user_arn(&key.user)
        {
            ordered.push(arn);
        }
    }
    if let Some(report) = &facts.credential_report {
        for row in report.rows.iter().filter(|r| !r.is_root()) {
            if row
                .access_keys
                .iter()
                .any(|k| k.last_rotated.is_some_and(|t| t >= window_start))
            {
                ordered.push(&row.arn);
            }
        }
    }
    // 2. Quarantined users and roles.
    let quarantined = |arns: &[String]| arns.iter().any(|a| a.contains(QUARANTINE));
    ordered.extend(
        details
            .users
            .iter()
            .filter(|u| quarantined(&u.policies.managed_arns))
            .map(|u| u.arn.as_str()),
    );
    ordered.extend(
        details
            .roles
            .iter()
            .filter(|r| quarantined(&r.policies.managed_arns))
            .map(|r| r.arn.as_str()),
    );
    // 3. Console users without MFA.
    if let Some(report) = &facts.credential_report {
        ordered.extend(
            report
                .rows
                .iter()
                .filter(|r| !r.is_root() && r.password_enabled == Some(true) && !r.mfa_active)
                .map(|r| r.arn.as_str()),
        );
    }
    // 4. Users and roles created inside the window.
    let recent = |t: Option<OffsetDateTime>| t.is_some_and(|t| t >= window_start);
    ordered.extend(
        details
            .users
            .iter()
            .filter(|u| recent(u.created_at))
            .map(|u| u.arn.as_str()),
    );
    ordered.extend(
        details
            .roles
            .iter()
            .filter(|r| recent(r.created_at))
            .map(|r| r.arn.as_str()),
    );
    // 5. Roles anyone may assume (AWS's service-linked roles trust only their service).
    ordered.extend(
        details
            .roles
            .iter()
            .filter(|r| !r.path.starts_with("/aws-service-role/"))
            .filter(|r| r.trust_policy.as_ref().is_some_and(trusts_anyone))
            .map(|r| r.arn.as_str()),
    );
    // 6. The principals of the IAM checks' findings.
    ordered.extend(also.iter().map(String::as_str));
    let mut seen = std::collections::BTreeSet::new();
    let unique: Vec<String> = ordered
        .into_iter()
        .filter(|a| !a.is_empty() && seen.insert(*a))
        .map(str::to_owned)
        .collect();
    let left_out = unique.len().saturating_sub(MAX_PRINCIPALS);
    (unique.into_iter().take(MAX_PRINCIPALS).collect(), left_out)
}

/// A string or a list of strings of a policy.
fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a trust policy has an Allow statement that lets anyone assume the role: a `*`
/// principal (AWS, service, federated) or a `NotPrincipal`, for an action that includes
/// sts:AssumeRole*. The same reading as `iam.role_trusts_external_account`'s "anyone".
fn trusts_anyone(policy: &Value) -> bool {
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    let assume = |action: &&str| {
        let action = action.to_ascii_lowercase();
        action == "*" || action == "sts:*" || action.starts_with("sts:assumerole")
    };
    statements.into_iter().any(|st| {
        let allows = st.get("Effect").and_then(Value::as_str) == Some("Allow")
            && if st.get("NotAction").is_some() {
                !strings(st.get("NotAction")).iter().any(assume)
            } else {
                strings(st.get("Action")).iter().any(assume)
            };
        let anyone = st.get("NotPrincipal").is_some()
            || match st.get("Principal") {
                Some(Value::String(s)) => s == "*",
                Some(Value::Object(map)) => ["AWS", "Service", "Federated", "CanonicalUser"]
                    .iter()
                    .any(|k| strings(map.get(*k)).contains(&"*")),
                _ => false,
            };
        allows && anyone
    })
}

impl AccountSession {
    /// Service last accessed data of the principals of interest (see the module
    /// documentation), keyed by ARN, and what could not be read.
    pub(crate) async fn last_accessed(
        &self,
        facts: &Facts,
        also: &[String],
    ) -> Result<(BTreeMap<String, LastAccessed>, Vec<String>), AwsError> {
        if facts.iam_authorization_details.is_none() {
            return Err(AwsError::Other {
                operation: "iam:GenerateServiceLastAccessedDetails",
                message: "the user and role list (iam:GetAccountAuthorizationDetails) is \
                          unavailable"
                    .to_owned(),
            });
        }
        let window = OffsetDateTime::now_utc()
            - time::Duration::days(i64::from(self.shared.options.window_days));
        let (arns, left_out) = principals_of_interest(facts, window, also);
        let mut problems = Vec::new();
        if left_out > 0 {
            problems.push(format!(
                "{left_out} principal(s) of interest beyond the first {MAX_PRINCIPALS} were not read"
            ));
        }
        let client = self.iam(None);
        let mut pending: Vec<(String, String)> = Vec::new();
        for arn in arns {
            let job = client
                .generate_service_last_accessed_details()
                .arn(&arn)
                .send()
                .await
                .map_err(|e| self.error("iam:GenerateServiceLastAccessedDetails", e))?;
            match job.job_id() {
                Some(id) => pending.push((arn, id.to_owned())),
                None => problems.push(format!("{arn}: AWS returned no job id")),
            }
        }
        let mut out = BTreeMap::new();
        let mut wait = FIRST_WAIT;
        for poll in 0..POLLS {
            if pending.is_empty() {
                break;
            }
            if poll > 0 {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_WAIT);
            }
            let mut still = Vec::new();
            for (arn, job) in pending {
                match self.read_job(&client, &arn, &job).await? {
                    Job::Done(accessed) => {
                        out.insert(arn, accessed);
                    }
                    Job::Running => still.push((arn, job)),
                    Job::Failed(why) => problems.push(format!("{arn}: {why}")),
                }
            }
            pending = still;
        }
        for (arn, _) in pending {
            problems.push(format!(
                "{arn}: the service last accessed report was not ready after {POLLS} polls"
            ));
        }
        Ok((out, problems))
    }

    /// One poll of a job, with every page of its answer once it is complete.
    async fn read_job(
        &self,
        client: &aws_sdk_iam::Client,
        arn: &str,
        job: &str,
    ) -> Result<Job, AwsError> {
        let mut services = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = client
                .get_service_last_accessed_details()
                .job_id(job)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| self.error("iam:GetServiceLastAccessedDetails", e))?;
            match page.job_status() {
                JobStatusType::Completed => {}
                JobStatusType::InProgress => return Ok(Job::Running),
                other => {
                    let why = page
                        .error()
                        .map(|e| format!("{}: {}", e.code(), e.message()))
                        .unwrap_or_else(|| format!("job {}", other.as_str()));
                    return Ok(Job::Failed(why));
                }
            }
            services.extend(page.services_last_accessed().iter().filter_map(|s| {
                let at = to_time(s.last_authenticated())?;
                Some(ServiceAccess {
                    namespace: s.service_namespace().to_owned(),
                    last_authenticated: Some(at),
                })
            }));
            match page.marker() {
                Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        services.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        Ok(Job::Done(LastAccessed {
            principal_arn: arn.to_owned(),
            last_used: services.iter().filter_map(|s| s.last_authenticated).max(),
            services,
        }))
    }
}

enum Job {
    Done(LastAccessed),
    Running,
    Failed(String),
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{
        AccessKey, AttachedPolicies, CredentialReport, CredentialReportRow,
        IamAuthorizationDetails, IamRole, IamUser,
    };
    use serde_json::json;

    use super::*;

    const ACCOUNT: &str = "111111111111";

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("valid")
    }

    fn arn(kind: &str, name: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}")
    }

    fn user(name: &str, created_days_ago: i64, managed: &[&str]) -> IamUser {
        IamUser {
            name: name.to_owned(),
            arn: arn("user", name),
            path: "/".to_owned(),
            created_at: Some(now() - time::Duration::days(created_days_ago)),
            policies: AttachedPolicies {
                managed_arns: managed.iter().map(|s| (*s).to_owned()).collect(),
                inline_names: Vec::new(),
            },
            groups: Vec::new(),
        }
    }

    fn role(name: &str, path: &str, created_days_ago: i64, trust: Option<Value>) -> IamRole {
        IamRole {
            name: name.to_owned(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"),
            path: path.to_owned(),
            created_at: Some(now() - time::Duration::days(created_days_ago)),
            policies: AttachedPolicies::default(),
            trust_policy: trust,
            trust_policy_error: None,
            last_used_at: None,
        }
    }

    fn trust(principal: Value) -> Option<Value> {
        Some(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        ]}))
    }

    #[test]
    fn reads_what_anyone_may_assume_and_understands_the_trust_policy() {
        assert!(trusts_anyone(
            &json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}})
        ));
        assert!(trusts_anyone(
            &json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["111111111111", "*"]}, "Action": ["sts:AssumeRoleWithWebIdentity"]}]})
        ));
        assert!(trusts_anyone(
            &json!({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "111111111111"}, "Action": "sts:*"}]})
        ));
        assert!(trusts_anyone(
            &json!({"Statement": [{"Effect": "Allow", "Principal": {"Federated": "*"}, "NotAction": "s3:*"}]})
        ));
        assert!(!trusts_anyone(
            &json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}]})
        ));
        assert!(!trusts_anyone(
            &json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]})
        ));
        assert!(!trusts_anyone(
            &json!({"Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "sts:AssumeRole"}]})
        ));
        assert!(!trusts_anyone(
            &json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]})
        ));
        assert!(!trusts_anyone(
            &json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        ));
        assert!(!trusts_anyone(&json!({})));
    }

    #[test]
    fn roles_anyone_may_assume_come_after_the_other_principals_of_interest() {
        let window = now() - time::Duration::days(7);
        let quarantine = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2";
        let no_mfa = CredentialReportRow {
            user: "console".to_owned(),
            arn: arn("user", "console"),
            user_creation_time: Some(now() - time::Duration::days(400)),
            password_enabled: Some(true),
            password_last_used: None,
            mfa_active: false,
            access_keys: Default::default(),
        };
        let facts = Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                users: vec![
                    user("console", 400, &[]),
                    user("leaked", 400, &[quarantine]),
                    user("keyed", 400, &[]),
                    user("fresh", 1, &[]),
                ],
                roles: vec![
                    role("open", "/", 400, trust(json!("*"))),
                    role("partner", "/", 400, trust(json!({"AWS": "999999999999"}))),
                    role(
                        "AWSServiceRoleForX",
                        "/aws-service-role/x.amazonaws.com/",
                        400,
                        trust(json!({"AWS": "*"})),
                    ),
                    // Both recent and open: read once, in its first category.
                    role("new-open", "/", 1, trust(json!({"AWS": "*"}))),
                    role("unreadable", "/", 400, None),
                ],
                ..IamAuthorizationDetails::default()
            }),
            access_keys: Some(vec![AccessKey {
                user: "keyed".to_owned(),
                access_key_id: "AKIANEW".to_owned(),
                active: true,
                created_at: Some(now() - time::Duration::days(1)),
            }]),
            credential_report: Some(CredentialReport {
                generated_at: Some(now()),
                rows: vec![no_mfa],
            }),
            ..Facts::default()
        };
        let (arns, left_out) = principals_of_interest(&facts, window, &[]);
        assert_eq!(
            arns,
            [
                arn("user", "keyed"),
                arn("user", "leaked"),
                arn("user", "console"),
                arn("user", "fresh"),
                arn("role", "new-open"),
                arn("role", "open"),
            ]
        );
        assert_eq!(left_out, 0);

        // The principals the checks found come last, each read once.
        let found = [arn("role", "partner"), arn("user", "console")];
        let (arns, _) = principals_of_interest(&facts, window, &found);
        assert_eq!(arns.len(), 7);
        assert_eq!(arns.last(), Some(&arn("role", "partner")));
    }

    #[test]
    fn the_cap_keeps_the_earlier_categories() {
        let window = now() - time::Duration::days(7);
        let users: Vec<IamUser> = (0..MAX_PRINCIPALS)
            .map(|i| user(&format!("new{i:02}"), 1, &[]))
            .collect();
        let roles = vec![role("open", "/", 400, trust(json!("*")))];
        let facts = Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                users,
                roles,
                ..IamAuthorizationDetails::default()
            }),
            ..Facts::default()
        };
        let (arns, left_out) = principals_of_interest(&facts, window, &[]);
        assert_eq!(arns.len(), MAX_PRINCIPALS);
        assert!(!arns.contains(&arn("role", "open")));
        assert_eq!(left_out, 1);
    }
}
