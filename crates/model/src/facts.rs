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
    /// ce:GetCostAndUsage, read once for the whole organization from the management account
    /// (grouped by LINKED_ACCOUNT+SERVICE and LINKED_ACCOUNT+REGION, previous full month and
    /// current month to date); the engine gives each account its own slice.
    CostAndUsage,
    /// health:DescribeEventsForOrganization + DescribeAffectedAccountsForOrganization +
    /// DescribeEventDetailsForOrganization, read once from the management account (or the
    /// Health delegated administrator); each affected account gets the events that name it.
    HealthEvents,
    /// guardduty:ListDetectors + GetDetector + ListFindings + GetFindings in one region.
    GuardDuty,
    /// iam:GenerateServiceLastAccessedDetails + GetServiceLastAccessedDetails for the
    /// principals of interest (new keys, quarantined, console without MFA, new principals,
    /// roles anyone may assume, then the principals the IAM checks found; at most 25 per
    /// account, see `principals_of_interest` in the aws crate), not for every user and role:
    /// each is a job IAM runs and is polled for.
    LastAccessed,
    /// s3:ListBuckets (global) with each bucket's location, policy status and public access
    /// block, plus the account's own public access block (s3control). Bucket tags are not
    /// read.
    S3Buckets,
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
                | Source::GuardDuty
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
            Source::CostAndUsage => "ce:GetCostAndUsage",
            Source::HealthEvents => "health:DescribeEventsForOrganization",
            Source::GuardDuty => "guardduty:ListDetectors",
            Source::LastAccessed => "iam:GenerateServiceLastAccessedDetails",
            Source::S3Buckets => "s3:ListBuckets",
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
    /// The account's slice of the organization's charges.
    #[serde(default)]
    pub account_spend: Option<AccountSpend>,
    /// AWS Health events of the organizational view that affect this account.
    #[serde(default)]
    pub health_events: Option<Vec<HealthEvent>>,
    /// The region's GuardDuty detector and its findings.
    #[serde(default)]
    pub guardduty: Option<GuardDutyStatus>,
    /// Service last accessed data per principal, keyed by the principal's ARN.
    #[serde(default)]
    pub last_accessed: Option<BTreeMap<String, LastAccessed>>,
    /// Every bucket the account owns, whatever its region (ListBuckets is global).
    #[serde(default)]
    pub s3_buckets: Option<Vec<S3Bucket>>,
    /// The account-level S3 public access block (s3control:GetPublicAccessBlock), collected
    /// with [`Source::S3Buckets`]; `None` when the account has none (or buckets were not
    /// collected). Each setting applies to every bucket on top of the bucket's own block.
    #[serde(default)]
    pub s3_account_public_access_block: Option<PublicAccessBlock>,
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

/// Every source that feeds the resource inventory of a region. S3 buckets are listed once
/// per account ([`Source::S3Buckets`], global) and each region's facts get the buckets that
/// live in it, so a bucket is judged and inventoried in its own region like any resource.
pub const RESOURCE_SOURCES: [Source; 22] = [
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
    Source::Ec2Resources(ResourceKind::LambdaFunction),
    Source::Ec2Resources(ResourceKind::EcsCluster),
    Source::Ec2Resources(ResourceKind::EcsTask),
    Source::Ec2Resources(ResourceKind::EksCluster),
    Source::Ec2Resources(ResourceKind::SageMakerNotebook),
    Source::Ec2Resources(ResourceKind::SageMakerTrainingJob),
    Source::Ec2Resources(ResourceKind::SageMakerEndpoint),
    Source::Ec2Resources(ResourceKind::LightsailInstance),
    Source::Ec2Resources(ResourceKind::RdsInstance),
    Source::Ec2Resources(ResourceKind::RdsSnapshot),
    Source::S3Buckets,
];

/// The inventory `resource_type` of S3 buckets (their id is the bucket name).
pub const S3_BUCKET: &str = "s3_bucket";

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
    /// The compute size where the resource has one (see [`Ec2Resource::instance_type`]);
    /// the instance type for instances.
    pub instance_type: Option<&'a str>,
}

impl ResourceView<'_> {
    /// Whether the resource is gone or going: it no longer runs or holds anything. Services
    /// spell states differently (`deleting`, `Deleting`, `DELETING`), so the common words are
    /// compared without case; a few kinds end in states of their own.
    pub fn is_gone(&self) -> bool {
        let Some(state) = self.state else {
            return false;
        };
        let common = [
            "terminated",
            "shutting-down",
            "deleted",
            "deleting",
            "cancelled",
            "closed",
        ];
        if common.iter().any(|s| state.eq_ignore_ascii_case(s)) {
            return true;
        }
        match self.resource_type {
            // A task that stopped is not restarted; ECS replaces it with a new task.
            "ecs_task" => matches!(
                state,
                "DEACTIVATING" | "STOPPING" | "DEPROVISIONING" | "STOPPED"
            ),
            // A finished training job cannot run again; it is a record of past spend.
            "sagemaker_training_job" => matches!(state, "Completed" | "Failed" | "Stopped"),
            _ => false,
        }
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
            instance_type: Some(&i.instance_type),
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
                instance_type: r.instance_type.as_deref(),
            })
        });
        let buckets = self.s3_buckets.iter().flatten().map(|b| ResourceView {
            resource_type: S3_BUCKET,
            id: &b.name,
            created_at: b.created_at,
            state: None,
            tags: &b.tags,
            instance: None,
            shared_with: &[],
            instance_type: None,
        });
        instances.chain(others).chain(buckets)
    }

    /// The first resource source of [`RESOURCE_SOURCES`] that was not collected.
    pub fn missing_resource_source(&self) -> Option<Source> {
        RESOURCE_SOURCES.into_iter().find(|s| match s {
            Source::Ec2Instances => self.ec2_instances.is_none(),
            Source::Ec2Resources(kind) => !self.ec2_resources.contains_key(kind),
            Source::S3Buckets => self.s3_buckets.is_none(),
            _ => false,
        })
    }
}

/// The resource kinds inventoried besides EC2 instances (which carry more detail). The name
/// is historical: the EC2 kinds came first, and every other service's resources are seen
/// the same way. Every kind is regional. The `id` of each is what its API and its CLI
/// commands name it by, noted per kind.
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
    /// Lambda functions, by function name.
    LambdaFunction,
    /// ECS clusters, by cluster name.
    EcsCluster,
    /// ECS tasks of every cluster, by task ARN (it names the cluster, which every ECS
    /// command needs). `instance_type` is `gpu:<n>` when the task was assigned GPUs (the
    /// number of GPU ids over its containers), `None` otherwise.
    EcsTask,
    /// EKS clusters, by name (their nodes are EC2 instances, inventoried as such).
    EksCluster,
    /// SageMaker notebook instances, by name; `instance_type` is the `ml.*` type.
    SageMakerNotebook,
    /// SageMaker training jobs, by name; `instance_type` is the `ml.*` type of its
    /// resource configuration (instance groups: their types, comma-separated).
    SageMakerTrainingJob,
    /// SageMaker endpoints, by name; `instance_type` lists the `ml.*` types of the endpoint
    /// configuration's production variants, comma-separated (none for serverless ones).
    SageMakerEndpoint,
    /// Lightsail instances, by name; `instance_type` is the bundle id (`gpu_nvidia_xl_1_0`).
    LightsailInstance,
    /// RDS DB instances, by identifier; `instance_type` is the `db.*` class.
    RdsInstance,
    /// Manual RDS DB snapshots owned by the account, by identifier, with the `restore`
    /// attribute (DescribeDBSnapshotAttributes) as `shared_with`.
    RdsSnapshot,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 20] = [
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
        ResourceKind::LambdaFunction,
        ResourceKind::EcsCluster,
        ResourceKind::EcsTask,
        ResourceKind::EksCluster,
        ResourceKind::SageMakerNotebook,
        ResourceKind::SageMakerTrainingJob,
        ResourceKind::SageMakerEndpoint,
        ResourceKind::LightsailInstance,
        ResourceKind::RdsInstance,
        ResourceKind::RdsSnapshot,
    ];

    /// The kinds EC2's Describe* calls list: the first ten of [`ResourceKind::ALL`].
    pub const EC2: [ResourceKind; 10] = [
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

    /// Whether EC2 lists the kind (the other services have collectors of their own).
    pub fn is_ec2(self) -> bool {
        Self::EC2.contains(&self)
    }

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
            ResourceKind::LambdaFunction => "lambda_function",
            ResourceKind::EcsCluster => "ecs_cluster",
            ResourceKind::EcsTask => "ecs_task",
            ResourceKind::EksCluster => "eks_cluster",
            ResourceKind::SageMakerNotebook => "sagemaker_notebook",
            ResourceKind::SageMakerTrainingJob => "sagemaker_training_job",
            ResourceKind::SageMakerEndpoint => "sagemaker_endpoint",
            ResourceKind::LightsailInstance => "lightsail_instance",
            ResourceKind::RdsInstance => "rds_instance",
            ResourceKind::RdsSnapshot => "rds_snapshot",
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
            ResourceKind::LambdaFunction => "lambda:ListFunctions",
            ResourceKind::EcsCluster => "ecs:ListClusters",
            ResourceKind::EcsTask => "ecs:ListTasks",
            ResourceKind::EksCluster => "eks:ListClusters",
            ResourceKind::SageMakerNotebook => "sagemaker:ListNotebookInstances",
            ResourceKind::SageMakerTrainingJob => "sagemaker:ListTrainingJobs",
            ResourceKind::SageMakerEndpoint => "sagemaker:ListEndpoints",
            ResourceKind::LightsailInstance => "lightsail:GetInstances",
            ResourceKind::RdsInstance => "rds:DescribeDBInstances",
            ResourceKind::RdsSnapshot => "rds:DescribeDBSnapshots",
        }
    }
}

/// A resource other than an EC2 instance, of any [`ResourceKind`] (the name is historical).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ec2Resource {
    pub id: String,
    /// Creation time where the API reports one (volumes, snapshots, images, key pairs,
    /// launch templates, spot requests, NAT gateways, and most other services' kinds).
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    pub state: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Snapshots, images and RDS snapshots: who besides the owner may use it: account ids,
    /// or `all` when public. Empty for other kinds.
    pub shared_with: Vec<String>,
    /// The compute size where the service has one: SageMaker's `ml.p3.2xlarge`, a
    /// Lightsail bundle id, an RDS `db.*` class, `gpu:<n>` for ECS tasks with GPUs (see
    /// each [`ResourceKind`]). Sizes are what mining detection reads.
    #[serde(default)]
    pub instance_type: Option<String>,
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

/// One account's charges from Cost Explorer: the previous full month and the current month
/// to date, so a check can compare daily rates rather than a partial month with a whole one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountSpend {
    pub previous_month: MonthSpend,
    pub current_month: MonthSpend,
}

/// The unblended cost of one period, in USD, by service and by region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonthSpend {
    /// The first day covered, `YYYY-MM-DD` (Cost Explorer's `TimePeriod.Start`).
    pub start: String,
    /// How many days the amounts cover (`TimePeriod.End`, which is exclusive, minus
    /// `Start`); zero on the first day of a month when nothing has been billed yet.
    pub days: u32,
    /// Amount per Cost Explorer `SERVICE` value ("Amazon Elastic Compute Cloud - Compute").
    pub services: BTreeMap<String, f64>,
    /// Amount per Cost Explorer `REGION` value: region codes, plus `global` and
    /// `NoRegion` for charges that belong to none.
    pub regions: BTreeMap<String, f64>,
}

impl MonthSpend {
    /// `amount` per day of this period; `None` when the period covers no day.
    pub fn daily_rate(&self, amount: f64) -> Option<f64> {
        (self.days > 0).then(|| amount / f64::from(self.days))
    }
}

/// One AWS Health event of the organizational view, as it affects one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthEvent {
    pub arn: String,
    /// `AWS_RISK_CREDENTIALS_EXPOSED`, `AWS_ABUSE_DOS_REPORT`, `AWS_EC2_…`
    pub event_type_code: String,
    /// `RISK`, `ABUSE`, `EC2`, …
    pub service: String,
    /// A region code, or `global`.
    pub region: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub start_time: Option<OffsetDateTime>,
    /// `open`, `closed` or `upcoming`.
    pub status: String,
    /// The event's latest description (DescribeEventDetailsForOrganization): AWS's own
    /// words, which for risk events name the exposed key or the abusive resource.
    pub description: String,
}

/// GuardDuty in one region: whether a detector exists, and its current findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardDutyStatus {
    /// `None` when the region has no detector: GuardDuty is off there.
    pub detector_id: Option<String>,
    /// GetDetector's `Status` (`ENABLED`, `DISABLED`): a suspended detector still exists
    /// but watches nothing.
    #[serde(default)]
    pub detector_status: Option<String>,
    /// Findings that are not archived.
    pub findings: Vec<GuardDutyFinding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardDutyFinding {
    pub id: String,
    /// `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS`, …
    #[serde(rename = "type")]
    pub finding_type: String,
    /// 1.0–10.0: low below 4, medium below 7, high below 9, critical from 9.
    pub severity: f64,
    pub title: String,
    /// The finding's `Resource.ResourceType`: `AccessKey`, `Instance`, `S3Bucket`, …
    pub resource_type: String,
    /// The access key id, instance id, bucket name, … the finding names, when it names one.
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

/// IAM's service last accessed data for one user or role. IAM keeps only the latest
/// authentication per service (for the last 400 days), never a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastAccessed {
    pub principal_arn: String,
    /// The latest `LastAuthenticated` over all services; `None` when no service was used in
    /// IAM's tracking period.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used: Option<OffsetDateTime>,
    pub services: Vec<ServiceAccess>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccess {
    /// The service namespace: `s3`, `ec2`, `iam`, …
    pub namespace: String,
    /// `None`: not used in IAM's tracking period.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_authenticated: Option<OffsetDateTime>,
}

/// An S3 bucket the account owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Bucket {
    pub name: String,
    /// A region code (GetBucketLocation's empty answer means us-east-1, `EU` eu-west-1).
    pub region: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// GetBucketPolicyStatus' `IsPublic`: `Some(false)` for a bucket without a policy,
    /// `None` when the status could not be read.
    pub policy_public: Option<bool>,
    /// The bucket's own public access block; `None` when it has none.
    pub block_public_access: Option<PublicAccessBlock>,
    pub tags: BTreeMap<String, String>,
}

/// An S3 public access block configuration (bucket or account level).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub fn is_fully_on(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }

    /// The settings in force when both blocks apply: AWS enforces the most restrictive
    /// combination of the account's and the bucket's.
    pub fn combined(bucket: Option<&Self>, account: Option<&Self>) -> Self {
        let (b, a) = (
            bucket.copied().unwrap_or_default(),
            account.copied().unwrap_or_default(),
        );
        PublicAccessBlock {
            block_public_acls: b.block_public_acls || a.block_public_acls,
            ignore_public_acls: b.ignore_public_acls || a.ignore_public_acls,
            block_public_policy: b.block_public_policy || a.block_public_policy,
            restrict_public_buckets: b.restrict_public_buckets || a.restrict_public_buckets,
        }
    }

    /// The names of the settings that are off, as the S3 API spells them.
    pub fn off(&self) -> Vec<&'static str> {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(name, _)| name)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(
        resource_type: &'static str,
        state: &'a str,
        tags: &'a BTreeMap<String, String>,
    ) -> ResourceView<'a> {
        ResourceView {
            resource_type,
            id: "x",
            created_at: None,
            state: Some(state),
            tags,
            instance: None,
            shared_with: &[],
            instance_type: None,
        }
    }

    #[test]
    fn gone_states_are_read_in_each_services_spelling() {
        let tags = BTreeMap::new();
        for (kind, state) in [
            ("ec2_instance", "terminated"),
            ("eks_cluster", "DELETING"),
            ("sagemaker_endpoint", "Deleting"),
            ("ecs_task", "STOPPED"),
            ("sagemaker_training_job", "Completed"),
        ] {
            assert!(view(kind, state, &tags).is_gone(), "{kind} {state}");
        }
        for (kind, state) in [
            ("ec2_instance", "stopped"),
            ("ec2_snapshot", "completed"),
            ("sagemaker_notebook", "Stopped"),
            ("ecs_task", "RUNNING"),
            ("sagemaker_training_job", "InProgress"),
        ] {
            assert!(!view(kind, state, &tags).is_gone(), "{kind} {state}");
        }
    }

    #[test]
    fn every_kind_is_an_inventory_source_with_its_own_names() {
        assert_eq!(RESOURCE_SOURCES.len(), ResourceKind::ALL.len() + 2);
        for kind in ResourceKind::ALL {
            assert!(
                RESOURCE_SOURCES.contains(&Source::Ec2Resources(kind)),
                "{kind:?}"
            );
            assert!(Source::Ec2Resources(kind).is_regional());
            assert_eq!(kind.is_ec2(), kind.api().starts_with("ec2:"), "{kind:?}");
        }
        let types: std::collections::BTreeSet<_> =
            ResourceKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(types.len(), ResourceKind::ALL.len());
        assert!(Source::GuardDuty.is_regional());
        for s in [
            Source::CostAndUsage,
            Source::HealthEvents,
            Source::LastAccessed,
            Source::S3Buckets,
        ] {
            assert!(!s.is_regional(), "{s}");
        }
        assert_eq!(Source::CostAndUsage.to_string(), "ce:GetCostAndUsage");
    }

    #[test]
    fn new_kinds_are_inventoried_with_their_size() {
        let mut facts = Facts::default();
        facts.ec2_resources.insert(
            ResourceKind::SageMakerNotebook,
            vec![Ec2Resource {
                id: "nb".to_owned(),
                created_at: None,
                state: Some("InService".to_owned()),
                tags: BTreeMap::new(),
                shared_with: Vec::new(),
                instance_type: Some("ml.p3.2xlarge".to_owned()),
            }],
        );
        let all: Vec<_> = facts.resources().collect();
        assert_eq!(all[0].resource_type, "sagemaker_notebook");
        assert_eq!(all[0].instance_type, Some("ml.p3.2xlarge"));
        // Facts written before the field existed still read.
        let old: Ec2Resource = serde_json::from_str(
            r#"{"id":"vol-1","created_at":null,"state":null,"tags":{},"shared_with":[]}"#,
        )
        .expect("parses");
        assert_eq!(old.instance_type, None);
    }

    #[test]
    fn spend_rates_and_public_access_blocks() {
        let month = MonthSpend {
            days: 4,
            ..MonthSpend::default()
        };
        assert_eq!(month.daily_rate(10.0), Some(2.5));
        assert_eq!(MonthSpend::default().daily_rate(10.0), None);
        let on = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        };
        let policy_off = PublicAccessBlock {
            block_public_policy: false,
            ..on
        };
        assert!(PublicAccessBlock::combined(Some(&policy_off), Some(&on)).is_fully_on());
        assert_eq!(
            PublicAccessBlock::combined(Some(&policy_off), None).off(),
            ["BlockPublicPolicy"]
        );
        assert_eq!(PublicAccessBlock::combined(None, None).off().len(), 4);
    }
}
