use std::time::Duration;

use aws_sdk_iam::types::{
    AttachedPolicy, EntityType, PolicyDetail, ReportStateType, StatusType, SummaryKeyType,
};
use orgsweep_model::facts::{
    AccessKey, AccountSummary, AttachedPolicies, CredentialReport, IamAuthorizationDetails,
    IamGroup, IamManagedPolicy, IamRole, IamUser,
};
use time::OffsetDateTime;

use super::{parse_credential_report, to_time};
use crate::error::AwsError;
use crate::session::AccountSession;

/// How often and how long to wait for AWS to generate a credential report. AWS reuses a
/// report for four hours, so the wait is usually a single poll.
const REPORT_POLLS: u32 = 8;
const REPORT_FIRST_WAIT: Duration = Duration::from_millis(500);
const REPORT_MAX_WAIT: Duration = Duration::from_secs(5);

fn attached(managed: &[AttachedPolicy], inline: &[PolicyDetail]) -> AttachedPolicies {
    AttachedPolicies {
        managed_arns: managed
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect(),
        inline_names: inline
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_owned))
            .collect(),
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986); some endpoints send them plain.
/// An error says why neither reading worked.
pub fn policy_document(raw: &str) -> Result<serde_json::Value, String> {
    if let Ok(value) = serde_json::from_str(raw) {
        return Ok(value);
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|e| format!("not UTF-8 once URL-decoded: {e}"))?;
    serde_json::from_str(&decoded).map_err(|e| format!("not a JSON policy document: {e}"))
}

impl AccountSession {
    /// Users, groups, roles and customer-managed policies in one paginated call.
    pub async fn iam_authorization_details(&self) -> Result<IamAuthorizationDetails, AwsError> {
        let client = self.iam(None);
        let mut details = IamAuthorizationDetails::default();
        let mut marker: Option<String> = None;
        loop {
            let page = client
                .get_account_authorization_details()
                .filter(EntityType::User)
                .filter(EntityType::Group)
                .filter(EntityType::Role)
                .filter(EntityType::LocalManagedPolicy)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| self.error("iam:GetAccountAuthorizationDetails", e))?;
            for u in page.user_detail_list() {
                details.users.push(IamUser {
                    name: u.user_name().unwrap_or_default().to_owned(),
                    arn: u.arn().unwrap_or_default().to_owned(),
                    path: u.path().unwrap_or("/").to_owned(),
                    created_at: to_time(u.create_date()),
                    policies: attached(u.attached_managed_policies(), u.user_policy_list()),
                    groups: u.group_list().to_vec(),
                });
            }
            for g in page.group_detail_list() {
                details.groups.push(IamGroup {
                    name: g.group_name().unwrap_or_default().to_owned(),
                    arn: g.arn().unwrap_or_default().to_owned(),
                    policies: attached(g.attached_managed_policies(), g.group_policy_list()),
                });
            }
            for r in page.role_detail_list() {
                let trust = r.assume_role_policy_document().map(policy_document);
                details.roles.push(IamRole {
                    name: r.role_name().unwrap_or_default().to_owned(),
                    arn: r.arn().unwrap_or_default().to_owned(),
                    path: r.path().unwrap_or("/").to_owned(),
                    created_at: to_time(r.create_date()),
                    policies: attached(r.attached_managed_policies(), r.role_policy_list()),
                    trust_policy: trust.clone().and_then(Result::ok),
                    trust_policy_error: trust.and_then(Result::err),
                    last_used_at: to_time(r.role_last_used().and_then(|u| u.last_used_date())),
                });
            }
            for p in page.policies() {
                details.policies.push(IamManagedPolicy {
                    name: p.policy_name().unwrap_or_default().to_owned(),
                    arn: p.arn().unwrap_or_default().to_owned(),
                    created_at: to_time(p.create_date()),
                    attachment_count: p.attachment_count().unwrap_or(0),
                });
            }
            match page.marker() {
                Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(details)
    }

    /// The root user's MFA and key flags, a second source for the root checks that works
    /// even when the credential report cannot be had.
    pub async fn account_summary(&self) -> Result<AccountSummary, AwsError> {
        let out = self
            .iam(None)
            .get_account_summary()
            .send()
            .await
            .map_err(|e| self.error("iam:GetAccountSummary", e))?;
        let flag =
            |key: SummaryKeyType| out.summary_map().and_then(|m| m.get(&key)).map(|v| *v > 0);
        Ok(AccountSummary {
            root_mfa_enabled: flag(SummaryKeyType::AccountMfaEnabled),
            root_access_keys_present: flag(SummaryKeyType::AccountAccessKeysPresent),
        })
    }

    /// Generates (or reuses) the credential report, waits for it with bounded backoff, and
    /// parses it. AWS reuses a report for up to four hours: its generation time is kept.
    pub async fn credential_report(&self) -> Result<CredentialReport, AwsError> {
        let client = self.iam(None);
        let mut wait = REPORT_FIRST_WAIT;
        let mut polls = 0;
        let output = loop {
            let state = client
                .generate_credential_report()
                .send()
                .await
                .map_err(|e| self.error("iam:GenerateCredentialReport", e))?;
            if matches!(state.state(), Some(ReportStateType::Complete)) {
                match client.get_credential_report().send().await {
                    Ok(output) => break output,
                    Err(e) => {
                        let err = self.error("iam:GetCredentialReport", e);
                        // Generation can still be settling right after "complete".
                        let settling =
                            matches!(err.code(), Some("ReportInProgress" | "ReportNotPresent"));
                        if !settling || polls >= REPORT_POLLS {
                            return Err(err);
                        }
                    }
                }
            }
            polls += 1;
            if polls > REPORT_POLLS {
                return Err(AwsError::Other {
                    operation: "iam:GenerateCredentialReport",
                    message: format!("the report was not ready after {REPORT_POLLS} polls"),
                });
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(REPORT_MAX_WAIT);
        };
        let content = output.content().map(|b| b.as_ref()).unwrap_or_default();
        parse_credential_report(content, to_time(output.generated_time())).map_err(|e| {
            AwsError::Other {
                operation: "iam:GetCredentialReport",
                message: e.to_string(),
            }
        })
    }

    /// Every access key of every user, fresh from iam:ListAccessKeys (the credential report
    /// may be four hours old, and a key created since is exactly what must not be missed).
    pub async fn all_access_keys(&self, users: &[IamUser]) -> Result<Vec<AccessKey>, AwsError> {
        let client = self.iam(None);
        let mut keys = Vec::new();
        for user in users {
            let mut pages = client
                .list_access_keys()
                .user_name(&user.name)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.error("iam:ListAccessKeys", e))?;
                for key in page.access_key_metadata() {
                    let Some(id) = key.access_key_id() else {
                        continue;
                    };
                    keys.push(AccessKey {
                        user: user.name.clone(),
                        access_key_id: id.to_owned(),
                        active: key.status() == Some(&StatusType::Active),
                        created_at: to_time(key.create_date()),
                    });
                }
            }
        }
        keys.sort_by(|a, b| (&a.user, &a.access_key_id).cmp(&(&b.user, &b.access_key_id)));
        Ok(keys)
    }
}

/// The credential report has no key ids; a key's creation time matches its slot's "last
/// rotated". Fills them from the fresh key list so findings and commands can name the key.
pub(crate) fn fill_key_ids(report: &mut CredentialReport, keys: &[AccessKey]) {
    for row in report.rows.iter_mut().filter(|r| !r.is_root()) {
        for key in keys.iter().filter(|k| k.user == row.user) {
            if let Some(slot) = row
                .access_keys
                .iter_mut()
                .find(|s| s.key_id.is_none() && same_second(s.last_rotated, key.created_at))
            {
                slot.key_id = Some(key.access_key_id.clone());
            }
        }
    }
}

fn same_second(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).whole_seconds().abs() <= 1,
        _ => false,
    }
}
