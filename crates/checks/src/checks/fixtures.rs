//! Hand-written facts for the checks' unit tests.

use std::collections::BTreeMap;

use orgsweep_model::facts::{
    AccessKey, AccessKeySlot, AccountSpend, AttachedPolicies, CredentialReport,
    CredentialReportRow, Ec2Resource, Facts, GuardDutyFinding, HealthEvent,
    IamAuthorizationDetails, IamRole, IamUser, LastAccessed, MonthSpend, PublicAccessBlock,
    S3Bucket, ServiceAccess,
};
use time::{Duration, OffsetDateTime, macros::datetime};

use crate::{Check, CheckError, Context, FindingDraft, Known, Settings};

pub const ACCOUNT: &str = "111111111111";
pub const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

pub fn days_ago(days: i64) -> Option<OffsetDateTime> {
    Some(NOW - Duration::days(days))
}

pub fn user(name: &str) -> IamUser {
    IamUser {
        name: name.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        path: "/".to_owned(),
        created_at: days_ago(400),
        policies: AttachedPolicies::default(),
        groups: Vec::new(),
    }
}

pub fn row(user: &str) -> CredentialReportRow {
    CredentialReportRow {
        user: user.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{user}"),
        user_creation_time: days_ago(400),
        password_enabled: Some(false),
        password_last_used: None,
        mfa_active: false,
        access_keys: [AccessKeySlot::default(), AccessKeySlot::default()],
    }
}

pub fn report(rows: Vec<CredentialReportRow>) -> Facts {
    Facts {
        credential_report: Some(CredentialReport {
            generated_at: Some(NOW),
            rows,
        }),
        ..Facts::default()
    }
}

/// Evaluates `check` on `facts` in a 7-day window with the given expected regions.
pub fn evaluate(
    check: &dyn Check,
    facts: &Facts,
    region: &str,
    expected: &[String],
) -> Result<Vec<FindingDraft>, CheckError> {
    let settings = Settings {
        expected_regions: expected.to_vec(),
        ..Settings::default()
    };
    evaluate_with(check, facts, region, &settings)
}

/// Evaluates `check` on `facts` with explicit settings.
pub fn evaluate_with(
    check: &dyn Check,
    facts: &Facts,
    region: &str,
    settings: &Settings,
) -> Result<Vec<FindingDraft>, CheckError> {
    check.evaluate(&Context {
        account_id: ACCOUNT,
        region,
        now: NOW,
        settings,
        facts,
    })
}

/// An instance with a Name tag that is markup (the HTML must escape it).
pub fn instance(id: &str, instance_type: &str, state: &str) -> orgsweep_model::facts::Ec2Instance {
    orgsweep_model::facts::Ec2Instance {
        instance_id: id.to_owned(),
        instance_type: instance_type.to_owned(),
        state: state.to_owned(),
        launch_time: days_ago(1),
        image_id: Some("ami-1".to_owned()),
        key_name: None,
        instance_profile_arn: None,
        tags: std::collections::BTreeMap::from([("Name".to_owned(), "<b>x</b>".to_owned())]),
    }
}

/// A region's facts with every resource source collected (empty but for `instances`).
pub fn full_inventory(instances: Vec<orgsweep_model::facts::Ec2Instance>) -> Facts {
    Facts {
        ec2_instances: Some(instances),
        ec2_resources: orgsweep_model::facts::ResourceKind::ALL
            .into_iter()
            .map(|k| (k, Vec::new()))
            .collect(),
        ..Facts::default()
    }
}

/// A resource of any non-instance kind, created a year ago, with an optional size.
pub fn other(id: &str, state: &str, instance_type: Option<&str>) -> Ec2Resource {
    Ec2Resource {
        id: id.to_owned(),
        created_at: days_ago(365),
        state: Some(state.to_owned()),
        tags: BTreeMap::new(),
        shared_with: Vec::new(),
        instance_type: instance_type.map(str::to_owned),
    }
}

/// A month of spend in Cost Explorer's shapes: `SERVICE` and `REGION` group keys, USD.
pub fn month(
    start: &str,
    days: u32,
    services: &[(&str, f64)],
    regions: &[(&str, f64)],
) -> MonthSpend {
    let map = |pairs: &[(&str, f64)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect::<BTreeMap<_, _>>()
    };
    MonthSpend {
        start: start.to_owned(),
        days,
        services: map(services),
        regions: map(regions),
    }
}

/// Facts holding only the account's spend: October in full, November to the 23rd.
pub fn spend(previous: MonthSpend, current: MonthSpend) -> Facts {
    Facts {
        account_spend: Some(AccountSpend {
            previous_month: previous,
            current_month: current,
        }),
        ..Facts::default()
    }
}

/// A Health event of the organizational view as DescribeEventsForOrganization and
/// DescribeEventDetailsForOrganization describe it.
pub fn health_event(code: &str, status: &str, description: &str) -> HealthEvent {
    let service = code
        .strip_prefix("AWS_")
        .and_then(|rest| rest.split('_').next())
        .unwrap_or("")
        .to_owned();
    HealthEvent {
        arn: format!(
            "arn:aws:health:global::event/{service}/{code}/{code}_{}",
            "a1b2c3d4-5678-90ab-cdef-111111111111"
        ),
        event_type_code: code.to_owned(),
        service,
        region: "global".to_owned(),
        start_time: days_ago(2),
        status: status.to_owned(),
        description: description.to_owned(),
    }
}

/// A GuardDuty finding as GetFindings returns it.
pub fn guardduty_finding(id: &str, finding_type: &str, severity: f64) -> GuardDutyFinding {
    GuardDutyFinding {
        id: id.to_owned(),
        finding_type: finding_type.to_owned(),
        severity,
        title: format!("{finding_type} was observed"),
        resource_type: "AccessKey".to_owned(),
        resource_id: Some("AKIAIOSFODNN7EXAMPLE".to_owned()),
        updated_at: days_ago(1),
    }
}

/// A bucket as ListBuckets, GetBucketLocation, GetBucketPolicyStatus and
/// GetPublicAccessBlock describe it.
pub fn bucket(
    name: &str,
    policy_public: Option<bool>,
    block: Option<PublicAccessBlock>,
) -> S3Bucket {
    S3Bucket {
        name: name.to_owned(),
        region: "eu-west-1".to_owned(),
        created_at: days_ago(30),
        policy_public,
        block_public_access: block,
        tags: BTreeMap::new(),
    }
}

/// A public access block with every setting on.
pub const BLOCK_ALL: PublicAccessBlock = PublicAccessBlock {
    block_public_acls: true,
    ignore_public_acls: true,
    block_public_policy: true,
    restrict_public_buckets: true,
};

/// The intruder's user of [`incident`].
pub const MALLORY: &str = "arn:aws:iam::111111111111:user/mallory";
/// The intruder's role of [`incident`].
pub const BACKDOOR: &str = "arn:aws:iam::111111111111:role/backdoor";
/// An account outside the organization.
pub const OUTSIDE: &str = "999999999999";

/// One intruder's traces, which every IAM check that shows last use reports: user mallory,
/// created yesterday, quarantined, with a console password and no MFA and an access key
/// (`AKIAMALLORY`) created yesterday; role backdoor, created yesterday, used two days ago
/// (RoleLastUsed), trusting an account outside the organization. An empty baseline knows
/// neither. No last-accessed data: add it with [`with_accessed`].
pub fn incident() -> (Facts, Settings) {
    let mut mallory = user("mallory");
    mallory.created_at = days_ago(1);
    mallory
        .policies
        .managed_arns
        .push("arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3".to_owned());
    let backdoor = IamRole {
        name: "backdoor".to_owned(),
        arn: BACKDOOR.to_owned(),
        path: "/".to_owned(),
        created_at: days_ago(1),
        policies: AttachedPolicies {
            managed_arns: vec!["arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3".to_owned()],
            inline_names: Vec::new(),
        },
        trust_policy: Some(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{OUTSIDE}:root")}, "Action": "sts:AssumeRole"}]
        })),
        trust_policy_error: None,
        last_used_at: days_ago(2),
    };
    let mut r = row("mallory");
    r.user_creation_time = days_ago(1);
    r.password_enabled = Some(true);
    r.access_keys[0].active = true;
    r.access_keys[0].last_rotated = days_ago(1);
    let facts = Facts {
        iam_authorization_details: Some(IamAuthorizationDetails {
            users: vec![mallory],
            roles: vec![backdoor],
            ..IamAuthorizationDetails::default()
        }),
        credential_report: Some(CredentialReport {
            generated_at: Some(NOW),
            rows: vec![r],
        }),
        access_keys: Some(vec![AccessKey {
            user: "mallory".to_owned(),
            access_key_id: "AKIAMALLORY".to_owned(),
            active: true,
            created_at: days_ago(1),
        }]),
        ..Facts::default()
    };
    let settings = Settings {
        known: Some(Known::default()),
        organization_accounts: [ACCOUNT.to_owned()].into(),
        ..Settings::default()
    };
    (facts, settings)
}

/// IAM's last-accessed data of one principal: each service with the days since its last
/// use (`None`: not used in IAM's tracking period).
pub fn accessed(arn: &str, services: &[(&str, Option<i64>)]) -> (String, LastAccessed) {
    let services: Vec<ServiceAccess> = services
        .iter()
        .map(|(namespace, days)| ServiceAccess {
            namespace: (*namespace).to_owned(),
            last_authenticated: days.and_then(days_ago),
        })
        .collect();
    (
        arn.to_owned(),
        LastAccessed {
            principal_arn: arn.to_owned(),
            last_used: services.iter().filter_map(|s| s.last_authenticated).max(),
            services,
        },
    )
}

/// `facts` with the given last-accessed data (collected, possibly for nobody).
pub fn with_accessed(mut facts: Facts, entries: Vec<(String, LastAccessed)>) -> Facts {
    facts.last_accessed = Some(entries.into_iter().collect::<BTreeMap<_, _>>());
    facts
}

/// [`incident`] with last-accessed data: mallory used ec2 (1 day ago) and iam (2) inside the
/// window and s3 (30) before it; backdoor used sts (3) and never s3.
pub fn incident_with_usage() -> (Facts, Settings) {
    let (facts, settings) = incident();
    let facts = with_accessed(
        facts,
        vec![
            accessed(
                MALLORY,
                &[("ec2", Some(1)), ("iam", Some(2)), ("s3", Some(30))],
            ),
            accessed(BACKDOOR, &[("sts", Some(3)), ("s3", None)]),
        ],
    );
    (facts, settings)
}

/// The one finding of `drafts` about `resource_id`.
pub fn about<'d>(drafts: &'d [FindingDraft], resource_id: &str) -> &'d FindingDraft {
    let found: Vec<&FindingDraft> = drafts
        .iter()
        .filter(|d| d.resource_id == resource_id)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one finding about {resource_id}: {drafts:?}"
    );
    found[0]
}
