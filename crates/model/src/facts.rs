//! What collectors gather from AWS and checks read. Plain data, no SDK types: a check is a
//! pure function of these, so it is unit-tested on hand-written fixtures.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A unit of data a check can ask for. The engine collects each source a scope needs once,
/// whatever number of checks read it, and a failed source fails exactly the checks that
/// need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Source {
    /// iam:GetAccountAuthorizationDetails: users, groups, roles, managed policies.
    IamAuthorizationDetails,
    /// iam:GenerateCredentialReport + GetCredentialReport, with key ids from ListAccessKeys.
    CredentialReport,
    /// iam:GetAccountSummary: root MFA and root keys, even without a credential report.
    AccountSummary,
    /// ec2:DescribeInstances in one region.
    Ec2Instances,
}

impl Source {
    /// Whether the source is read once per account or once per region.
    pub fn is_regional(self) -> bool {
        matches!(self, Source::Ec2Instances)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::IamAuthorizationDetails => "iam:GetAccountAuthorizationDetails",
            Source::CredentialReport => "iam:GetCredentialReport",
            Source::AccountSummary => "iam:GetAccountSummary",
            Source::Ec2Instances => "ec2:DescribeInstances",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts of one scope (an account, or one region of an account). A `None` field was
/// not collected for this scope, either because no check asked for it or because it failed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Facts {
    pub iam_authorization_details: Option<IamAuthorizationDetails>,
    pub credential_report: Option<CredentialReport>,
    pub account_summary: Option<AccountSummary>,
    pub ec2_instances: Option<Vec<Ec2Instance>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IamAuthorizationDetails {
    pub users: Vec<IamUser>,
    pub groups: Vec<IamGroup>,
    pub roles: Vec<IamRole>,
    /// Customer-managed policies only (the scope=Local filter).
    pub policies: Vec<IamManagedPolicy>,
}

/// A policy attached to a principal, by ARN (managed) or by name (inline).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedPolicies {
    pub managed_arns: Vec<String>,
    pub inline_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamUser {
    pub name: String,
    pub arn: String,
    pub path: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    pub policies: AttachedPolicies,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamGroup {
    pub name: String,
    pub arn: String,
    pub policies: AttachedPolicies,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRole {
    pub name: String,
    pub arn: String,
    pub path: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    pub policies: AttachedPolicies,
    /// The decoded trust policy document; `None` if AWS sent none or it did not parse.
    pub trust_policy: Option<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamManagedPolicy {
    pub name: String,
    pub arn: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    pub attachment_count: i32,
}

/// The parsed IAM credential report: one row per user, plus `<root_account>` on real AWS.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialReport {
    #[serde(with = "time::serde::rfc3339::option")]
    pub generated_at: Option<OffsetDateTime>,
    pub rows: Vec<CredentialReportRow>,
}

/// The root-user fields of iam:GetAccountSummary. `None` where the summary lacks the key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// `AccountMFAEnabled`: the root user has an MFA device.
    pub root_mfa_enabled: Option<bool>,
    /// `AccountAccessKeysPresent`: the root user has access keys.
    pub root_access_keys_present: Option<bool>,
}

/// The root user's name in the credential report.
pub const ROOT_ACCOUNT_USER: &str = "<root_account>";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialReportRow {
    pub user: String,
    pub arn: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub user_creation_time: Option<OffsetDateTime>,
    /// `None` where AWS says `not_supported` (the root row) or the value is missing.
    pub password_enabled: Option<bool>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_last_used: Option<OffsetDateTime>,
    pub mfa_active: bool,
    pub access_keys: [AccessKeySlot; 2],
}

impl CredentialReportRow {
    pub fn is_root(&self) -> bool {
        self.user == ROOT_ACCOUNT_USER
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessKeySlot {
    pub active: bool,
    /// When the key in this slot was created (the report calls it "last rotated").
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_rotated: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_date: Option<OffsetDateTime>,
    pub last_used_region: Option<String>,
    pub last_used_service: Option<String>,
    /// The key id, which the report does not carry: filled from iam:ListAccessKeys for
    /// active keys so findings and remediation commands can name the key.
    pub key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ec2Instance {
    pub instance_id: String,
    pub instance_type: String,
    pub state: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub launch_time: Option<OffsetDateTime>,
    pub image_id: Option<String>,
    pub key_name: Option<String>,
    pub instance_profile_arn: Option<String>,
    pub tags: BTreeMap<String, String>,
}
