//! What an account holds outside its regions' resources: S3 buckets (ListBuckets is global),
//! its charges as Cost Explorer reports them, and the organization's AWS Health events.
//! Everything is a pure function of the seed and the account, computed when asked.

use crate::clock::{DAY, days};
use crate::org::{EXPECTED_COMPUTE_REGIONS, Kind, Org, SPIKE_SERVICES};
use crate::rng::{Rng, hash, hex};

/// The four settings of a public access block, in S3's order: BlockPublicAcls,
/// IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
pub(crate) type AccessBlock = [bool; 4];

pub(crate) const BLOCK_ALL: AccessBlock = [true; 4];

#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    pub(crate) name: String,
    pub(crate) region: u16,
    pub(crate) created: i64,
    /// `None`: no bucket policy; `Some(public)`: GetBucketPolicyStatus' IsPublic.
    pub(crate) policy: Option<bool>,
    /// `None`: no public access block configuration on the bucket.
    pub(crate) block: Option<AccessBlock>,
    pub(crate) tags: Vec<(&'static str, String)>,
}

const PURPOSES: [&str; 6] = [
    "assets",
    "backups",
    "logs",
    "data-lake",
    "artifacts",
    "exports",
];

/// The account's buckets: one to four ordinary ones (all blocked since creation, some
/// with a private policy), plus the planted public ones.
pub(crate) fn buckets(org: &Org, account: usize) -> Vec<Bucket> {
    let seed = org.spec.seed;
    let acct = &org.accounts[account].id;
    let mut rng = Rng::new(hash(&[seed, 50, account as u64]));
    let n_regions = org.spec.regions.len() as u64;
    let mut out = Vec::new();
    let count = rng.range(1, 4);
    for k in 0..count {
        let purpose = PURPOSES[(k as usize + rng.below(6) as usize) % PURPOSES.len()];
        let region = if rng.chance(700) {
            org.home_region
        } else {
            rng.below(n_regions) as u16
        };
        let mut tags = Vec::new();
        if rng.chance(500) {
            tags.push(("owner", format!("team-{}", rng.below(40))));
        }
        out.push(Bucket {
            name: format!("{purpose}-{acct}-{k}"),
            region,
            created: org.epoch - days(rng.range(60, 1500)),
            policy: rng.chance(400).then_some(false),
            block: Some(BLOCK_ALL),
            tags,
        });
    }
    for i in org.incidents(account) {
        if i.kind == Kind::PublicBucket {
            out.push(Bucket {
                name: i.resource_id.clone(),
                region: i.region.unwrap_or(org.home_region),
                created: org.epoch - days(200),
                policy: Some(true),
                // Switched off in part: the two settings that let a public policy work.
                block: Some([true, true, false, false]),
                tags: vec![("purpose", "partner-exchange".to_owned())],
            });
        }
    }
    out
}

/// The account-level public access block (s3control): on in most accounts, never in one
/// with a planted public bucket (it would protect the bucket).
pub(crate) fn account_block(org: &Org, account: usize) -> Option<AccessBlock> {
    if org
        .incidents(account)
        .iter()
        .any(|i| i.kind == Kind::PublicBucket)
    {
        return None;
    }
    let h = hash(&[org.spec.seed, 51, account as u64]);
    (h % 10 < 6).then_some(BLOCK_ALL)
}

/// One line of the account's bill: a service charged in a region at a daily rate, last
/// month and this month (USD per day).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Charge {
    pub(crate) service: &'static str,
    pub(crate) region: &'static str,
    pub(crate) previous: f64,
    pub(crate) current: f64,
}

/// Background services: (Cost Explorer `SERVICE`, whether it is billed in a region).
const BILLED: [(&str, bool); 9] = [
    ("Amazon Elastic Compute Cloud - Compute", true),
    ("EC2 - Other", true),
    ("Amazon Simple Storage Service", true),
    ("Amazon Relational Database Service", true),
    ("AWS Lambda", true),
    ("Amazon CloudWatch", true),
    ("AWS Key Management Service", true),
    ("AWS CloudTrail", true),
    ("AWS Config", true),
];

/// The account's charges: a steady bill (this month within ±30 % of last month's daily
/// rate) in the expected regions, and each planted spike at eight times its rate (a
/// service the account already paid for, so it is a spike, not new spend).
pub(crate) fn charges(org: &Org, account: usize) -> Vec<Charge> {
    let mut rng = Rng::new(hash(&[org.spec.seed, 52, account as u64]));
    let home = *rng.pick(&EXPECTED_COMPUTE_REGIONS);
    let mut out: Vec<Charge> = Vec::new();
    for (service, _) in BILLED {
        if service != BILLED[0].0 && !rng.chance(700) {
            continue;
        }
        let previous = 1.0 + rng.below(6000) as f64 / 100.0;
        let drift = 0.7 + rng.below(60) as f64 / 100.0;
        out.push(Charge {
            service,
            region: home,
            previous,
            current: previous * drift,
        });
    }
    out.push(Charge {
        service: "Tax",
        region: "NoRegion",
        previous: 2.5,
        current: 2.5,
    });
    for i in org.incidents(account) {
        if i.kind != Kind::SpendSpike {
            continue;
        }
        let region = EXPECTED_COMPUTE_REGIONS
            .into_iter()
            .find(|r| *r == i.detail)
            .unwrap_or(home);
        let before = 20.0 + rng.below(4000) as f64 / 100.0;
        match out
            .iter_mut()
            .find(|c| c.service == i.resource_id && c.region == region)
        {
            Some(c) => {
                c.previous = c.previous.max(before);
                c.current = c.previous * 8.0;
            }
            None => out.push(Charge {
                service: SPIKE_SERVICES
                    .into_iter()
                    .find(|s| *s == i.resource_id)
                    .unwrap_or(SPIKE_SERVICES[0]),
                region,
                previous: before,
                current: before * 8.0,
            }),
        }
    }
    out
}

/// One AWS Health event of the organizational view.
#[derive(Debug, Clone)]
pub(crate) struct HealthEvent {
    pub(crate) arn: String,
    pub(crate) service: &'static str,
    pub(crate) code: &'static str,
    /// `issue`, `accountNotification`, `scheduledChange`.
    pub(crate) category: &'static str,
    /// `ACCOUNT_SPECIFIC` or `PUBLIC`.
    pub(crate) scope: &'static str,
    /// A region code, or `global`.
    pub(crate) region: String,
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
    pub(crate) updated: i64,
    /// `open`, `closed`, `upcoming`.
    pub(crate) status: &'static str,
    /// Affected accounts (indices), sorted.
    pub(crate) accounts: Vec<usize>,
    pub(crate) description: String,
}

/// The organization's Health events, newest first: a few operational ones (a public
/// issue, scheduled maintenance affecting some accounts) and each planted risk event.
pub(crate) fn health_events(org: &Org) -> Vec<HealthEvent> {
    let seed = org.spec.seed;
    let epoch = org.epoch;
    let n = org.accounts.len() as u64;
    let mut rng = Rng::new(hash(&[seed, 53]));
    let home = org.region_name(org.home_region).to_owned();
    let mut out = Vec::new();
    let affected = |rng: &mut Rng, k: u64| {
        let mut v: Vec<usize> = (0..k.min(n)).map(|_| rng.below(n) as usize).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let id = |k: u64| hex(hash(&[seed, 54, k]), 32);
    out.push(HealthEvent {
        arn: format!(
            "arn:aws:health:{home}::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_{}",
            id(1)
        ),
        service: "EC2",
        code: "AWS_EC2_OPERATIONAL_ISSUE",
        category: "issue",
        scope: "PUBLIC",
        region: home.clone(),
        start: epoch - days(9),
        end: Some(epoch - days(9) + 7_200),
        updated: epoch - days(9) + 7_200,
        status: "closed",
        accounts: Vec::new(),
        description: "Between 10:02 AM and 11:40 AM PDT we experienced increased API error rates in a single Availability Zone. The issue has been resolved.".to_owned(),
    });
    out.push(HealthEvent {
        arn: format!(
            "arn:aws:health:{home}::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_{}",
            id(2)
        ),
        service: "EC2",
        code: "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
        category: "scheduledChange",
        scope: "ACCOUNT_SPECIFIC",
        region: home.clone(),
        start: epoch + days(12),
        end: None,
        updated: epoch - days(2),
        status: "upcoming",
        accounts: affected(&mut rng, 3),
        description: "One or more of your Amazon EC2 instances is scheduled for retirement because of a hardware degradation.".to_owned(),
    });
    out.push(HealthEvent {
        arn: format!(
            "arn:aws:health:{home}::event/RDS/AWS_RDS_PLANNED_LIFECYCLE_EVENT/AWS_RDS_PLANNED_LIFECYCLE_EVENT_{}",
            id(3)
        ),
        service: "RDS",
        code: "AWS_RDS_PLANNED_LIFECYCLE_EVENT",
        category: "accountNotification",
        scope: "ACCOUNT_SPECIFIC",
        region: home,
        start: epoch - days(20),
        end: None,
        updated: epoch - days(20),
        status: "open",
        accounts: affected(&mut rng, 1 + n / 20),
        description: "Your RDS for PostgreSQL 12 databases reach the end of standard support; upgrade them to a newer major version.".to_owned(),
    });
    for (account, a) in org.accounts.iter().enumerate() {
        for i in org.incidents(account) {
            if i.kind != Kind::HealthRisk {
                continue;
            }
            let start = epoch - days(3) - i.ordinal as i64 * 600;
            out.push(HealthEvent {
                arn: i.resource_id.clone(),
                service: "RISK",
                code: "AWS_RISK_CREDENTIALS_EXPOSED",
                category: "issue",
                scope: "ACCOUNT_SPECIFIC",
                region: "global".to_owned(),
                start,
                end: None,
                updated: start + DAY / 4,
                status: "open",
                accounts: vec![account],
                description: format!(
                    "We have become aware that the AWS Access Key {} belonging to IAM User {}, along with the corresponding Secret Key, is publicly available online, for example on GitHub. This poses a security risk to your account {} and other users. Please rotate the key and review your account's activity.",
                    i.detail, i.name, a.id
                ),
            });
        }
    }
    out.sort_by(|a, b| b.start.cmp(&a.start).then_with(|| a.arn.cmp(&b.arn)));
    out
}
