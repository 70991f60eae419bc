//! Builds the demo organization in moto with planted incidents, through the real AWS SDK
//! for Rust. Seeding runs before IAM enforcement is turned on (see [`crate::emulator`]), with
//! moto's default administrator identity.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag as Ec2Tag, TagSpecification};
use aws_sdk_iam::config::Credentials;
use aws_sdk_organizations::types::{OrganizationFeatureSet, Tag as OrgTag};
use serde::Serialize;

/// The least-privilege scan policy users are told to deploy; the demo grants exactly it,
/// so a permission the scan lacks shows up here first.
pub const SCAN_POLICY: &str = include_str!("../../aws/iam/orgsweep-scan-policy.json");
/// moto checks S3's public access block reads (bucket and account level) as
/// `s3:GetPublicAccessBlock`, an action IAM does not have; AWS checks them as
/// `s3:GetBucketPublicAccessBlock` and `s3:GetAccountPublicAccessBlock`, which the scan
/// policy grants. A bucket's `?publicAccessBlock` read is even checked as `s3:ListBucket`
/// (moto's action table spells the query key `public_access_block`, so the lookup falls to
/// the bucket's default action). The demo grants moto's spellings of the same reads next to
/// the scan policy, so the policy users deploy names only real actions.
pub const MOTO_ALIASES_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "MotoSpellingOfPublicAccessBlockReads", "Effect": "Allow", "Action": ["s3:GetPublicAccessBlock", "s3:ListBucket"], "Resource": "*"}]}"#;
/// The policy that lets the scanning identity read the organization trail's log files,
/// with the bucket as a placeholder.
pub const TRAIL_LOGS_POLICY: &str = include_str!("../../aws/iam/orgsweep-trail-logs-policy.json");
/// The containment policy of the remediation role (`orgsweep remediate`).
pub const REMEDIATION_POLICY: &str = include_str!("../../aws/iam/orgsweep-remediation-policy.json");
/// The dedicated remediation role `orgsweep remediate` assumes by default.
pub const REMEDIATION_ROLE: &str = "orgsweep-remediation";

const HOME_REGION: &str = "us-east-1";
const SCAN_ROLE: &str = "OrganizationAccountAccessRole";
const QUARANTINE_POLICY: &str = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2";
/// An account outside the demo organization.
pub const EXTERNAL_ACCOUNT: &str = "999999999999";
/// The action the `data` account's scan role is denied.
const DENIED_ACTION: &str = "ec2:DescribeInstances";
/// The attacker-controlled tag value the HTML report must escape.
pub const XSS_PAYLOAD: &str = "<script>alert('orgsweep-xss')</script>";
/// More of what an intruder writes into tags, planted on the same instance: attribute and
/// element breakers, a `javascript:` URL, spreadsheet formulas, a Markdown link, a
/// right-to-left override and a zero-width space in names, and a value of AWS's maximum
/// length (256). Every report must carry them exactly (in JSON) and harmlessly (in HTML,
/// Markdown and CSV).
pub const HOSTILE_TAGS: [(&str, &str); 7] = [
    ("Owner", "\"'><img src=x onerror=alert('orgsweep-img')>"),
    ("Link", "javascript:alert('orgsweep-url')"),
    (
        "CostCenter",
        "=HYPERLINK(\"http://evil.example/\",\"invoice\")",
    ),
    ("Note", "[click me](javascript:alert('orgsweep-md'))"),
    ("Team", "billing\u{202E}gpj.exe"),
    ("Env", "pro\u{200B}d"),
    ("Svg", "<svg onload=alert('orgsweep-svg')>"),
];
/// A tag value of the maximum length EC2 accepts, made of a payload that repeats.
pub fn long_hostile_value() -> String {
    "<b>&amp;</b>\"'".repeat(16)
}

#[derive(Debug, Clone, Serialize)]
pub struct ScannerCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub id: String,
    pub name: String,
    pub ou: String,
    /// Whether the scan role can be used in this account.
    pub scan_role_usable: bool,
    /// `ACTIVE`, or `SUSPENDED` for the closed account.
    pub status: String,
}

/// Where each planted incident is: (account id, name or region, id).
#[derive(Debug, Clone, Serialize)]
pub struct Planted {
    pub quarantined_user: (String, String),
    pub new_access_key_user: (String, String),
    pub console_user_without_mfa: (String, String),
    pub console_user_with_mfa: (String, String),
    /// A role trusting an account outside the organization: (account, role).
    pub external_trust_role: (String, String),
    /// A role trusting another member account: (account, role).
    pub in_org_trust_role: (String, String),
    /// Snapshots shared with an outside account and with a member: (account, region, id).
    pub snapshot_shared_outside: (String, String, String),
    pub snapshot_shared_inside: (String, String, String),
    /// A running GPU instance in an unexpected region: (account, region, id).
    pub mining_instance: (String, String, String),
    /// (account, region, instance id)
    pub unexpected_region_instance: (String, String, String),
    pub expected_region_instance: (String, String, String),
    /// The member account whose scan role cannot be used.
    pub unusable_account: String,
    /// A member account whose scan role is denied one action: (account, action).
    pub service_denied_account: (String, String),
    /// The organization trail's logs (`s3://…`) and the write events delivered there for
    /// the dev account in us-east-1.
    pub trail_logs: String,
    pub trail_log_events: (String, Vec<String>),
    /// A closed (suspended) member account.
    pub closed_account: String,
    pub xss_payload: String,
    /// A Lambda function in an unexpected region: (account, region, function name).
    pub lambda_function: (String, String, String),
    /// A running GPU SageMaker notebook in an unexpected region: (account, region, name).
    pub sagemaker_notebook: (String, String, String),
    /// A manual RDS snapshot shared with an outside account: (account, region, id).
    pub rds_snapshot_shared_outside: (String, String, String),
    /// A bucket with a public policy and no public access block: (account, region, name).
    pub public_bucket: (String, String, String),
    /// What the queued Cost Explorer answers plant (see [`queue_costs`]).
    pub costs: CostIncidents,
}

/// The charges [`queue_costs`] plants, each (account, service or region).
#[derive(Debug, Clone, Serialize)]
pub struct CostIncidents {
    /// A service whose daily rate rose five-fold.
    pub spike: (String, String),
    /// A service with charges this month and none last month.
    pub new_service: (String, String),
    /// Charges in a region outside the expected ones.
    pub unexpected_region: (String, String),
    /// Whether the current month has a whole day yet: on the 1st (UTC) Cost Explorer is
    /// asked about the previous month only, so nothing this month can be planted.
    pub current_month_planted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoOrg {
    pub endpoint: String,
    pub management_account_id: String,
    pub scanner: ScannerCredentials,
    /// The member accounts.
    pub accounts: Vec<DemoAccount>,
    pub expected_regions: Vec<String>,
    pub scan_regions: Vec<String>,
    pub planted: Planted,
}

impl DemoOrg {
    /// The environment a child `orgsweep` process needs to scan as the seeded scanner, and
    /// nothing from the developer's own AWS configuration. Callers should also remove
    /// `AWS_PROFILE`, `AWS_SESSION_TOKEN` and `AWS_ENDPOINT_URL` from the child's environment.
    pub fn scanner_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", self.scanner.access_key_id.as_str()),
            (
                "AWS_SECRET_ACCESS_KEY",
                self.scanner.secret_access_key.as_str(),
            ),
            ("AWS_REGION", HOME_REGION),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

fn sdk_config(endpoint: &str, credentials: Credentials, region: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .build()
}

/// The identity moto accepts before enforcement is on.
fn admin_credentials() -> Credentials {
    Credentials::new("testing", "testing", None, None, "orgsweep-demo")
}

/// One member account's seeding session: the scan role's credentials.
struct Member {
    id: String,
    iam: aws_sdk_iam::Client,
    endpoint: String,
    credentials: Credentials,
}

impl Member {
    async fn assume(endpoint: &str, admin: &SdkConfig, id: &str) -> anyhow::Result<Member> {
        let sts = aws_sdk_sts::Client::new(admin);
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{id}:role/{SCAN_ROLE}"))
            .role_session_name("orgsweep-seed")
            .send()
            .await
            .with_context(|| format!("assuming {SCAN_ROLE} in {id}"))?;
        let c = assumed
            .credentials()
            .ok_or_else(|| anyhow!("AssumeRole into {id} returned no credentials"))?;
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "orgsweep-seed",
        );
        Ok(Member {
            id: id.to_owned(),
            iam: aws_sdk_iam::Client::new(&sdk_config(endpoint, credentials.clone(), HOME_REGION)),
            endpoint: endpoint.to_owned(),
            credentials,
        })
    }

    fn config(&self) -> SdkConfig {
        sdk_config(&self.endpoint, self.credentials.clone(), HOME_REGION)
    }

    /// A multi-region trail, logging or stopped.
    async fn trail(&self, name: &str, logging: bool) -> anyhow::Result<()> {
        // CloudTrail refuses a trail whose bucket does not exist.
        let bucket = format!("{name}-logs-{}", self.id);
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.config())
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .with_context(|| format!("creating bucket {bucket}"))?;
        let trails = aws_sdk_cloudtrail::Client::new(&self.config());
        trails
            .create_trail()
            .name(name)
            .s3_bucket_name(&bucket)
            .is_multi_region_trail(true)
            .send()
            .await
            .with_context(|| format!("creating trail {name} in {}", self.id))?;
        if logging {
            trails
                .start_logging()
                .name(name)
                .send()
                .await
                .with_context(|| format!("starting trail {name}"))?;
        }
        Ok(())
    }

    async fn security_contact(&self) -> anyhow::Result<()> {
        aws_sdk_account::Client::new(&self.config())
            .put_alternate_contact()
            .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
            .name("Security team")
            .title("Security")
            .email_address("security@example.com")
            .phone_number("+1-555-0100")
            .send()
            .await
            .with_context(|| format!("setting the security contact of {}", self.id))?;
        Ok(())
    }

    fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&sdk_config(
            &self.endpoint,
            self.credentials.clone(),
            region,
        ))
    }

    /// Gives the scan role the repository's read-only policy (moto's role has none, and
    /// under enforcement it could do nothing).
    async fn grant_scan_policy(&self) -> anyhow::Result<()> {
        self.iam
            .put_role_policy()
            .role_name(SCAN_ROLE)
            .policy_name("orgsweep-scan")
            .policy_document(SCAN_POLICY)
            .send()
            .await
            .with_context(|| format!("granting the scan policy in {}", self.id))?;
        self.iam
            .put_role_policy()
            .role_name(SCAN_ROLE)
            .policy_name("orgsweep-scan-moto-aliases")
            .policy_document(MOTO_ALIASES_POLICY)
            .send()
            .await
            .with_context(|| format!("granting moto's spellings in {}", self.id))?;
        Ok(())
    }

    async fn user(&self, name: &str) -> anyhow::Result<()> {
        self.iam
            .create_user()
            .user_name(name)
            .send()
            .await
            .with_context(|| format!("creating user {name} in {}", self.id))?;
        Ok(())
    }

    async fn access_key(&self, user: &str) -> anyhow::Result<()> {
        self.iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .with_context(|| format!("creating an access key for {user} in {}", self.id))?;
        Ok(())
    }

    async fn console_password(&self, user: &str) -> anyhow::Result<()> {
        self.iam
            .create_login_profile()
            .user_name(user)
            .password("Demo-Passw0rd-not-secret")
            .send()
            .await
            .with_context(|| format!("giving {user} a console password in {}", self.id))?;
        Ok(())
    }

    async fn mfa(&self, user: &str) -> anyhow::Result<()> {
        let device = self
            .iam
            .create_virtual_mfa_device()
            .virtual_mfa_device_name(format!("{user}-mfa"))
            .send()
            .await
            .with_context(|| format!("creating an MFA device for {user}"))?;
        let serial = device
            .virtual_mfa_device()
            .map(|d| d.serial_number().to_owned())
            .ok_or_else(|| anyhow!("CreateVirtualMFADevice returned no device"))?;
        self.iam
            .enable_mfa_device()
            .user_name(user)
            .serial_number(serial)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .with_context(|| format!("enabling MFA for {user}"))?;
        Ok(())
    }

    /// A role that `trusted` (an account id) may assume.
    async fn role_trusting(&self, name: &str, trusted: &str) -> anyhow::Result<()> {
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{trusted}:root")},
                "Action": "sts:AssumeRole"
            }]
        });
        self.iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .with_context(|| format!("creating role {name} in {}", self.id))?;
        Ok(())
    }

    async fn instance(
        &self,
        region: &str,
        instance_type: InstanceType,
        tags: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        let ec2 = self.ec2(region);
        let images = ec2
            .describe_images()
            .send()
            .await
            .with_context(|| format!("listing images in {region}"))?;
        let image = images
            .images()
            .iter()
            .find_map(|i| i.image_id())
            .ok_or_else(|| anyhow!("moto has no image in {region}"))?
            .to_owned();
        let mut spec = TagSpecification::builder().resource_type(ResourceType::Instance);
        for (key, value) in tags {
            spec = spec.tags(Ec2Tag::builder().key(*key).value(*value).build());
        }
        let run = ec2
            .run_instances()
            .image_id(image)
            .instance_type(instance_type)
            .min_count(1)
            .max_count(1)
            .tag_specifications(spec.build())
            .send()
            .await
            .with_context(|| format!("launching an instance in {region} of {}", self.id))?;
        run.instances()
            .first()
            .and_then(|i| i.instance_id())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("RunInstances returned no instance"))
    }

    async fn volume(&self, region: &str) -> anyhow::Result<String> {
        let created = self
            .ec2(region)
            .create_volume()
            .availability_zone(format!("{region}a"))
            .size(8)
            .send()
            .await
            .with_context(|| format!("creating a volume in {region} of {}", self.id))?;
        created
            .volume_id()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("CreateVolume returned no id"))
    }

    /// A snapshot of a new volume, shared with `account`.
    async fn shared_snapshot(&self, region: &str, account: &str) -> anyhow::Result<String> {
        let volume = self.volume(region).await?;
        let ec2 = self.ec2(region);
        let snapshot = ec2
            .create_snapshot()
            .volume_id(volume)
            .description(format!("shared with {account}"))
            .send()
            .await
            .with_context(|| format!("snapshotting in {region} of {}", self.id))?
            .snapshot_id()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("CreateSnapshot returned no id"))?;
        ec2.modify_snapshot_attribute()
            .snapshot_id(&snapshot)
            .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
            .operation_type(aws_sdk_ec2::types::OperationType::Add)
            .user_ids(account)
            .send()
            .await
            .with_context(|| format!("sharing {snapshot} with {account}"))?;
        Ok(snapshot)
    }

    fn regional(&self, region: &str) -> SdkConfig {
        sdk_config(&self.endpoint, self.credentials.clone(), region)
    }

    /// A role `service` (`lambda.amazonaws.com`, …) may assume; returns its ARN.
    async fn service_role(&self, name: &str, service: &str) -> anyhow::Result<String> {
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
        });
        let role = self
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .with_context(|| format!("creating role {name} in {}", self.id))?;
        role.role()
            .map(|r| r.arn().to_owned())
            .ok_or_else(|| anyhow!("CreateRole returned no role"))
    }

    /// A Lambda function whose code is an empty zip archive (moto stores it, never runs it).
    async fn lambda_function(&self, region: &str, name: &str) -> anyhow::Result<()> {
        let role = self
            .service_role("orgsweep-demo-lambda", "lambda.amazonaws.com")
            .await?;
        // The end-of-central-directory record alone: a valid, empty zip archive.
        let mut empty_zip = vec![0x50, 0x4b, 0x05, 0x06];
        empty_zip.resize(22, 0);
        aws_sdk_lambda::Client::new(&self.regional(region))
            .create_function()
            .function_name(name)
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .handler("index.handler")
            .role(role)
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(empty_zip.into())
                    .build(),
            )
            .send()
            .await
            .with_context(|| format!("creating function {name} in {region} of {}", self.id))?;
        Ok(())
    }

    /// A SageMaker notebook instance of `instance_type`, running.
    async fn notebook(&self, region: &str, name: &str, instance_type: &str) -> anyhow::Result<()> {
        let role = self
            .service_role("orgsweep-demo-sagemaker", "sagemaker.amazonaws.com")
            .await?;
        aws_sdk_sagemaker::Client::new(&self.regional(region))
            .create_notebook_instance()
            .notebook_instance_name(name)
            .instance_type(aws_sdk_sagemaker::types::InstanceType::from(instance_type))
            .role_arn(role)
            .send()
            .await
            .with_context(|| format!("creating notebook {name} in {region} of {}", self.id))?;
        Ok(())
    }

    /// A DB instance and a manual snapshot of it, shared with `account`; returns the
    /// snapshot's identifier.
    async fn shared_db_snapshot(&self, region: &str, account: &str) -> anyhow::Result<String> {
        let rds = aws_sdk_rds::Client::new(&self.regional(region));
        let (instance, snapshot) = ("orders-db", "orders-db-export");
        rds.create_db_instance()
            .db_instance_identifier(instance)
            .db_instance_class("db.t3.micro")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("orders")
            .master_user_password("Demo-Passw0rd-not-secret")
            .send()
            .await
            .with_context(|| format!("creating DB instance {instance} in {}", self.id))?;
        rds.create_db_snapshot()
            .db_instance_identifier(instance)
            .db_snapshot_identifier(snapshot)
            .send()
            .await
            .with_context(|| format!("snapshotting {instance}"))?;
        rds.modify_db_snapshot_attribute()
            .db_snapshot_identifier(snapshot)
            .attribute_name("restore")
            .values_to_add(account)
            .send()
            .await
            .with_context(|| format!("sharing {snapshot} with {account}"))?;
        Ok(snapshot.to_owned())
    }

    /// A bucket in `region` whose policy lets anyone read its objects, with no public
    /// access block.
    async fn public_bucket(&self, region: &str, name: &str) -> anyhow::Result<()> {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.regional(region))
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket()
            .bucket(name)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                    .build(),
            )
            .send()
            .await
            .with_context(|| format!("creating bucket {name}"))?;
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{name}/*")
            }]
        });
        s3.put_bucket_policy()
            .bucket(name)
            .policy(policy.to_string())
            .send()
            .await
            .with_context(|| format!("making bucket {name} public"))?;
        // Tags travel with the bucket into the inventory (what allow rules match on).
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(
                aws_sdk_s3::types::Tagging::builder()
                    .tag_set(
                        aws_sdk_s3::types::Tag::builder()
                            .key("team")
                            .value("web")
                            .build()?,
                    )
                    .build()?,
            )
            .send()
            .await
            .with_context(|| format!("tagging bucket {name}"))?;
        Ok(())
    }

    async fn key_pair(&self, region: &str, name: &str) -> anyhow::Result<()> {
        self.ec2(region)
            .create_key_pair()
            .key_name(name)
            .send()
            .await
            .with_context(|| format!("creating key pair {name} in {region} of {}", self.id))?;
        Ok(())
    }
}

/// Seeds the demo organization. Call [`crate::emulator::enforce_auth`] afterwards so the
/// scan runs under real IAM authorization.
pub async fn seed_demo(endpoint: &str) -> anyhow::Result<DemoOrg> {
    let admin = sdk_config(endpoint, admin_credentials(), HOME_REGION);
    let org = aws_sdk_organizations::Client::new(&admin);
    org.create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .context("creating the organization")?;
    let management_account_id = org
        .describe_organization()
        .send()
        .await
        .context("describing the organization")?
        .organization()
        .and_then(|o| o.master_account_id())
        .ok_or_else(|| anyhow!("the organization has no management account"))?
        .to_owned();
    let root = org
        .list_roots()
        .send()
        .await
        .context("listing roots")?
        .roots()
        .first()
        .and_then(|r| r.id())
        .ok_or_else(|| anyhow!("the organization has no root"))?
        .to_owned();
    let mut ous = BTreeMap::new();
    for name in ["Workloads", "Sandbox"] {
        let ou = org
            .create_organizational_unit()
            .parent_id(&root)
            .name(name)
            .send()
            .await
            .with_context(|| format!("creating OU {name}"))?;
        let id = ou
            .organizational_unit()
            .and_then(|o| o.id())
            .ok_or_else(|| anyhow!("CreateOrganizationalUnit returned no id"))?;
        ous.insert(name, id.to_owned());
    }

    let mut accounts = Vec::new();
    for (name, ou, env) in [
        ("prod", "Workloads", "prod"),
        ("dev", "Workloads", "dev"),
        ("data", "Workloads", "data"),
        ("sandbox", "Sandbox", "sandbox"),
        ("retired", "Sandbox", "retired"),
    ] {
        let created = org
            .create_account()
            .account_name(name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .with_context(|| format!("creating account {name}"))?;
        let id = created
            .create_account_status()
            .and_then(|s| s.account_id())
            .ok_or_else(|| anyhow!("CreateAccount for {name} returned no account id"))?
            .to_owned();
        org.move_account()
            .account_id(&id)
            .source_parent_id(&root)
            .destination_parent_id(&ous[ou])
            .send()
            .await
            .with_context(|| format!("moving {name} into {ou}"))?;
        org.tag_resource()
            .resource_id(&id)
            .tags(OrgTag::builder().key("env").value(env).build()?)
            .send()
            .await
            .with_context(|| format!("tagging {name}"))?;
        accounts.push(DemoAccount {
            id,
            name: name.to_owned(),
            ou: ou.to_owned(),
            scan_role_usable: matches!(name, "prod" | "dev" | "data"),
            status: "ACTIVE".to_owned(),
        });
    }
    let id_of = |name: &str| {
        accounts
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.id.clone())
            .unwrap_or_default()
    };
    let (prod_id, dev_id, data_id) = (id_of("prod"), id_of("dev"), id_of("data"));
    let (sandbox_id, retired_id) = (id_of("sandbox"), id_of("retired"));

    // prod: a user AWS quarantined for an exposed key, a fresh key, a web server.
    let prod = Member::assume(endpoint, &admin, &prod_id).await?;
    prod.grant_scan_policy().await?;
    prod.user("legacy-ci").await?;
    prod.iam
        .attach_user_policy()
        .user_name("legacy-ci")
        .policy_arn(QUARANTINE_POLICY)
        .send()
        .await
        .context("attaching the quarantine policy (is MOTO_IAM_LOAD_MANAGED_POLICIES set?)")?;
    prod.access_key("legacy-ci").await?;
    prod.user("build-bot").await?;
    prod.access_key("build-bot").await?;
    let web = prod
        .instance(
            "us-east-1",
            InstanceType::T3Micro,
            &[("Name", "web-1"), ("team", "platform")],
        )
        .await?;
    // Snapshots shared outside and inside the organization, and resources in a third region.
    let snapshot_outside = prod.shared_snapshot("us-east-1", EXTERNAL_ACCOUNT).await?;
    let snapshot_inside = prod.shared_snapshot("us-east-1", &dev_id).await?;
    prod.key_pair("eu-west-1", "deploy").await?;
    prod.volume("eu-west-1").await?;
    // prod is run properly: an active trail and a security contact. dev's trail is stopped.
    prod.trail("prod-trail", true).await?;
    prod.security_contact().await?;
    // A role an account outside the organization may assume.
    prod.role_trusting("vendor-audit", EXTERNAL_ACCOUNT).await?;

    // dev: a console user without MFA (and one with), and an instance far away whose Name
    // tag is a script.
    let dev = Member::assume(endpoint, &admin, &dev_id).await?;
    dev.grant_scan_policy().await?;
    dev.user("alice").await?;
    dev.console_password("alice").await?;
    dev.user("bob").await?;
    dev.console_password("bob").await?;
    dev.mfa("bob").await?;
    let long = long_hostile_value();
    let mut far_tags = vec![("Name", XSS_PAYLOAD), ("Long", long.as_str())];
    far_tags.extend(HOSTILE_TAGS);
    let far = dev
        .instance("ap-southeast-2", InstanceType::T3Micro, &far_tags)
        .await?;
    // A GPU instance, the kind miners launch, where nobody looks.
    let miner = dev
        .instance(
            "ap-southeast-2",
            InstanceType::P32xlarge,
            &[("Name", "batch")],
        )
        .await?;
    dev.trail("dev-trail", false).await?;
    // Trust inside the organization is fine.
    dev.role_trusting("ci-deploy", &prod_id).await?;

    // data: the scan role works but is denied one API, so exactly the checks needing it
    // become gaps, region by region.
    let data = Member::assume(endpoint, &admin, &data_id).await?;
    data.grant_scan_policy().await?;
    let deny = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": DENIED_ACTION, "Resource": "*"}]
    });
    data.iam
        .put_role_policy()
        .role_name(SCAN_ROLE)
        .policy_name("deny-describe-instances")
        .policy_document(deny.to_string())
        .send()
        .await
        .context("denying the data account's scan role ec2:DescribeInstances")?;

    // sandbox: no usable scan role. The role is gone, and the scanner is denied assuming
    // any role there (moto lets AssumeRole succeed for a deleted role).
    let sandbox = Member::assume(endpoint, &admin, &sandbox_id).await?;
    sandbox
        .iam
        .delete_role()
        .role_name(SCAN_ROLE)
        .send()
        .await
        .context("deleting the sandbox scan role")?;

    // retired: closed, so Organizations reports it SUSPENDED.
    org.close_account()
        .account_id(&retired_id)
        .send()
        .await
        .context("closing the retired account")?;
    if let Some(retired) = accounts.iter_mut().find(|a| a.id == retired_id) {
        retired.status = "SUSPENDED".to_owned();
    }

    let (trail_logs, trail_log_events) = deliver_trail_log(&admin, &dev_id).await?;

    // Breadth incidents: compute in a region nobody uses, a database snapshot and a bucket
    // open to the world, and charges that spike (Cost Explorer's answers are queued).
    let far_region = "ap-southeast-2";
    let function = "thumbnailer";
    dev.lambda_function(far_region, function).await?;
    let notebook = "research-gpu";
    dev.notebook(far_region, notebook, "ml.p3.2xlarge").await?;
    let db_snapshot = prod
        .shared_db_snapshot("us-east-1", EXTERNAL_ACCOUNT)
        .await?;
    let bucket = format!("orgsweep-demo-public-{prod_id}");
    prod.public_bucket("eu-west-1", &bucket).await?;
    let costs = queue_costs(endpoint, &management_account_id, &dev_id, &prod_id)?;
    let lambda_function = (dev_id.clone(), far_region.to_owned(), function.to_owned());
    let sagemaker_notebook = (dev_id.clone(), far_region.to_owned(), notebook.to_owned());
    let rds_snapshot_shared_outside = (prod_id.clone(), "us-east-1".to_owned(), db_snapshot);
    let public_bucket = (prod_id.clone(), "eu-west-1".to_owned(), bucket);

    // The scanning identity: a real IAM user in the management account with exactly the
    // repository's scan policy and permission to assume the scan role.
    let iam = aws_sdk_iam::Client::new(&admin);
    let scanner = "orgsweep-scanner";
    iam.create_user()
        .user_name(scanner)
        .send()
        .await
        .context("creating the scanner user")?;
    iam.put_user_policy()
        .user_name(scanner)
        .policy_name("orgsweep-scan")
        .policy_document(SCAN_POLICY)
        .send()
        .await
        .context("granting the scanner the scan policy")?;
    iam.put_user_policy()
        .user_name(scanner)
        .policy_name("orgsweep-scan-moto-aliases")
        .policy_document(MOTO_ALIASES_POLICY)
        .send()
        .await
        .context("granting the scanner moto's spellings")?;
    iam.put_user_policy()
        .user_name(scanner)
        .policy_name("orgsweep-trail-logs")
        .policy_document(TRAIL_LOGS_POLICY.replace("<LOG_BUCKET>", TRAIL_LOG_BUCKET))
        .send()
        .await
        .context("letting the scanner read the organization trail's log files")?;
    let assume = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": format!("arn:aws:iam::*:role/{SCAN_ROLE}")},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": format!("arn:aws:iam::{sandbox_id}:role/*")}
        ]
    });
    iam.put_user_policy()
        .user_name(scanner)
        .policy_name("orgsweep-assume-scan-role")
        .policy_document(assume.to_string())
        .send()
        .await
        .context("letting the scanner assume the scan role")?;
    let key = iam
        .create_access_key()
        .user_name(scanner)
        .send()
        .await
        .context("creating the scanner's access key")?;
    let key = key
        .access_key()
        .ok_or_else(|| anyhow!("CreateAccessKey returned no key"))?;

    Ok(DemoOrg {
        endpoint: endpoint.to_owned(),
        management_account_id,
        scanner: ScannerCredentials {
            access_key_id: key.access_key_id().to_owned(),
            secret_access_key: key.secret_access_key().to_owned(),
        },
        accounts,
        expected_regions: vec!["eu-west-1".to_owned(), "us-east-1".to_owned()],
        scan_regions: vec![
            "ap-southeast-2".to_owned(),
            "eu-west-1".to_owned(),
            "us-east-1".to_owned(),
        ],
        planted: Planted {
            quarantined_user: (prod_id.clone(), "legacy-ci".to_owned()),
            new_access_key_user: (prod_id.clone(), "build-bot".to_owned()),
            console_user_without_mfa: (dev_id.clone(), "alice".to_owned()),
            console_user_with_mfa: (dev_id.clone(), "bob".to_owned()),
            external_trust_role: (prod_id.clone(), "vendor-audit".to_owned()),
            in_org_trust_role: (dev_id.clone(), "ci-deploy".to_owned()),
            snapshot_shared_outside: (prod_id.clone(), "us-east-1".to_owned(), snapshot_outside),
            snapshot_shared_inside: (prod_id.clone(), "us-east-1".to_owned(), snapshot_inside),
            mining_instance: (dev_id.clone(), "ap-southeast-2".to_owned(), miner),
            unexpected_region_instance: (dev_id.clone(), "ap-southeast-2".to_owned(), far),
            expected_region_instance: (prod_id, "us-east-1".to_owned(), web),
            unusable_account: sandbox_id,
            service_denied_account: (data_id, DENIED_ACTION.to_owned()),
            closed_account: retired_id,
            trail_logs,
            trail_log_events: (dev_id.clone(), trail_log_events),
            xss_payload: XSS_PAYLOAD.to_owned(),
            lambda_function,
            sagemaker_notebook,
            rds_snapshot_shared_outside,
            public_bucket,
            costs,
        },
    })
}

/// The organization trail's bucket and prefix in the demo (for `--cloudtrail-s3`).
pub const TRAIL_LOG_BUCKET: &str = "orgsweep-demo-org-trail";
const TRAIL_LOG_PREFIX: &str = "org";
/// The (fictional) organization id in the trail's delivery path.
const ORG_ID: &str = "o-demo000001";

/// Delivers one gzipped log file, as an organization trail would, with an intruder's write
/// events in `account` (and a read-only event that must be ignored).
async fn deliver_trail_log(
    admin: &SdkConfig,
    account: &str,
) -> anyhow::Result<(String, Vec<String>)> {
    use std::io::Write as _;

    let now = time::OffsetDateTime::now_utc();
    let at = |minutes: i64| {
        (now - time::Duration::minutes(minutes))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let user = serde_json::json!({"type": "IAMUser", "arn": format!("arn:aws:iam::{account}:user/mallory"),
        "accountId": account, "accessKeyId": "AKIAMALLORYEXAMPLE01", "userName": "mallory"});
    let record = |id: &str,
                  name: &str,
                  source: &str,
                  minutes: i64,
                  read_only: bool,
                  params: serde_json::Value| {
        serde_json::json!({"eventVersion": "1.09", "userIdentity": user, "eventTime": at(minutes),
            "eventSource": source, "eventName": name, "awsRegion": HOME_REGION,
            "sourceIPAddress": "198.51.100.23", "userAgent": "aws-cli/2.15.0", "requestParameters": params,
            "eventID": id, "readOnly": read_only, "eventType": "AwsApiCall", "recipientAccountId": account})
    };
    let log = serde_json::json!({"Records": [
        record("demo-1", "CreateAccessKey", "iam.amazonaws.com", 50, false, serde_json::json!({"userName": "admin"})),
        record("demo-2", "StopLogging", "cloudtrail.amazonaws.com", 40, false, serde_json::json!({"name": "org-trail"})),
        record("demo-3", "DescribeTrails", "cloudtrail.amazonaws.com", 30, true, serde_json::Value::Null),
    ]});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(log.to_string().as_bytes())?;
    let body = gz.finish()?;
    let date = now.date();
    let key = format!(
        "{TRAIL_LOG_PREFIX}/AWSLogs/{ORG_ID}/{account}/CloudTrail/{HOME_REGION}/{:04}/{:02}/{:02}/{account}_CloudTrail_{HOME_REGION}_demo.json.gz",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(admin)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(TRAIL_LOG_BUCKET)
        .send()
        .await
        .context("creating the trail log bucket")?;
    // The management account's organization trail delivers there: the scan finds it and
    // reads its files without being told (`--events auto`).
    aws_sdk_cloudtrail::Client::new(admin)
        .create_trail()
        .name("org-trail")
        .s3_bucket_name(TRAIL_LOG_BUCKET)
        .s3_key_prefix(TRAIL_LOG_PREFIX)
        .is_multi_region_trail(true)
        .is_organization_trail(true)
        .send()
        .await
        .context("creating the organization trail")?;
    aws_sdk_cloudtrail::Client::new(admin)
        .start_logging()
        .name("org-trail")
        .send()
        .await
        .context("starting the organization trail")?;
    s3.put_object()
        .bucket(TRAIL_LOG_BUCKET)
        .key(&key)
        .body(body.into())
        .send()
        .await
        .context("delivering the trail log file")?;
    Ok((
        format!("s3://{TRAIL_LOG_BUCKET}/{TRAIL_LOG_PREFIX}"),
        vec!["CreateAccessKey".to_owned(), "StopLogging".to_owned()],
    ))
}

/// Cost Explorer's names for the services the planted charges are on.
const EC2_SERVICE: &str = "Amazon Elastic Compute Cloud - Compute";
const SAGEMAKER_SERVICE: &str = "Amazon SageMaker";

/// Queues the answers moto's Cost Explorer gives orgsweep's four GetCostAndUsage requests
/// (`POST /moto-api/static/ce/cost-and-usage-results`): `spender`'s EC2 costs five times
/// more per day this month than last, it pays for SageMaker for the first time, and most of
/// its charges this month are in ap-southeast-2; `steady` spends the same every day.
///
/// moto hands out one queued answer per distinct request body, in the order requests
/// arrive, and then keeps answering that body with it. orgsweep sends the previous month by
/// SERVICE, by REGION, then the current month by SERVICE, by REGION, with bodies that only
/// depend on the date, so one queue serves every scan of the day; the answers are queued in
/// that order (the previous month's two only, on the 1st). Call it again after a date
/// change (UTC) to serve the new day's requests.
pub fn queue_costs(
    endpoint: &str,
    management_account: &str,
    spender: &str,
    steady: &str,
) -> anyhow::Result<CostIncidents> {
    let today = time::OffsetDateTime::now_utc().date();
    let first = today.replace_day(1)?;
    let previous_first = (first - time::Duration::days(1)).replace_day(1)?;
    let ymd = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let days = |a: time::Date, b: time::Date| (b - a).whole_days() as f64;
    let (previous_days, current_days) = (days(previous_first, first), days(first, today));
    let group = |account: &str, key: &str, amount: f64| {
        serde_json::json!({
            "Keys": [account, key],
            "Metrics": {"UnblendedCost": {"Amount": format!("{amount:.2}"), "Unit": "USD"}}
        })
    };
    let answer =
        |start: time::Date, end: time::Date, dimension: &str, groups: Vec<serde_json::Value>| {
            serde_json::json!({
                "GroupDefinitions": [
                    {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
                    {"Type": "DIMENSION", "Key": dimension}
                ],
                "ResultsByTime": [{
                    "TimePeriod": {"Start": ymd(start), "End": ymd(end)},
                    "Total": {},
                    "Groups": groups,
                    "Estimated": end == today
                }],
                "DimensionValueAttributes": []
            })
        };
    let (p, c) = (previous_days, current_days);
    let mut results = vec![
        answer(
            previous_first,
            first,
            "SERVICE",
            vec![
                group(spender, EC2_SERVICE, 10.0 * p),
                group(steady, EC2_SERVICE, 20.0 * p),
            ],
        ),
        answer(
            previous_first,
            first,
            "REGION",
            vec![
                group(spender, HOME_REGION, 10.0 * p),
                group(steady, HOME_REGION, 20.0 * p),
            ],
        ),
    ];
    let current_month_planted = first < today;
    if current_month_planted {
        results.push(answer(
            first,
            today,
            "SERVICE",
            vec![
                group(spender, EC2_SERVICE, 50.0 * c),
                group(spender, SAGEMAKER_SERVICE, 40.0 * c),
                group(steady, EC2_SERVICE, 20.0 * c),
            ],
        ));
        results.push(answer(
            first,
            today,
            "REGION",
            vec![
                group(spender, HOME_REGION, 10.0 * c),
                group(spender, "ap-southeast-2", 80.0 * c),
                group(steady, HOME_REGION, 20.0 * c),
            ],
        ));
    }
    ureq::post(format!(
        "{endpoint}/moto-api/static/ce/cost-and-usage-results"
    ))
    .header("Content-Type", "application/json")
    .send(serde_json::json!({"results": results, "account_id": management_account}).to_string())
    .with_context(|| format!("cannot queue Cost Explorer answers at {endpoint}"))?;
    Ok(CostIncidents {
        spike: (spender.to_owned(), EC2_SERVICE.to_owned()),
        new_service: (spender.to_owned(), SAGEMAKER_SERVICE.to_owned()),
        unexpected_region: (spender.to_owned(), "ap-southeast-2".to_owned()),
        current_month_planted,
    })
}

/// What [`change_resources`] did to the demo organization.
#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    /// A new instance: (account, region, id).
    pub added_instance: (String, String, String),
    /// A deleted key pair: (account, region, name).
    pub removed_key_pair: (String, String, String),
}

/// Changes the seeded organization the way a week does: one instance more, one key pair
/// less. Needs the emulator without IAM enforcement (the scan roles only read).
pub async fn change_resources(org: &DemoOrg) -> anyhow::Result<Changes> {
    let admin = sdk_config(&org.endpoint, admin_credentials(), HOME_REGION);
    let prod_id = &org.planted.quarantined_user.0;
    let prod = Member::assume(&org.endpoint, &admin, prod_id).await?;
    let region = "eu-west-1";
    let added = prod
        .instance(region, InstanceType::T3Small, &[("Name", "new-worker")])
        .await?;
    prod.ec2(region)
        .delete_key_pair()
        .key_name("deploy")
        .send()
        .await
        .context("deleting key pair deploy")?;
    Ok(Changes {
        added_instance: (prod_id.clone(), region.to_owned(), added),
        removed_key_pair: (prod_id.clone(), region.to_owned(), "deploy".to_owned()),
    })
}

/// A responder identity and a remediation role, for `orgsweep remediate`: a user in the
/// management account with the remediation policy, allowed to assume the dedicated
/// remediation role, created with that policy in every member account whose scan role is
/// usable. The scan role stays read-only. Needs the emulator without IAM enforcement.
pub async fn add_responder(org: &DemoOrg) -> anyhow::Result<ScannerCredentials> {
    let admin = sdk_config(&org.endpoint, admin_credentials(), HOME_REGION);
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{}:root", org.management_account_id)},
            "Action": "sts:AssumeRole"
        }]
    });
    for account in org.accounts.iter().filter(|a| a.scan_role_usable) {
        let member = Member::assume(&org.endpoint, &admin, &account.id).await?;
        member
            .iam
            .create_role()
            .role_name(REMEDIATION_ROLE)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .with_context(|| format!("creating {REMEDIATION_ROLE} in {}", account.id))?;
        member
            .iam
            .put_role_policy()
            .role_name(REMEDIATION_ROLE)
            .policy_name("orgsweep-remediation")
            .policy_document(REMEDIATION_POLICY)
            .send()
            .await
            .with_context(|| format!("granting {REMEDIATION_ROLE} its policy in {}", account.id))?;
    }
    let iam = aws_sdk_iam::Client::new(&admin);
    let responder = "orgsweep-responder";
    iam.create_user()
        .user_name(responder)
        .send()
        .await
        .context("creating the responder user")?;
    iam.put_user_policy()
        .user_name(responder)
        .policy_name("orgsweep-remediation")
        .policy_document(REMEDIATION_POLICY)
        .send()
        .await
        .context("granting the responder the remediation policy")?;
    let assume = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": format!("arn:aws:iam::*:role/{REMEDIATION_ROLE}")},
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
        ]
    });
    iam.put_user_policy()
        .user_name(responder)
        .policy_name("orgsweep-assume-remediation-role")
        .policy_document(assume.to_string())
        .send()
        .await
        .context("letting the responder assume the remediation role")?;
    let key = iam
        .create_access_key()
        .user_name(responder)
        .send()
        .await
        .context("creating the responder's access key")?;
    let key = key
        .access_key()
        .ok_or_else(|| anyhow!("CreateAccessKey returned no key"))?;
    Ok(ScannerCredentials {
        access_key_id: key.access_key_id().to_owned(),
        secret_access_key: key.secret_access_key().to_owned(),
    })
}

/// Session credentials of the scan role in a member account (access key, secret, token),
/// as moto's default identity gets them: for tests of what a member-account caller sees.
/// Needs the emulator without IAM enforcement.
pub async fn member_credentials(
    org: &DemoOrg,
    account: &str,
) -> anyhow::Result<(String, String, String)> {
    let admin = sdk_config(&org.endpoint, admin_credentials(), HOME_REGION);
    let member = Member::assume(&org.endpoint, &admin, account).await?;
    let c = &member.credentials;
    Ok((
        c.access_key_id().to_owned(),
        c.secret_access_key().to_owned(),
        c.session_token().unwrap_or_default().to_owned(),
    ))
}
