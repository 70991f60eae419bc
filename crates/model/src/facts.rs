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
    /// iam:GenerateCredentialReport + GetCredentialReport.
    CredentialReport,
    /// iam:ListAccessKeys for every user: fresh, where the credential report may be four
    /// hours old. Collected after the users are known (and fills the report's key ids).
    AccessKeys,
    /// iam:GetAccountSummary: root MFA and root keys, even without a credential report.
    AccountSummary,
    /// ec2:DescribeInstances in one region.
    Ec2Instances,
    /// The Describe* call of one other EC2 resource kind in one region.
    Ec2Resources(ResourceKind),
    /// config:DescribeConfigurationRecorders + DescribeConfigurationRecorderStatus.
    ConfigRecorders,
    /// cloudtrail:DescribeTrails + GetTrailStatus + GetEventSelectors (account scope).
    Trails,
    /// account:GetAlternateContact for SECURITY, BILLING and OPERATIONS.
    AlternateContacts,
    /// The region's management events inside the window: cloudtrail:LookupEvents, or the
    /// organization trail's log files in S3.
    TrailEvents,
}

impl Source {
    /// Whether the source is read once per account or once per region.
    pub fn is_regional(self) -> bool {
        matches!(
            self,
            Source::Ec2Instances
                | Source::Ec2Resources(_)
                | Source::ConfigRecorders
                | Source::TrailEvents
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::IamAuthorizationDetails => "iam:GetAccountAuthorizationDetails",
            Source::CredentialReport => "iam:GetCredentialReport",
            Source::AccessKeys => "iam:ListAccessKeys",
            Source::AccountSummary => "iam:GetAccountSummary",
            Source::Ec2Instances => "ec2:DescribeInstances",
            Source::Ec2Resources(kind) => kind.api(),
            Source::ConfigRecorders => "config:DescribeConfigurationRecorderStatus",
            Source::Trails => "cloudtrail:DescribeTrails",
            Source::AlternateContacts => "account:GetAlternateContact",
            Source::TrailEvents => "cloudtrail:LookupEvents",
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
    pub access_keys: Option<Vec<AccessKey>>,
    pub account_summary: Option<AccountSummary>,
    pub ec2_instances: Option<Vec<Ec2Instance>>,
    /// Other EC2 resources by kind; a kind is absent when not collected.
    pub ec2_resources: BTreeMap<ResourceKind, Vec<Ec2Resource>>,
    pub config_recorders: Option<Vec<ConfigRecorder>>,
    pub trails: Option<Vec<Trail>>,
    pub alternate_contacts: Option<AlternateContacts>,
    pub trail_events: Option<Vec<TrailEvent>>,
    /// The account as Organizations describes it; always present for account scopes.
    pub account: Option<AccountInfo>,
    /// Records of a source that could not be parsed: counted, never dropped silently. The
    /// checks still run on the rest, and the engine records each problem in `coverage`.
    #[serde(default)]
    pub problems: Vec<(Source, String)>,
}

/// One access key from iam:ListAccessKeys (ids and dates only; never secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub user: String,
    pub access_key_id: String,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
}

/// The account's name and root e-mail from Organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub name: String,
    pub email: String,
}

/// A CloudTrail trail as seen from the account (its own, or the organization's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: Option<String>,
    pub multi_region: bool,
    pub organization_trail: bool,
    pub logging: bool,
    /// Whether its event selectors include management events (read and write, or write).
    pub management_events: bool,
    /// Where it delivers its log files.
    #[serde(default)]
    pub s3_bucket: Option<String>,
    #[serde(default)]
    pub s3_key_prefix: Option<String>,
}

/// One alternate contact of the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Contact {
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlternateContacts {
    pub security: Option<Contact>,
    pub billing: Option<Contact>,
    pub operations: Option<Contact>,
}

/// One CloudTrail management event, from LookupEvents' `CloudTrailEvent` JSON or a log
/// file's record: the same fields either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailEvent {
    pub event_id: String,
    pub event_name: String,
    pub event_source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub event_time: OffsetDateTime,
    pub aws_region: String,
    /// `userIdentity.type`: Root, IAMUser, AssumedRole, FederatedUser, AWSService, …
    pub principal_type: Option<String>,
    pub principal_arn: Option<String>,
    pub access_key_id: Option<String>,
    pub user_name: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// `additionalEventData.MFAUsed` of console sign-ins.
    pub mfa_used: Option<bool>,
    pub error_code: Option<String>,
    /// Resource names and ids the request names (request parameters).
    pub resources: Vec<String>,
}

/// Every source that feeds the resource inventory of a region.
pub const RESOURCE_SOURCES: [Source; 11] = [
    Source::Ec2Instances,
    Source::Ec2Resources(ResourceKind::Volume),
    Source::Ec2Resources(ResourceKind::Snapshot),
    Source::Ec2Resources(ResourceKind::Image),
    Source::Ec2Resources(ResourceKind::KeyPair),
    Source::Ec2Resources(ResourceKind::Address),
    Source::Ec2Resources(ResourceKind::SecurityGroup),
    Source::Ec2Resources(ResourceKind::Vpc),
    Source::Ec2Resources(ResourceKind::LaunchTemplate),
    Source::Ec2Resources(ResourceKind::SpotInstanceRequest),
    Source::Ec2Resources(ResourceKind::NatGateway),
];

/// One inventoried resource of any kind, seen the same way by the inventory and the checks.
#[derive(Debug, Clone, Copy)]
pub struct ResourceView<'a> {
    pub resource_type: &'static str,
    pub id: &'a str,
    pub created_at: Option<OffsetDateTime>,
    pub state: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
    /// Set for instances, which carry more detail.
    pub instance: Option<&'a Ec2Instance>,
    /// Set for snapshots and images: who besides the owner may use them.
    pub shared_with: &'a [String],
}

impl ResourceView<'_> {
    /// Whether the resource is gone or going: it no longer runs or holds anything.
    pub fn is_gone(&self) -> bool {
        matches!(
            self.state,
            Some("terminated" | "shutting-down" | "deleted" | "deleting" | "cancelled" | "closed")
        )
    }
}

impl Facts {
    /// Every collected resource of the scope: instances first, then each kind in order.
    /// Kinds that were not collected are simply absent; callers that must not miss them
    /// check the sources first.
    pub fn resources(&self) -> impl Iterator<Item = ResourceView<'_>> {
        let instances = self.ec2_instances.iter().flatten().map(|i| ResourceView {
            resource_type: "ec2_instance",
            id: &i.instance_id,
            created_at: i.launch_time,
            state: Some(&i.state),
            tags: &i.tags,
            instance: Some(i),
            shared_with: &[],
        });
        let others = self.ec2_resources.iter().flat_map(|(kind, list)| {
            list.iter().map(|r| ResourceView {
                resource_type: kind.as_str(),
                id: &r.id,
                created_at: r.created_at,
                state: r.state.as_deref(),
                tags: &r.tags,
                instance: None,
                shared_with: &r.shared_with,
            })
        });
        instances.chain(others)
    }

    /// The first resource source of [`RESOURCE_SOURCES`] that was not collected.
    pub fn missing_resource_source(&self) -> Option<Source> {
        RESOURCE_SOURCES.into_iter().find(|s| match s {
            Source::Ec2Instances => self.ec2_instances.is_none(),
            Source::Ec2Resources(kind) => !self.ec2_resources.contains_key(kind),
            _ => false,
        })
    }
}

/// The EC2 resource kinds inventoried besides instances (which carry more detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    Volume,
    /// Snapshots owned by the account, with their createVolumePermission.
    Snapshot,
    /// AMIs owned by the account, with their launchPermission.
    Image,
    KeyPair,
    Address,
    /// Security groups other than the VPCs' `default` groups.
    SecurityGroup,
    /// VPCs other than the default VPC.
    Vpc,
    LaunchTemplate,
    SpotInstanceRequest,
    NatGateway,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 10] = [
        ResourceKind::Volume,
        ResourceKind::Snapshot,
        ResourceKind::Image,
        ResourceKind::KeyPair,
        ResourceKind::Address,
        ResourceKind::SecurityGroup,
        ResourceKind::Vpc,
        ResourceKind::LaunchTemplate,
        ResourceKind::SpotInstanceRequest,
        ResourceKind::NatGateway,
    ];

    /// The inventory `resource_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Volume => "ec2_volume",
            ResourceKind::Snapshot => "ec2_snapshot",
            ResourceKind::Image => "ec2_image",
            ResourceKind::KeyPair => "ec2_key_pair",
            ResourceKind::Address => "ec2_address",
            ResourceKind::SecurityGroup => "ec2_security_group",
            ResourceKind::Vpc => "ec2_vpc",
            ResourceKind::LaunchTemplate => "ec2_launch_template",
            ResourceKind::SpotInstanceRequest => "ec2_spot_instance_request",
            ResourceKind::NatGateway => "ec2_nat_gateway",
        }
    }

    /// The API that lists the kind (for coverage messages).
    pub fn api(self) -> &'static str {
        match self {
            ResourceKind::Volume => "ec2:DescribeVolumes",
            ResourceKind::Snapshot => "ec2:DescribeSnapshots",
            ResourceKind::Image => "ec2:DescribeImages",
            ResourceKind::KeyPair => "ec2:DescribeKeyPairs",
            ResourceKind::Address => "ec2:DescribeAddresses",
            ResourceKind::SecurityGroup => "ec2:DescribeSecurityGroups",
            ResourceKind::Vpc => "ec2:DescribeVpcs",
            ResourceKind::LaunchTemplate => "ec2:DescribeLaunchTemplates",
            ResourceKind::SpotInstanceRequest => "ec2:DescribeSpotInstanceRequests",
            ResourceKind::NatGateway => "ec2:DescribeNatGateways",
        }
    }
}

/// An EC2 resource other than an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ec2Resource {
    pub id: String,
    /// Creation time where the API reports one (volumes, snapshots, images, key pairs,
    /// launch templates, spot requests, NAT gateways).
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    pub state: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Snapshots and images: who besides the owner may use it: account ids, or `all` when
    /// public. Empty for other kinds.
    pub shared_with: Vec<String>,
}

/// Whether an account id in `shared_with` means "everyone".
pub const PUBLIC: &str = "all";

/// One AWS Config configuration recorder of a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRecorder {
    pub name: String,
    pub recording: bool,
    /// `lastStatus` of the recorder status (`Success`, `Failure`, `Pending`).
    pub last_status: Option<String>,
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
    /// Why the trust policy could not be decoded, when AWS sent one that did not parse.
    #[serde(default)]
    pub trust_policy_error: Option<String>,
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
