//! One account's IAM: users with keys and passwords, groups, roles with trust policies,
//! customer-managed policies, and the planted IAM incidents.

use crate::clock::{DAY, days};
use crate::org::{Kind, Org};
use crate::rng::{Rng, base32, hash};

#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub(crate) id: String,
    pub(crate) created: i64,
    pub(crate) active: bool,
    /// (when, region, service)
    pub(crate) last_used: Option<(i64, &'static str, &'static str)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Password {
    pub(crate) changed: i64,
    pub(crate) last_used: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) name: String,
    pub(crate) id: String,
    pub(crate) arn: String,
    pub(crate) created: i64,
    pub(crate) groups: Vec<&'static str>,
    pub(crate) managed: Vec<String>,
    pub(crate) inline: Vec<(String, String)>,
    pub(crate) password: Option<Password>,
    pub(crate) mfa: bool,
    pub(crate) keys: Vec<Key>,
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) name: &'static str,
    pub(crate) id: String,
    pub(crate) arn: String,
    pub(crate) created: i64,
    pub(crate) managed: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) name: String,
    pub(crate) id: String,
    pub(crate) arn: String,
    pub(crate) path: String,
    pub(crate) created: i64,
    pub(crate) trust: String,
    pub(crate) managed: Vec<String>,
    pub(crate) last_used: Option<(i64, &'static str)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) name: String,
    pub(crate) id: String,
    pub(crate) arn: String,
    pub(crate) created: i64,
    pub(crate) attachments: u32,
    pub(crate) document: String,
}

#[derive(Debug, Clone)]
pub(crate) struct AccountIam {
    pub(crate) account_id: String,
    pub(crate) users: Vec<User>,
    pub(crate) groups: Vec<Group>,
    pub(crate) roles: Vec<Role>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) root_created: i64,
    pub(crate) root_last_used: Option<i64>,
    pub(crate) root_mfa: bool,
}

const AWS_POLICY: &str = "arn:aws:iam::aws:policy/";
const PEOPLE: [&str; 16] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "ken",
    "laura", "mike", "nina", "oscar", "peggy",
];
const APPS: [&str; 10] = [
    "billing", "etl", "backup", "reports", "search", "api", "web", "metrics", "export", "sync",
];
const KEY_SERVICES: [&str; 5] = ["s3", "sts", "dynamodb", "ec2", "sqs"];

fn trust(principal_kind: &str, principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"{principal_kind}":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

fn aws(name: &str) -> String {
    format!("{AWS_POLICY}{name}")
}

pub(crate) fn generate(org: &Org, account: usize) -> AccountIam {
    let seed = org.spec.seed;
    let epoch = org.epoch;
    let acct = org.accounts[account].id.clone();
    let mgmt = &org.management().id;
    let security = &org.accounts[org.security_account()].id;
    let mut rng = Rng::new(hash(&[seed, 20, account as u64]));
    let id = |prefix: &str, salt: u64, n: u64| {
        format!(
            "{prefix}{}",
            base32(hash(&[seed, 21, account as u64, salt, n]), 17)
        )
    };
    let regions: Vec<&'static str> = crate::org::REGIONS.to_vec();

    let groups: Vec<Group> = [
        ("Admins", "AdministratorAccess"),
        ("Developers", "PowerUserAccess"),
        ("ReadOnly", "ReadOnlyAccess"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, policy))| Group {
        name,
        id: id("AGPA", 1, i as u64),
        arn: format!("arn:aws:iam::{acct}:group/{name}"),
        created: epoch - days(700 + 10 * i as u64),
        managed: vec![aws(policy)],
    })
    .collect();

    let mut users = Vec::new();
    let mut key_n = 0u64;
    let mut background_key = |rng: &mut Rng, user_created: i64| {
        key_n += 1;
        let age = rng
            .range(30, 399)
            .min(((epoch - user_created) / DAY).max(30) as u64);
        let created = epoch - days(age) - rng.below(DAY as u64) as i64;
        let used = rng.chance(700).then(|| {
            let ago = rng.below(age.min(20));
            (
                epoch - days(ago) - rng.below(DAY as u64) as i64,
                *rng.pick(&regions),
                *rng.pick(&KEY_SERVICES),
            )
        });
        Key {
            id: format!(
                "AKIA{}",
                base32(hash(&[seed, 22, account as u64, key_n]), 16)
            ),
            created,
            active: rng.chance(850),
            last_used: used,
        }
    };
    let people = rng.range(1, 5) as usize;
    let start = rng.below(PEOPLE.len() as u64) as usize;
    for p in 0..people {
        let name = PEOPLE[(start + p) % PEOPLE.len()].to_owned();
        let created = epoch - days(rng.range(400, 1500));
        let admin = p == 0;
        let mut keys = Vec::new();
        if rng.chance(300) {
            keys.push(background_key(&mut rng, created));
        }
        users.push(User {
            arn: format!("arn:aws:iam::{acct}:user/{name}"),
            id: id("AIDA", 2, users.len() as u64),
            name,
            created,
            groups: vec![if admin { "Admins" } else { "Developers" }],
            managed: Vec::new(),
            inline: Vec::new(),
            password: Some(Password {
                changed: created + days(rng.below(300)),
                last_used: rng
                    .chance(900)
                    .then(|| epoch - days(rng.below(60)) - rng.below(DAY as u64) as i64),
            }),
            mfa: true,
            keys,
        });
    }
    let services = rng.range(1, 3) as usize;
    let start = rng.below(APPS.len() as u64) as usize;
    for s in 0..services {
        let name = format!("svc-{}", APPS[(start + s) % APPS.len()]);
        let created = epoch - days(rng.range(400, 1500));
        let keys = (0..rng.range(1, 2))
            .map(|_| background_key(&mut rng, created))
            .collect();
        users.push(User {
            arn: format!("arn:aws:iam::{acct}:user/{name}"),
            id: id("AIDA", 2, users.len() as u64),
            inline: vec![(
                format!("{name}-access"),
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#.to_owned(),
            )],
            name,
            created,
            groups: Vec::new(),
            managed: Vec::new(),
            password: None,
            mfa: false,
            keys,
        });
    }

    let mut roles = vec![
        Role {
            name: org.spec.role_name.clone(),
            id: id("AROA", 3, 0),
            arn: format!("arn:aws:iam::{acct}:role/{}", org.spec.role_name),
            path: "/".to_owned(),
            created: org.accounts[account].joined,
            trust: trust("AWS", &format!("arn:aws:iam::{mgmt}:root")),
            managed: vec![aws("AdministratorAccess")],
            last_used: Some((epoch - days(1), "us-east-1")),
        },
        Role {
            name: "AWSServiceRoleForSupport".to_owned(),
            id: id("AROA", 3, 1),
            arn: format!(
                "arn:aws:iam::{acct}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
            ),
            path: "/aws-service-role/support.amazonaws.com/".to_owned(),
            created: org.accounts[account].joined,
            trust: trust("Service", "support.amazonaws.com"),
            managed: vec![format!(
                "{AWS_POLICY}aws-service-role/AWSSupportServiceRolePolicy"
            )],
            last_used: None,
        },
        Role {
            name: "security-audit".to_owned(),
            id: id("AROA", 3, 2),
            arn: format!("arn:aws:iam::{acct}:role/security-audit"),
            path: "/".to_owned(),
            created: org.accounts[account].joined + DAY,
            trust: trust("AWS", &format!("arn:aws:iam::{security}:root")),
            managed: vec![aws("SecurityAudit")],
            last_used: Some((epoch - days(rng.below(30)), "us-east-1")),
        },
    ];
    for r in 0..rng.range(1, 4) {
        let app = *rng.pick(&APPS);
        let service = *rng.pick(&[
            "ec2.amazonaws.com",
            "lambda.amazonaws.com",
            "ecs-tasks.amazonaws.com",
        ]);
        let name = format!(
            "{app}-{}-role-{r}",
            service.split('.').next().unwrap_or("app")
        );
        roles.push(Role {
            arn: format!("arn:aws:iam::{acct}:role/{name}"),
            id: id("AROA", 3, 10 + r),
            name,
            path: "/".to_owned(),
            created: epoch - days(rng.range(100, 1200)),
            trust: trust("Service", service),
            managed: vec![aws("service-role/AWSLambdaBasicExecutionRole")],
            last_used: rng
                .chance(800)
                .then(|| (epoch - days(rng.below(10)), *rng.pick(&regions))),
        });
    }

    let policies: Vec<Policy> = (0..rng.below(3))
        .map(|p| {
            let name = format!("{}-boundary-{p}", rng.pick(&APPS));
            Policy {
                arn: format!("arn:aws:iam::{acct}:policy/{name}"),
                id: id("ANPA", 4, p),
                name,
                created: epoch - days(rng.range(100, 900)),
                attachments: rng.below(3) as u32,
                document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#.to_owned(),
            }
        })
        .collect();

    for incident in org.incidents(account) {
        let j = incident.ordinal as u64;
        let user = |name: &str, created: i64| User {
            name: name.to_owned(),
            id: id("AIDA", 5, j * 8 + incident.kind as u64),
            arn: format!("arn:aws:iam::{acct}:user/{name}"),
            created,
            groups: Vec::new(),
            managed: Vec::new(),
            inline: Vec::new(),
            password: None,
            mfa: false,
            keys: Vec::new(),
        };
        match incident.kind {
            Kind::Quarantine => {
                let created = epoch - days(300);
                let mut u = user(&incident.name, created);
                u.managed = vec![
                    aws("AWSCompromisedKeyQuarantineV2"),
                    aws("AmazonS3FullAccess"),
                ];
                u.keys.push(Key {
                    id: format!("AKIA{}", base32(hash(&[seed, 23, account as u64, j]), 16)),
                    created: created + days(10),
                    active: true,
                    last_used: Some((epoch - days(3), "us-east-1", "s3")),
                });
                users.push(u);
            }
            Kind::RecentKey => {
                let mut u = user(&incident.name, epoch - days(200));
                u.keys.push(Key {
                    id: incident.detail.clone(),
                    created: epoch - days(2) - 3_600,
                    active: true,
                    last_used: None,
                });
                users.push(u);
            }
            Kind::ConsoleNoMfa => {
                let created = epoch - days(120);
                let mut u = user(&incident.name, created);
                u.groups = vec!["Developers"];
                u.password = Some(Password {
                    changed: created,
                    last_used: Some(epoch - days(4)),
                });
                users.push(u);
            }
            Kind::ExternalTrust => {
                roles.push(Role {
                    name: incident.name.clone(),
                    id: id("AROA", 6, j),
                    arn: incident.resource_id.clone(),
                    path: "/".to_owned(),
                    created: epoch - days(90),
                    trust: trust("AWS", &format!("arn:aws:iam::{}:root", incident.detail)),
                    managed: vec![aws("ReadOnlyAccess")],
                    last_used: Some((epoch - days(5), "us-east-1")),
                });
            }
            _ => {}
        }
    }

    AccountIam {
        account_id: acct,
        users,
        groups,
        roles,
        policies,
        root_created: org.accounts[account].joined,
        root_last_used: rng.chance(200).then(|| epoch - days(rng.range(30, 300))),
        root_mfa: true,
    }
}

impl AccountIam {
    pub(crate) fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }
}
