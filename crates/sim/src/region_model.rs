//! One account-region's resources and management events. Most account-regions hold
//! nothing (their answers are shared, pre-rendered empty bodies); about one in fifty holds a
//! few resources and one in a thousand hundreds.

// `*rng.pick(&[..])` into a `&str` field: without the `*` the element type is inferred as
// `str`, so the deref clippy calls needless is what makes the code compile.
#![allow(clippy::explicit_auto_deref)]

use crate::clock::{DAY, days};
use crate::org::{Kind, Org};
use crate::rng::{Rng, hash, hex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    Empty,
    Few,
    Heavy,
}

pub(crate) fn tier(org: &Org, account: usize, region: u16) -> Tier {
    let roll = hash(&[org.spec.seed, 30, account as u64, u64::from(region)]) % 1000;
    let t = match roll {
        0 => Tier::Heavy,
        1..=20 => Tier::Few,
        _ => Tier::Empty,
    };
    if t == Tier::Empty && org.incidents_in(account, region).next().is_some() {
        Tier::Few
    } else {
        t
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub(crate) id: String,
    pub(crate) itype: &'static str,
    pub(crate) state: (&'static str, u8),
    pub(crate) launched: i64,
    pub(crate) image: String,
    pub(crate) key_name: Option<String>,
    pub(crate) profile: Option<String>,
    pub(crate) name: String,
    pub(crate) subnet: String,
    pub(crate) vpc: String,
    pub(crate) ip: String,
    pub(crate) az: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Volume {
    pub(crate) id: String,
    pub(crate) size: u32,
    pub(crate) state: &'static str,
    pub(crate) created: i64,
    pub(crate) az: String,
    pub(crate) attached_to: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub(crate) id: String,
    pub(crate) volume: String,
    pub(crate) size: u32,
    pub(crate) created: i64,
    /// Account ids with createVolumePermission.
    pub(crate) shared_with: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Image {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created: i64,
    /// Shared with the own organization (by its ARN).
    pub(crate) org_shared: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Simple {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created: i64,
    pub(crate) state: &'static str,
    pub(crate) vpc: String,
    pub(crate) flag: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) id: String,
    pub(crate) name: &'static str,
    pub(crate) source: &'static str,
    pub(crate) time: i64,
    /// `IAMUser` or `AssumedRole`.
    pub(crate) principal_type: &'static str,
    pub(crate) principal_arn: String,
    pub(crate) user_name: String,
    pub(crate) access_key: String,
    pub(crate) resource: Option<(&'static str, &'static str, String)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct RegionData {
    pub(crate) instances: Vec<Instance>,
    pub(crate) volumes: Vec<Volume>,
    pub(crate) snapshots: Vec<Snapshot>,
    pub(crate) images: Vec<Image>,
    /// flag: unused
    pub(crate) key_pairs: Vec<Simple>,
    /// name: public ip, vpc: association id (empty if none), flag: associated
    pub(crate) addresses: Vec<Simple>,
    /// flag: the VPC's default group
    pub(crate) security_groups: Vec<Simple>,
    /// name: CIDR, flag: the default VPC
    pub(crate) vpcs: Vec<Simple>,
    pub(crate) launch_templates: Vec<Simple>,
    pub(crate) spot_requests: Vec<Simple>,
    pub(crate) nat_gateways: Vec<Simple>,
    /// Newest first, as LookupEvents returns them.
    pub(crate) events: Vec<Event>,
    /// Lambda functions (size: runtime, detail: memory in MB).
    pub(crate) lambdas: Vec<Item>,
    pub(crate) ecs_clusters: Vec<EcsCluster>,
    /// EKS clusters (size: Kubernetes version).
    pub(crate) eks_clusters: Vec<Item>,
    /// SageMaker notebook instances, training jobs and endpoints (size: `ml.*` type).
    pub(crate) notebooks: Vec<Item>,
    pub(crate) training_jobs: Vec<Item>,
    pub(crate) endpoints: Vec<Item>,
    /// Lightsail instances (size: bundle id, detail: blueprint).
    pub(crate) lightsail: Vec<Item>,
    /// RDS DB instances (size: class, detail: engine).
    pub(crate) db_instances: Vec<Item>,
    /// Manual RDS DB snapshots.
    pub(crate) db_snapshots: Vec<DbSnapshot>,
    /// GuardDuty findings (none archived).
    pub(crate) findings: Vec<Finding>,
}

/// A resource of another service: its name, creation, state in the service's own words,
/// and its size where it has one.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) name: String,
    pub(crate) created: i64,
    pub(crate) state: &'static str,
    pub(crate) size: &'static str,
    pub(crate) detail: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct EcsCluster {
    pub(crate) name: String,
    pub(crate) tasks: Vec<EcsTask>,
}

#[derive(Debug, Clone)]
pub(crate) struct EcsTask {
    /// The task id (the ARN's last segment).
    pub(crate) id: String,
    pub(crate) family: &'static str,
    pub(crate) created: i64,
    pub(crate) gpus: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct DbSnapshot {
    pub(crate) id: String,
    pub(crate) instance: String,
    pub(crate) engine: &'static str,
    pub(crate) created: i64,
    /// Account ids with the `restore` attribute (`all` when public).
    pub(crate) shared_with: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) id: String,
    pub(crate) kind: &'static str,
    pub(crate) severity: f64,
    pub(crate) title: &'static str,
    /// `AccessKey` (resource_id: the key, user: its user) or `Instance`.
    pub(crate) resource_type: &'static str,
    pub(crate) resource_id: String,
    pub(crate) user: String,
    pub(crate) created: i64,
    pub(crate) updated: i64,
}

/// The default VPC and its default security group, which every account-region has.
pub(crate) fn default_vpc(org: &Org, account: usize, region: u16) -> (Simple, Simple) {
    let h = hash(&[org.spec.seed, 31, account as u64, u64::from(region)]);
    let vpc = format!("vpc-{}", hex(h, 8));
    (
        Simple {
            id: vpc.clone(),
            name: "172.31.0.0/16".to_owned(),
            created: 0,
            state: "available",
            vpc: vpc.clone(),
            flag: true,
        },
        Simple {
            id: format!("sg-{}", hex(h ^ 1, 17)),
            name: "default".to_owned(),
            created: 0,
            state: "",
            vpc,
            flag: true,
        },
    )
}

const TYPES: [&str; 10] = [
    "t3.micro",
    "t3.small",
    "t3.medium",
    "m5.large",
    "m5.xlarge",
    "c5.large",
    "c5.2xlarge",
    "r5.large",
    "t4g.small",
    "m6i.large",
];
const BENIGN_EVENTS: [(&str, &str, Option<&str>); 8] = [
    (
        "CreateTags",
        "ec2.amazonaws.com",
        Some("AWS::EC2::Instance"),
    ),
    (
        "StartInstances",
        "ec2.amazonaws.com",
        Some("AWS::EC2::Instance"),
    ),
    (
        "StopInstances",
        "ec2.amazonaws.com",
        Some("AWS::EC2::Instance"),
    ),
    (
        "CreateSnapshot",
        "ec2.amazonaws.com",
        Some("AWS::EC2::Volume"),
    ),
    ("PutParameter", "ssm.amazonaws.com", None),
    ("PutMetricAlarm", "monitoring.amazonaws.com", None),
    ("CreateLogStream", "logs.amazonaws.com", None),
    ("UpdateFunctionConfiguration", "lambda.amazonaws.com", None),
];

fn count(rng: &mut Rng, tier: Tier, few: (u64, u64), heavy: (u64, u64)) -> usize {
    match tier {
        Tier::Empty => 0,
        Tier::Few => rng.range(few.0, few.1) as usize,
        Tier::Heavy => rng.range(heavy.0, heavy.1) as usize,
    }
}

pub(crate) fn generate(org: &Org, account: usize, region: u16, tier: Tier) -> RegionData {
    let seed = org.spec.seed;
    let epoch = org.epoch;
    let acct = &org.accounts[account].id;
    let region_name = org.region_name(region).to_owned();
    let mut rng = Rng::new(hash(&[seed, 32, account as u64, u64::from(region)]));
    let mut n = 0u64;
    let mut next_id = |prefix: &str, len: usize| {
        n += 1;
        format!(
            "{prefix}{}",
            hex(hash(&[seed, 33, account as u64, u64::from(region), n]), len)
        )
    };
    let azs = ["a", "b", "c"];
    let (default_vpc, default_sg) = default_vpc(org, account, region);
    let mut d = RegionData::default();

    d.vpcs.push(default_vpc.clone());
    for _ in 0..count(&mut rng, tier, (0, 1), (2, 8)) {
        let id = next_id("vpc-0", 16);
        d.security_groups.push(Simple {
            id: next_id("sg-0", 16),
            name: "default".to_owned(),
            created: 0,
            state: "",
            vpc: id.clone(),
            flag: true,
        });
        d.vpcs.push(Simple {
            name: format!("10.{}.0.0/16", rng.below(250)),
            id: id.clone(),
            created: 0,
            state: "available",
            vpc: id,
            flag: false,
        });
    }
    d.security_groups.insert(0, default_sg);
    let vpc_of =
        |rng: &mut Rng, d: &RegionData| d.vpcs[rng.below(d.vpcs.len() as u64) as usize].id.clone();

    for k in 0..count(&mut rng, tier, (0, 5), (100, 300)) {
        let vpc = vpc_of(&mut rng, &d);
        let running = rng.chance(800);
        d.instances.push(Instance {
            id: next_id("i-0", 16),
            itype: TYPES[rng.below(TYPES.len() as u64) as usize],
            state: if running {
                ("running", 16)
            } else {
                ("stopped", 80)
            },
            launched: epoch - days(rng.range(40, 900)),
            image: next_id("ami-0", 16),
            key_name: rng.chance(500).then(|| format!("deploy-{}", rng.below(5))),
            profile: rng.chance(600).then(|| {
                format!(
                    "arn:aws:iam::{acct}:instance-profile/app-profile-{}",
                    rng.below(4)
                )
            }),
            name: format!("app-{k}"),
            subnet: next_id("subnet-0", 16),
            vpc,
            ip: format!("10.0.{}.{}", rng.below(250), 1 + rng.below(250)),
            az: format!("{region_name}{}", rng.pick(&azs)),
        });
    }
    for incident in org.incidents_in(account, region) {
        if incident.kind == Kind::Mining {
            let vpc = vpc_of(&mut rng, &d);
            d.instances.push(Instance {
                id: incident.resource_id.clone(),
                itype: "p3.16xlarge",
                state: ("running", 16),
                launched: epoch - days(1) - 7_200,
                image: next_id("ami-0", 16),
                key_name: Some(format!("tmp-key-{}", incident.ordinal)),
                profile: None,
                name: String::new(),
                subnet: next_id("subnet-0", 16),
                vpc,
                ip: format!("10.0.{}.{}", rng.below(250), 1 + rng.below(250)),
                az: format!("{region_name}a"),
            });
        }
    }
    for i in 0..d.instances.len() {
        let inst = d.instances[i].clone();
        d.volumes.push(Volume {
            id: next_id("vol-0", 16),
            size: *rng.pick(&[8, 20, 50, 100, 500]),
            state: "in-use",
            created: inst.launched,
            az: inst.az,
            attached_to: Some(inst.id),
        });
    }
    for _ in 0..count(&mut rng, tier, (0, 2), (10, 60)) {
        d.volumes.push(Volume {
            id: next_id("vol-0", 16),
            size: *rng.pick(&[8, 20, 50, 100]),
            state: "available",
            created: epoch - days(rng.range(40, 900)),
            az: format!("{region_name}{}", rng.pick(&azs)),
            attached_to: None,
        });
    }
    let org_accounts = org.accounts.len() as u64;
    for _ in 0..count(&mut rng, tier, (0, 4), (50, 300)) {
        // Some snapshots are shared inside the organization, which is no finding.
        let shared_with = if rng.chance(100) {
            vec![org.accounts[rng.below(org_accounts) as usize].id.clone()]
        } else {
            Vec::new()
        };
        d.snapshots.push(Snapshot {
            id: next_id("snap-0", 16),
            volume: next_id("vol-0", 16),
            size: *rng.pick(&[8, 20, 50, 100]),
            created: epoch - days(rng.range(35, 900)),
            shared_with,
        });
    }
    for incident in org.incidents_in(account, region) {
        if incident.kind == Kind::SharedSnapshot {
            d.snapshots.push(Snapshot {
                id: incident.resource_id.clone(),
                volume: next_id("vol-0", 16),
                size: 100,
                created: epoch - days(20),
                shared_with: vec![incident.detail.clone()],
            });
        }
    }
    for k in 0..count(&mut rng, tier, (0, 2), (5, 30)) {
        d.images.push(Image {
            id: next_id("ami-0", 16),
            name: format!("golden-{k}-{}", rng.below(100)),
            created: epoch - days(rng.range(40, 900)),
            org_shared: rng.chance(300),
        });
    }
    for k in 0..count(&mut rng, tier, (0, 2), (5, 20)) {
        d.key_pairs.push(Simple {
            id: next_id("key-0", 16),
            name: format!("deploy-{k}"),
            created: epoch - days(rng.range(40, 900)),
            state: "",
            vpc: String::new(),
            flag: false,
        });
    }
    for _ in 0..count(&mut rng, tier, (0, 2), (5, 30)) {
        let associated = rng.chance(700);
        d.addresses.push(Simple {
            id: next_id("eipalloc-0", 16),
            name: format!("203.0.{}.{}", rng.below(250), 1 + rng.below(250)),
            created: 0,
            state: "",
            vpc: if associated {
                next_id("eipassoc-0", 16)
            } else {
                String::new()
            },
            flag: associated,
        });
    }
    for k in 0..count(&mut rng, tier, (0, 4), (30, 200)) {
        let vpc = vpc_of(&mut rng, &d);
        d.security_groups.push(Simple {
            id: next_id("sg-0", 16),
            name: format!("app-sg-{k}"),
            created: 0,
            state: "",
            vpc,
            flag: false,
        });
    }
    for k in 0..count(&mut rng, tier, (0, 2), (5, 40)) {
        d.launch_templates.push(Simple {
            id: next_id("lt-0", 16),
            name: format!("template-{k}"),
            created: epoch - days(rng.range(40, 900)),
            state: "",
            vpc: String::new(),
            flag: false,
        });
    }
    for _ in 0..count(&mut rng, tier, (0, 1), (0, 20)) {
        d.spot_requests.push(Simple {
            id: format!("sir-{}", hex(rng.next(), 8)),
            name: String::new(),
            created: epoch - days(rng.range(40, 400)),
            state: if rng.chance(500) {
                "active"
            } else {
                "cancelled"
            },
            vpc: String::new(),
            flag: false,
        });
    }
    for _ in 0..count(&mut rng, tier, (0, 1), (1, 6)) {
        let vpc = vpc_of(&mut rng, &d);
        d.nat_gateways.push(Simple {
            id: next_id("nat-0", 16),
            name: next_id("subnet-0", 16),
            created: epoch - days(rng.range(40, 900)),
            state: "available",
            vpc,
            flag: false,
        });
    }

    let events = count(&mut rng, tier, (1, 10), (60, 160));
    for _ in 0..events {
        let (name, source, rtype) = *rng.pick(&BENIGN_EVENTS);
        let role = *rng.pick(&[
            "deploy-pipeline",
            "AWSReservedSSO_PowerUser_1a2b3c4d5e6f7a8b",
        ]);
        let session = *rng.pick(&["ci", "alice", "bob", "carol"]);
        let resource = rtype.map(|t| {
            let id = d
                .instances
                .first()
                .map_or_else(|| next_id("i-0", 16), |i| i.id.clone());
            (t, "instanceId", id)
        });
        d.events.push(Event {
            id: uuid(rng.next(), rng.next()),
            name,
            source,
            time: epoch - rng.range(600, days(6) as u64) as i64,
            principal_type: "AssumedRole",
            principal_arn: format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}"),
            user_name: session.to_owned(),
            access_key: format!("ASIA{}", crate::rng::base32(rng.next(), 16)),
            resource,
        });
    }
    for incident in org.incidents_in(account, region) {
        if incident.kind == Kind::SuspiciousEvent {
            let (name, source, resource) = if incident.detail == "StopLogging" {
                (
                    "StopLogging",
                    "cloudtrail.amazonaws.com",
                    ("AWS::CloudTrail::Trail", "name", "account-trail".to_owned()),
                )
            } else {
                (
                    "CreateAccessKey",
                    "iam.amazonaws.com",
                    ("AWS::IAM::User", "userName", "admin".to_owned()),
                )
            };
            d.events.push(Event {
                id: uuid(rng.next(), incident.ordinal as u64),
                name,
                source,
                time: epoch - DAY - rng.below(DAY as u64) as i64,
                principal_type: "IAMUser",
                principal_arn: incident.resource_id.clone(),
                user_name: incident.name.clone(),
                access_key: format!("AKIA{}", crate::rng::base32(rng.next(), 16)),
                resource: Some(resource),
            });
        }
    }
    d.events
        .sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.id.cmp(&b.id)));
    services(org, account, region, tier, &mut d);
    d
}

const RUNTIMES: [&str; 5] = [
    "python3.12",
    "nodejs20.x",
    "java21",
    "python3.11",
    "provided.al2023",
];
const FAMILIES: [&str; 4] = ["web", "worker", "cron", "api"];
/// Background SageMaker sizes: none of them mining-class.
const ML_SMALL: [&str; 4] = [
    "ml.t3.medium",
    "ml.m5.xlarge",
    "ml.c5.2xlarge",
    "ml.m5.large",
];
const BUNDLES: [&str; 3] = ["nano_3_0", "small_3_0", "medium_3_0"];
const DB_CLASSES: [&str; 4] = [
    "db.t3.medium",
    "db.r6g.large",
    "db.m6i.large",
    "db.t4g.micro",
];
const ENGINES: [&str; 3] = ["postgres", "mysql", "aurora-postgresql"];
const LOW_FINDINGS: [(&str, f64, &str, &str); 3] = [
    (
        "Recon:EC2/PortProbeUnprotectedPort",
        2.0,
        "Unprotected port on EC2 instance is being probed.",
        "Instance",
    ),
    (
        "UnauthorizedAccess:EC2/SSHBruteForce",
        2.0,
        "SSH brute force attacks against an EC2 instance.",
        "Instance",
    ),
    (
        "Policy:IAMUser/RootCredentialUsage",
        2.0,
        "API was invoked using root credentials.",
        "AccessKey",
    ),
];

/// The other services' resources and GuardDuty findings, drawn after (and apart from) the
/// EC2 ones so those stay as they were.
fn services(org: &Org, account: usize, region: u16, tier: Tier, d: &mut RegionData) {
    let seed = org.spec.seed;
    let epoch = org.epoch;
    let mut rng = Rng::new(hash(&[seed, 40, account as u64, u64::from(region)]));
    let mut n = 0u64;
    let mut next_hex = |len: usize| {
        n += 1;
        hex(hash(&[seed, 41, account as u64, u64::from(region), n]), len)
    };
    let old = |rng: &mut Rng| epoch - days(rng.range(40, 900));

    for k in 0..count(&mut rng, tier, (0, 3), (10, 60)) {
        let app = rng.pick(&["orders", "thumbnails", "auth", "reports", "ingest"]);
        d.lambdas.push(Item {
            name: format!("{app}-handler-{k}"),
            created: old(&mut rng),
            state: "Active",
            size: *rng.pick(&RUNTIMES),
            detail: *rng.pick(&["128", "256", "512", "1024"]),
        });
    }
    for k in 0..count(&mut rng, tier, (0, 1), (2, 6)) {
        let tasks = count(&mut rng, tier, (0, 3), (5, 140));
        let cluster = EcsCluster {
            name: format!("{}-cluster-{k}", rng.pick(&["app", "batch", "platform"])),
            tasks: (0..tasks)
                .map(|_| EcsTask {
                    id: next_hex(32),
                    family: *rng.pick(&FAMILIES),
                    created: epoch - days(rng.range(1, 30)) - 3_600,
                    gpus: 0,
                })
                .collect(),
        };
        d.ecs_clusters.push(cluster);
    }
    let eks = match tier {
        Tier::Heavy => rng.range(1, 3) as usize,
        _ => usize::from(rng.chance(100)),
    };
    for k in 0..eks {
        d.eks_clusters.push(Item {
            name: format!("k8s-{}-{k}", rng.pick(&["prod", "staging", "tools"])),
            created: old(&mut rng),
            state: "ACTIVE",
            size: *rng.pick(&["1.29", "1.30", "1.31"]),
            detail: "",
        });
    }
    let notebooks = match tier {
        Tier::Heavy => rng.range(1, 5) as usize,
        _ => usize::from(rng.chance(100)),
    };
    for k in 0..notebooks {
        d.notebooks.push(Item {
            name: format!("analysis-{k}"),
            created: old(&mut rng),
            state: if rng.chance(500) {
                "InService"
            } else {
                "Stopped"
            },
            size: *rng.pick(&ML_SMALL),
            detail: "",
        });
    }
    for k in 0..count(&mut rng, tier, (0, 2), (5, 60)) {
        d.training_jobs.push(Item {
            name: format!("train-{}-{k}", next_hex(8)),
            created: old(&mut rng),
            state: if rng.chance(900) {
                "Completed"
            } else {
                "Failed"
            },
            size: *rng.pick(&ML_SMALL),
            detail: "",
        });
    }
    for k in 0..count(&mut rng, tier, (0, 1), (1, 6)) {
        d.endpoints.push(Item {
            name: format!("model-endpoint-{k}"),
            created: old(&mut rng),
            state: "InService",
            size: *rng.pick(&ML_SMALL),
            detail: "",
        });
    }
    for k in 0..count(&mut rng, tier, (0, 1), (2, 10)) {
        d.lightsail.push(Item {
            name: format!("wordpress-{k}"),
            created: old(&mut rng),
            state: if rng.chance(800) {
                "running"
            } else {
                "stopped"
            },
            size: *rng.pick(&BUNDLES),
            detail: *rng.pick(&["wordpress", "lamp_8_bitnami", "ubuntu_22_04"]),
        });
    }
    for k in 0..count(&mut rng, tier, (0, 1), (2, 10)) {
        d.db_instances.push(Item {
            name: format!("{}-db-{k}", rng.pick(&["orders", "users", "analytics"])),
            created: old(&mut rng),
            state: "available",
            size: *rng.pick(&DB_CLASSES),
            detail: *rng.pick(&ENGINES),
        });
    }
    let org_accounts = org.accounts.len() as u64;
    for k in 0..count(&mut rng, tier, (0, 2), (5, 40)) {
        // Some are shared inside the organization, which is no finding.
        let shared_with = if rng.chance(100) {
            vec![org.accounts[rng.below(org_accounts) as usize].id.clone()]
        } else {
            Vec::new()
        };
        let instance = d
            .db_instances
            .first()
            .map_or_else(|| format!("retired-db-{k}"), |i| i.name.clone());
        d.db_snapshots.push(DbSnapshot {
            id: format!("{instance}-manual-{k}"),
            instance,
            engine: *rng.pick(&ENGINES),
            created: old(&mut rng),
            shared_with,
        });
    }
    for _ in 0..count(&mut rng, tier, (0, 2), (5, 30)) {
        let (kind, severity, title, resource_type) = *rng.pick(&LOW_FINDINGS);
        let created = epoch - days(rng.range(2, 80));
        let resource_id = if resource_type == "Instance" {
            d.instances
                .first()
                .map_or_else(|| format!("i-0{}", next_hex(16)), |i| i.id.clone())
        } else {
            "ASIA".to_owned() + &crate::rng::base32(rng.next(), 16)
        };
        d.findings.push(Finding {
            id: next_hex(32),
            kind,
            severity,
            title,
            resource_type,
            resource_id,
            user: "Root".to_owned(),
            created,
            updated: created + rng.below(DAY as u64) as i64,
        });
    }

    for incident in org.incidents_in(account, region) {
        let j = incident.ordinal;
        match incident.kind {
            Kind::MiningNotebook => d.notebooks.push(Item {
                name: incident.resource_id.clone(),
                created: epoch - DAY - 5_400,
                state: "InService",
                size: "ml.p3.2xlarge",
                detail: "",
            }),
            Kind::SharedDbSnapshot => d.db_snapshots.push(DbSnapshot {
                id: incident.resource_id.clone(),
                instance: format!("customers-db-{j}"),
                engine: "postgres",
                created: epoch - days(12),
                shared_with: vec![incident.detail.clone()],
            }),
            Kind::GuardDutyFinding => {
                let created = epoch - days(1) - 1_800;
                d.findings.push(Finding {
                    id: incident.resource_id.clone(),
                    kind: "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
                    severity: 8.0,
                    title: "Credentials for an EC2 instance role were used from outside AWS.",
                    resource_type: "AccessKey",
                    resource_id: incident.detail.clone(),
                    user: incident.name.clone(),
                    created,
                    updated: created + 3_600,
                });
            }
            _ => {}
        }
    }
}

/// The region's GuardDuty detector: (id, enabled). Every account-region has one except
/// where a `guardduty.disabled` incident is planted: none there, or a suspended one.
pub(crate) fn detector(org: &Org, account: usize, region: u16) -> Option<(String, bool)> {
    let id = hex(
        hash(&[org.spec.seed, 42, account as u64, u64::from(region)]),
        32,
    );
    match org
        .incidents_in(account, region)
        .find(|i| i.kind == Kind::GuardDutyOff)
    {
        Some(i) if i.detail == "none" => None,
        Some(_) => Some((id, false)),
        None => Some((id, true)),
    }
}

fn uuid(a: u64, b: u64) -> String {
    let h = hex(a, 16) + &hex(b, 16);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Which regions record configuration: most accounts everywhere (a StackSet), some only
/// in their home region, a few nowhere; a few recorders stopped.
pub(crate) fn config_recorder(org: &Org, account: usize, region: u16) -> Option<bool> {
    let h = hash(&[org.spec.seed, 34, account as u64]);
    let everywhere = h % 10 < 7;
    let home_only = h % 10 == 7 || h % 10 == 8;
    let present = everywhere || (home_only && region == org.home_region);
    let recording =
        !hash(&[org.spec.seed, 35, account as u64, u64::from(region)]).is_multiple_of(50);
    present.then_some(recording)
}

/// An account's own (non-organization) trail: (logging,) for one in twenty accounts.
pub(crate) fn own_trail(org: &Org, account: usize) -> Option<bool> {
    let h = hash(&[org.spec.seed, 36, account as u64]);
    h.is_multiple_of(20).then_some(!h.is_multiple_of(3))
}

/// Which alternate contacts exist: security, billing, operations.
pub(crate) fn contacts(org: &Org, account: usize) -> [bool; 3] {
    let h = hash(&[org.spec.seed, 37, account as u64]) % 1000;
    [h < 850, h % 10 < 7, h.is_multiple_of(2)]
}
