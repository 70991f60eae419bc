//! The generated organization: accounts, the OU tree, and where the incidents are planted.
//! Everything heavier (IAM entities, regional resources, events) is generated on demand
//! from the same seed, see `iam_model` and `region_model`.

use std::collections::HashMap;

use crate::rng::{Rng, alnum, base32, hash, hex};

/// The 17 regions every account has enabled (AWS's default-enabled commercial regions).
pub const REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

/// Opt-in regions nobody enabled: listed by `DescribeRegions(AllRegions)` as
/// `not-opted-in`, refused when called.
pub const NOT_OPTED_IN_REGIONS: [&str; 4] = ["af-south-1", "ap-east-1", "eu-south-1", "me-south-1"];

/// Accounts outside the organization that planted incidents trust or share with.
pub const OUTSIDE_ACCOUNTS: [&str; 3] = ["999900001111", "444400002222", "777700003333"];

/// The regions where a GPU instance is expected; the planted one is elsewhere.
pub(crate) const EXPECTED_COMPUTE_REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// Account ids are `base + index × STRIDE`, so a 12-digit id maps back to its account by
/// arithmetic, without a table, on every request.
const STRIDE: u64 = 7919;

/// What to generate. Deterministic: the same spec gives the same organization.
#[derive(Debug, Clone)]
pub struct OrgSpec {
    /// Accounts including the management account.
    pub accounts: usize,
    pub regions: Vec<String>,
    /// Levels of OUs under the root.
    pub ou_depth: usize,
    /// Child OUs per OU (and OUs directly under the root).
    pub ou_fanout: usize,
    pub seed: u64,
    /// The role `AssumeRole` accepts in member accounts.
    pub role_name: String,
    /// One planted incident of each kind per this many accounts …
    pub accounts_per_incident: usize,
    /// … and at least this many of each kind.
    pub min_incidents: usize,
    /// Member accounts in state SUSPENDED (not scannable).
    pub suspended_accounts: usize,
    /// Member accounts without the role: `AssumeRole` is denied.
    pub accounts_without_role: usize,
}

impl OrgSpec {
    pub fn new(accounts: usize, seed: u64) -> Self {
        OrgSpec {
            accounts: accounts.max(1),
            regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            ou_depth: 3,
            ou_fanout: 3,
            seed,
            role_name: "OrganizationAccountAccessRole".to_owned(),
            accounts_per_incident: 100,
            min_incidents: 5,
            suspended_accounts: 0,
            accounts_without_role: 0,
        }
    }
}

impl Default for OrgSpec {
    fn default() -> Self {
        OrgSpec::new(100, 1)
    }
}

/// An incident the simulator planted, named as orgsweep reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Planted {
    pub check_id: &'static str,
    pub account_id: String,
    /// `global` for account-scope checks.
    pub region: String,
    /// The finding's resource id: a user or role ARN, an access key id, an instance or
    /// snapshot id, or the principal ARN of suspicious events.
    pub resource_id: String,
}

/// An account as the simulated Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: String,
    /// Root first, the account's own OU last.
    pub ou_ids: Vec<String>,
    /// `Root/Workloads/Prod`.
    pub ou_path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Quarantine,
    RecentKey,
    ConsoleNoMfa,
    ExternalTrust,
    Mining,
    SharedSnapshot,
    SuspiciousEvent,
    /// A running `ml.p3.2xlarge` SageMaker notebook in an unexpected region.
    MiningNotebook,
    /// A manual RDS snapshot whose `restore` attribute names an outside account.
    SharedDbSnapshot,
    /// A bucket with a public policy and its public access block partly off.
    PublicBucket,
    /// A high-severity GuardDuty finding about an instance role's key.
    GuardDutyFinding,
    /// A region without a GuardDuty detector, or with a suspended one.
    GuardDutyOff,
    /// An `AWS_RISK_CREDENTIALS_EXPOSED` Health event affecting the account.
    HealthRisk,
    /// A service costing many times more per day this month than last.
    SpendSpike,
}

/// The services a planted spend spike inflates (Cost Explorer `SERVICE` values).
pub(crate) const SPIKE_SERVICES: [&str; 5] = [
    "Amazon Elastic Compute Cloud - Compute",
    "Amazon SageMaker",
    "Amazon Elastic Container Service",
    "AWS Lambda",
    "Amazon Lightsail",
];

impl Kind {
    const ALL: [Kind; 14] = [
        Kind::Quarantine,
        Kind::RecentKey,
        Kind::ConsoleNoMfa,
        Kind::ExternalTrust,
        Kind::Mining,
        Kind::SharedSnapshot,
        Kind::SuspiciousEvent,
        Kind::MiningNotebook,
        Kind::SharedDbSnapshot,
        Kind::PublicBucket,
        Kind::GuardDutyFinding,
        Kind::GuardDutyOff,
        Kind::HealthRisk,
        Kind::SpendSpike,
    ];

    fn check_id(self) -> &'static str {
        match self {
            Kind::Quarantine => "iam.quarantine_policy_attached",
            Kind::RecentKey => "iam.access_key_recently_created",
            Kind::ConsoleNoMfa => "iam.console_user_without_mfa",
            Kind::ExternalTrust => "iam.role_trusts_external_account",
            Kind::Mining => "resources.mining_class_instance",
            Kind::SharedSnapshot => "resources.shared_outside_org",
            Kind::SuspiciousEvent => "cloudtrail.suspicious_event",
            Kind::MiningNotebook => "resources.mining_class_instance",
            Kind::SharedDbSnapshot => "resources.shared_outside_org",
            Kind::PublicBucket => "resources.public_bucket",
            Kind::GuardDutyFinding => "guardduty.high_severity_finding",
            Kind::GuardDutyOff => "guardduty.disabled",
            Kind::HealthRisk => "health.risk_notification",
            Kind::SpendSpike => "billing.spend_spike",
        }
    }
}

/// One planted incident with what the generators need to place it.
#[derive(Debug, Clone)]
pub(crate) struct Incident {
    pub(crate) kind: Kind,
    pub(crate) ordinal: usize,
    pub(crate) region: Option<u16>,
    /// A user, role or principal name, or a resource id.
    pub(crate) name: String,
    /// An access key id (RecentKey, GuardDutyFinding, HealthRisk), the outside account
    /// (ExternalTrust, SharedSnapshot, SharedDbSnapshot), the event name (SuspiciousEvent),
    /// `none` or `suspended` (GuardDutyOff), the region of the charges (SpendSpike).
    pub(crate) detail: String,
    pub(crate) resource_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parent {
    Root,
    Ou(usize),
}

#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) status: &'static str,
    pub(crate) parent: Parent,
    pub(crate) joined: i64,
    pub(crate) tags: Vec<(&'static str, String)>,
    pub(crate) role_missing: bool,
}

#[derive(Debug)]
pub(crate) struct Ou {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) parent: Parent,
    pub(crate) child_ous: Vec<usize>,
    pub(crate) accounts: Vec<usize>,
}

#[derive(Debug)]
pub(crate) struct Org {
    pub(crate) spec: OrgSpec,
    pub(crate) org_id: String,
    pub(crate) root_id: String,
    pub(crate) accounts: Vec<Account>,
    pub(crate) ous: Vec<Ou>,
    pub(crate) root_ous: Vec<usize>,
    pub(crate) root_accounts: Vec<usize>,
    pub(crate) ou_index: HashMap<String, usize>,
    id_base: u64,
    incidents: HashMap<usize, Vec<Incident>>,
    /// Every generated date is relative to this (unix seconds): the simulator's start.
    pub(crate) epoch: i64,
    pub(crate) home_region: u16,
}

const L1: [&str; 6] = [
    "Security",
    "Infrastructure",
    "Workloads",
    "Sandbox",
    "Deployments",
    "Exceptions",
];
const L2: [&str; 6] = ["Prod", "NonProd", "Shared", "Dev", "Test", "Staging"];
const L3: [&str; 6] = [
    "payments", "search", "data", "platform", "mobile", "identity",
];

fn ou_name(level: usize, k: usize) -> String {
    let names: &[&str] = match level {
        0 => &L1,
        1 => &L2,
        _ => &L3,
    };
    let base = names[k % names.len()];
    if k < names.len() {
        base.to_owned()
    } else {
        format!("{base}-{}", k / names.len() + 1)
    }
}

impl Org {
    pub(crate) fn generate(spec: OrgSpec, epoch: i64) -> Org {
        let seed = spec.seed;
        let n = spec.accounts.max(1);
        let org_id = format!("o-{}", alnum(hash(&[seed, 1]), 10));
        let root_suffix = alnum(hash(&[seed, 2]), 4);
        let root_id = format!("r-{root_suffix}");
        let id_base = 100_000_000_000 + (hash(&[seed, 3]) % 80_000) * 1_000_000;

        // The OU tree, breadth first.
        let mut ous: Vec<Ou> = Vec::new();
        let mut root_ous = Vec::new();
        let mut level: Vec<Parent> = vec![Parent::Root];
        for depth in 0..spec.ou_depth {
            let mut next = Vec::new();
            for parent in level {
                for k in 0..spec.ou_fanout {
                    let idx = ous.len();
                    ous.push(Ou {
                        id: format!(
                            "ou-{root_suffix}-{}",
                            alnum(hash(&[seed, 4, idx as u64]), 8)
                        ),
                        name: ou_name(depth, k),
                        parent,
                        child_ous: Vec::new(),
                        accounts: Vec::new(),
                    });
                    match parent {
                        Parent::Root => root_ous.push(idx),
                        Parent::Ou(p) => ous[p].child_ous.push(idx),
                    }
                    next.push(Parent::Ou(idx));
                }
            }
            level = next;
        }
        let ou_index = ous
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i))
            .collect();

        // Suspended and role-less accounts: distinct members, picked once.
        let mut special = Rng::new(hash(&[seed, 5]));
        // 0: normal, 1: suspended, 2: without the role.
        let mut special_state = vec![0u8; n];
        let members = n.saturating_sub(1) as u64;
        for (state, count) in [
            (1u8, spec.suspended_accounts),
            (2u8, spec.accounts_without_role),
        ] {
            let mut placed = 0;
            let mut tries = 0;
            while placed < count && tries < count * 20 + 100 && members > 0 {
                tries += 1;
                let i = 1 + special.below(members) as usize;
                if special_state[i] == 0 {
                    special_state[i] = state;
                    placed += 1;
                }
            }
        }

        let mut root_accounts = Vec::new();
        let mut accounts = Vec::with_capacity(n);
        for (i, state) in special_state.iter().enumerate() {
            let mut rng = Rng::new(hash(&[seed, 6, i as u64]));
            let parent = if i == 0 || ous.is_empty() || rng.chance(20) {
                Parent::Root
            } else {
                Parent::Ou(rng.below(ous.len() as u64) as usize)
            };
            let name = match (i, parent) {
                (0, _) => "management".to_owned(),
                (1, _) => "security".to_owned(),
                (2, _) => "log-archive".to_owned(),
                (_, Parent::Ou(o)) => format!("{}-{i:05}", ous[o].name.to_ascii_lowercase()),
                (_, Parent::Root) => format!("account-{i:05}"),
            };
            let mut tags = Vec::new();
            match rng.below(10) {
                0..=5 => {
                    tags.push(("env", (*rng.pick(&["prod", "dev", "staging"])).to_owned()));
                    tags.push(("team", format!("team-{}", rng.below(40))));
                }
                6 | 7 => tags.push(("cost-center", format!("cc-{}", 1000 + rng.below(9000)))),
                _ => {}
            }
            match parent {
                Parent::Root => root_accounts.push(i),
                Parent::Ou(o) => ous[o].accounts.push(i),
            }
            accounts.push(Account {
                id: format!("{:012}", id_base + i as u64 * STRIDE),
                email: format!("aws+{name}@example.com"),
                name,
                status: if *state == 1 { "SUSPENDED" } else { "ACTIVE" },
                parent,
                joined: epoch - crate::clock::days(30 + rng.below(2000)),
                tags,
                role_missing: *state == 2,
            });
        }

        let regions = &spec.regions;
        let home_region = regions.iter().position(|r| r == "us-east-1").unwrap_or(0) as u16;
        let mut org = Org {
            org_id,
            root_id,
            accounts,
            ous,
            root_ous,
            root_accounts,
            ou_index,
            id_base,
            incidents: HashMap::new(),
            epoch,
            home_region,
            spec,
        };
        org.plant();
        org
    }

    fn plant(&mut self) {
        let seed = self.spec.seed;
        let n = self.accounts.len();
        let mut eligible: Vec<usize> = (1..n)
            .filter(|i| self.accounts[*i].status == "ACTIVE" && !self.accounts[*i].role_missing)
            .collect();
        if eligible.is_empty() {
            eligible.push(0);
        }
        let regions = self.spec.regions.clone();
        let all: Vec<u16> = (0..regions.len() as u16).collect();
        let far: Vec<u16> = all
            .iter()
            .copied()
            .filter(|r| !EXPECTED_COMPUTE_REGIONS.contains(&regions[*r as usize].as_str()))
            .collect();
        let far = if far.is_empty() { all.clone() } else { far };
        let per = self.spec.accounts_per_incident.max(1);
        let count = n.div_ceil(per).max(self.spec.min_incidents);
        for (k, kind) in Kind::ALL.into_iter().enumerate() {
            let mut rng = Rng::new(hash(&[seed, 7, k as u64]));
            for j in 0..count {
                let account = eligible[rng.below(eligible.len() as u64) as usize];
                let taken = |kind: Kind, region: u16| {
                    self.incidents(account)
                        .iter()
                        .any(|i| i.kind == kind && i.region == Some(region))
                };
                let acct = &self.accounts[account].id;
                let h = hash(&[seed, 8, k as u64, j as u64]);
                let outside = OUTSIDE_ACCOUNTS[j % OUTSIDE_ACCOUNTS.len()].to_owned();
                let (region, name, detail, resource_id) = match kind {
                    Kind::Quarantine => {
                        let user = format!("ci-deployer-{j}");
                        let arn = format!("arn:aws:iam::{acct}:user/{user}");
                        (None, user, String::new(), arn)
                    }
                    Kind::RecentKey => {
                        let key = format!("AKIA{}", base32(h, 16));
                        (None, format!("build-bot-{j}"), key.clone(), key)
                    }
                    Kind::ConsoleNoMfa => {
                        let user = format!("contractor-{j}");
                        let arn = format!("arn:aws:iam::{acct}:user/{user}");
                        (None, user, String::new(), arn)
                    }
                    Kind::ExternalTrust => {
                        let role = format!("vendor-access-{j}");
                        let arn = format!("arn:aws:iam::{acct}:role/{role}");
                        (None, role, outside, arn)
                    }
                    Kind::Mining => {
                        let id = format!("i-0{}", hex(h, 16));
                        (Some(*rng.pick(&far)), id.clone(), String::new(), id)
                    }
                    Kind::SharedSnapshot => {
                        let id = format!("snap-0{}", hex(h, 16));
                        (Some(*rng.pick(&all)), id.clone(), outside, id)
                    }
                    Kind::SuspiciousEvent => {
                        let user = format!("ops-{j}");
                        let arn = format!("arn:aws:iam::{acct}:user/{user}");
                        // IAM records in us-east-1; StopLogging where the trail lives.
                        let (region, event) = if j % 2 == 0 {
                            (*rng.pick(&all), "StopLogging")
                        } else {
                            (self.home_region, "CreateAccessKey")
                        };
                        (Some(region), user, event.to_owned(), arn)
                    }
                    Kind::MiningNotebook => {
                        let name = format!("gpu-research-{j}");
                        (Some(*rng.pick(&far)), name.clone(), String::new(), name)
                    }
                    Kind::SharedDbSnapshot => {
                        let id = format!("db-export-{j}");
                        (Some(*rng.pick(&all)), id.clone(), outside, id)
                    }
                    Kind::PublicBucket => {
                        let name = format!("public-share-{acct}-{j}");
                        (Some(*rng.pick(&all)), name.clone(), String::new(), name)
                    }
                    Kind::GuardDutyFinding => {
                        let key = format!("ASIA{}", base32(h, 16));
                        let mut region = *rng.pick(&all);
                        for _ in 0..20 {
                            if !taken(Kind::GuardDutyOff, region) {
                                break;
                            }
                            region = *rng.pick(&all);
                        }
                        (
                            Some(region),
                            "app-instance-role".to_owned(),
                            key,
                            hex(h, 32),
                        )
                    }
                    Kind::GuardDutyOff => {
                        let mut region = *rng.pick(&all);
                        for _ in 0..20 {
                            if !taken(Kind::GuardDutyFinding, region)
                                && !taken(Kind::GuardDutyOff, region)
                            {
                                break;
                            }
                            region = *rng.pick(&all);
                        }
                        let state = if j % 2 == 0 { "none" } else { "suspended" };
                        let id = format!("{acct}/{}", regions[region as usize]);
                        (Some(region), String::new(), state.to_owned(), id)
                    }
                    Kind::HealthRisk => {
                        let key = format!("AKIA{}", base32(h, 16));
                        let code = "AWS_RISK_CREDENTIALS_EXPOSED";
                        let arn = format!(
                            "arn:aws:health:global::event/RISK/{code}/{code}_{}",
                            hex(h ^ 5, 32)
                        );
                        (None, format!("legacy-deploy-{j}"), key, arn)
                    }
                    Kind::SpendSpike => {
                        let used: Vec<&str> = self
                            .incidents(account)
                            .iter()
                            .filter(|i| i.kind == Kind::SpendSpike)
                            .map(|i| i.resource_id.as_str())
                            .collect();
                        let service = (0..SPIKE_SERVICES.len())
                            .map(|t| SPIKE_SERVICES[(j + t) % SPIKE_SERVICES.len()])
                            .find(|s| !used.contains(s))
                            .unwrap_or(SPIKE_SERVICES[j % SPIKE_SERVICES.len()]);
                        let region = *rng.pick(&EXPECTED_COMPUTE_REGIONS);
                        (None, String::new(), region.to_owned(), service.to_owned())
                    }
                };
                self.incidents.entry(account).or_default().push(Incident {
                    kind,
                    ordinal: j,
                    region,
                    name,
                    detail,
                    resource_id,
                });
            }
        }
    }

    pub(crate) fn planted(&self) -> Vec<Planted> {
        let mut out: Vec<Planted> = self
            .incidents
            .iter()
            .flat_map(|(account, list)| {
                list.iter().map(move |i| Planted {
                    check_id: i.kind.check_id(),
                    account_id: self.accounts[*account].id.clone(),
                    region: i.region.map_or_else(
                        || "global".to_owned(),
                        |r| self.spec.regions[r as usize].clone(),
                    ),
                    resource_id: i.resource_id.clone(),
                })
            })
            .collect();
        out.sort();
        out
    }

    pub(crate) fn incidents(&self, account: usize) -> &[Incident] {
        self.incidents.get(&account).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn incidents_in(
        &self,
        account: usize,
        region: u16,
    ) -> impl Iterator<Item = &Incident> {
        self.incidents(account)
            .iter()
            .filter(move |i| i.region == Some(region))
    }

    /// The account of a 12-digit id, if it is one of the organization's.
    pub(crate) fn account_index(&self, id: &str) -> Option<usize> {
        if id.len() != 12 {
            return None;
        }
        let n: u64 = id.parse().ok()?;
        let offset = n.checked_sub(self.id_base)?;
        if offset % STRIDE != 0 {
            return None;
        }
        let i = usize::try_from(offset / STRIDE).ok()?;
        (i < self.accounts.len()).then_some(i)
    }

    pub(crate) fn management(&self) -> &Account {
        &self.accounts[0]
    }

    /// The account delegated security tooling (and trusted by audit roles).
    pub(crate) fn security_account(&self) -> usize {
        if self.accounts.len() > 1 { 1 } else { 0 }
    }

    pub(crate) fn region_index(&self, region: &str) -> Option<u16> {
        self.spec
            .regions
            .iter()
            .position(|r| r == region)
            .map(|i| i as u16)
    }

    pub(crate) fn region_name(&self, region: u16) -> &str {
        self.spec
            .regions
            .get(region as usize)
            .map_or("global", String::as_str)
    }

    pub(crate) fn ou_arn(&self, ou: usize) -> String {
        format!(
            "arn:aws:organizations::{}:ou/{}/{}",
            self.management().id,
            self.org_id,
            self.ous[ou].id
        )
    }

    pub(crate) fn account_arn(&self, account: usize) -> String {
        format!(
            "arn:aws:organizations::{}:account/{}/{}",
            self.management().id,
            self.org_id,
            self.accounts[account].id
        )
    }

    pub(crate) fn parent_id(&self, parent: Parent) -> &str {
        match parent {
            Parent::Root => &self.root_id,
            Parent::Ou(o) => &self.ous[o].id,
        }
    }

    pub(crate) fn sim_account(&self, i: usize) -> SimAccount {
        let a = &self.accounts[i];
        let mut ids = Vec::new();
        let mut names = Vec::new();
        let mut parent = a.parent;
        while let Parent::Ou(o) = parent {
            ids.push(self.ous[o].id.clone());
            names.push(self.ous[o].name.clone());
            parent = self.ous[o].parent;
        }
        ids.push(self.root_id.clone());
        names.push("Root".to_owned());
        ids.reverse();
        names.reverse();
        SimAccount {
            id: a.id.clone(),
            name: a.name.clone(),
            email: a.email.clone(),
            status: a.status.to_owned(),
            ou_ids: ids,
            ou_path: names.join("/"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_incidents_are_placed() {
        let org = Org::generate(OrgSpec::new(100, 7), 1_700_000_000);
        assert_eq!(org.accounts.len(), 100);
        for (i, a) in org.accounts.iter().enumerate() {
            assert_eq!(a.id.len(), 12);
            assert_eq!(org.account_index(&a.id), Some(i));
        }
        assert_eq!(org.account_index("999900001111"), None);
        let planted = org.planted();
        for kind in Kind::ALL {
            assert!(
                planted
                    .iter()
                    .filter(|p| p.check_id == kind.check_id())
                    .count()
                    >= 5,
                "{kind:?}"
            );
        }
        assert_eq!(org.ous.len(), 3 + 9 + 27);
        let again = Org::generate(OrgSpec::new(100, 7), 1_700_000_000);
        assert_eq!(again.planted(), planted);
    }
}
