use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::Severity;

/// The region value of findings and inventory items that belong to the whole account.
pub const GLOBAL_REGION: &str = "global";

/// One scan of one organization: the JSON contract (its JSON Schema is `report.schema.json`
/// at the repository root, generated from these types). Everything else (HTML, diff,
/// baseline, plan, CSV, OCSF, ASFF) is derived from this value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub run: Run,
    pub accounts: Vec<Account>,
    pub coverage: Vec<Coverage>,
    pub findings: Vec<Finding>,
    pub inventory: Vec<InventoryItem>,
    pub stats: Stats,
    /// What changed since the report given to `scan --previous`; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<crate::diff::Previous>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Run {
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Rfc3339")]
    pub finished_at: OffsetDateTime,
    pub management_account_id: String,
    pub window_days: u32,
    /// The regions that were asked for (`--regions`), after expanding `all`.
    pub regions: Vec<String>,
    /// Where the organization normally operates; empty means "not configured".
    #[serde(default)]
    pub expected_regions: Vec<String>,
    /// The AWS partition of the caller (`aws`, `aws-us-gov`, `aws-cn`).
    #[serde(default = "default_partition")]
    pub partition: String,
    /// The identity that ran the scan (sts:GetCallerIdentity); its own findings are marked
    /// `scanner_identity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_arn: Option<String>,
    /// The organization's id (`o-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// Where management events came from: `cloudtrail:LookupEvents`, or the `s3://` location
    /// of a trail's log files. Absent when no events were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_source: Option<String>,
    /// Set when this report is one shard of a sharded scan (`scan --shard I/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// A digest of everything that changes what a scan looks at or how it judges (account
    /// filters, regions, window, settings, baseline): resumed runs and merged shards must
    /// agree on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_digest: Option<String>,
    /// The organizations and standalone accounts of a multi-target run (`scan --targets`),
    /// each with its customer; empty for a scan of one organization.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
}

/// An account's charges over two periods, in whole cents so reports compare exactly;
/// negative when credits exceed charges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Spend {
    /// The previous calendar month.
    pub previous_month_cents: i64,
    pub previous_month_days: u32,
    /// The current month up to yesterday (UTC); zero days on the first of a month.
    pub current_month_cents: i64,
    pub current_month_days: u32,
}

impl Spend {
    /// This month's daily rate over last month's: `None` when either period has no day or
    /// last month cost nothing.
    pub fn daily_ratio(&self) -> Option<f64> {
        if self.previous_month_days == 0 || self.current_month_days == 0 {
            return None;
        }
        let before = self.previous_month_cents as f64 / f64::from(self.previous_month_days);
        let now = self.current_month_cents as f64 / f64::from(self.current_month_days);
        (before > 0.0).then(|| now / before)
    }
}

/// One target of a multi-target run: an organization or a standalone account, reached with
/// its own credentials, and whether it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    /// Unique in the run; names the target's journal below the output location.
    pub name: String,
    /// Who the target belongs to: the report groups accounts, findings and the plan by it.
    pub customer: String,
    pub kind: TargetKind,
    /// The organization's id (`o-…`), once discovered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// The management account of an organization, or the standalone account itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The identity the target was scanned as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_arn: Option<String>,
    /// The accounts of the target in the report.
    pub accounts: usize,
    /// Why the target could not be scanned (it is also a coverage gap); absent when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Organization,
    Account,
}

fn default_partition() -> String {
    "aws".to_owned()
}

impl Default for Run {
    fn default() -> Self {
        Run {
            started_at: OffsetDateTime::UNIX_EPOCH,
            finished_at: OffsetDateTime::UNIX_EPOCH,
            management_account_id: String::new(),
            window_days: 7,
            regions: Vec::new(),
            expected_regions: Vec::new(),
            partition: default_partition(),
            caller_arn: None,
            organization_id: None,
            events_source: None,
            shard: None,
            scope_digest: None,
            targets: Vec::new(),
        }
    }
}

/// One shard of a sharded scan: its accounts are those whose id hashes to `index` of
/// `count` (see [`shard_of`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
    /// Every account the scan's filters selected, before sharding: a merge tells from it
    /// which accounts a missing shard would have scanned.
    pub selected_accounts: Vec<String>,
}

/// The shard (1-based) an account belongs to among `count`: a stable partition, so the same
/// account always lands in the same shard whatever else changes in the organization.
pub fn shard_of(account_id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(account_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let count = u64::from(count.max(1));
    // The remainder is below `count`, which came from a u32.
    u32::try_from(u64::from_be_bytes(first) % count).unwrap_or(0) + 1
}

/// RFC 3339 timestamps in the JSON Schema (the `time` types have no schema of their own).
pub(crate) struct Rfc3339;

impl JsonSchema for Rfc3339 {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rfc3339".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date-time"})
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Account {
    pub account_id: String,
    pub name: String,
    pub email: String,
    /// The Organizations status (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED).
    pub status: String,
    /// OU names from the root down, e.g. `Root/Workloads/Prod`.
    pub ou_path: String,
    /// OU ids from the root down; `--ou` filters on these.
    #[serde(default)]
    pub ou_ids: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// False when the account was listed but not scanned (filtered, suspended, or the
    /// role could not be assumed); `coverage` says why.
    pub scanned: bool,
    /// Alternate contacts by type (SECURITY, BILLING, OPERATIONS), for a person to verify.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contacts: BTreeMap<String, crate::facts::Contact>,
    /// When AWS generated the credential report the IAM checks read: AWS reuses a report for
    /// up to four hours, so what it says about passwords and key use may be that old.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<Rfc3339>")]
    pub credential_report_generated_at: Option<OffsetDateTime>,
    /// The account's charges from Cost Explorer (unblended, USD), last month and this month
    /// to date; absent when they were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend: Option<Spend>,
    /// The customer (and the target, see `run.targets`) of a multi-target run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum CoverageStatus {
    Ok,
    Skipped,
    Failed,
}

/// What was (and, above all, was not) looked at. An entry with `region: None` is about the
/// whole account; one with `check_id: Some` is about a single check in that scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    pub account_id: String,
    pub region: Option<String>,
    pub check_id: Option<String>,
    pub status: CoverageStatus,
    pub error: Option<String>,
}

/// How a finding compares with the report given to `--previous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not in the previous report.
    New,
    /// In the previous report with the same evidence.
    Unchanged,
    /// In the previous report, but with new evidence since (for example events that were
    /// not there last time): it needs a fresh look.
    Changed,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub id: String,
    pub check_id: String,
    pub severity: Severity,
    pub account_id: String,
    /// A region name, or [`GLOBAL_REGION`] for account-scope checks.
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub title: String,
    pub detail: String,
    pub evidence: serde_json::Map<String, serde_json::Value>,
    pub remediation: Vec<String>,
    pub change: Option<Change>,
    /// Accepted risk: a `[[mute]]` rule of the settings file matched. The finding stays in
    /// the report but does not count for `--fail-on`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub muted: bool,
    /// Why it is muted (the rule's mandatory reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_reason: Option<String>,
    /// The finding is about the identity orgsweep itself runs as (the caller, or the scan
    /// role): shown at info severity and never contained.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scanner_identity: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InventoryItem {
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Rfc3339>")]
    pub created_at: Option<OffsetDateTime>,
    pub state: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub known: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Stats {
    pub duration_ms: u64,
    /// Operations sent, keyed `service.Operation` (retries not included).
    pub api_calls: BTreeMap<String, u64>,
    /// Attempts that AWS answered with a throttling error.
    pub throttled: u64,
    /// Attempts beyond the first, for any retryable reason.
    pub retries: u64,
    /// Accounts whose results were taken from an interrupted run's spool (`--resume`)
    /// instead of being scanned again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resumed_accounts: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A finding's stable identity: the same problem on the same resource keeps its id from one
/// week's report to the next, which is what `--previous`, `diff` and baselines key on.
pub fn finding_id(
    check_id: &str,
    account_id: &str,
    region: &str,
    resource_type: &str,
    resource_id: &str,
) -> String {
    let mut hasher = Sha256::new();
    for part in [check_id, account_id, region, resource_type, resource_id] {
        hasher.update(part.as_bytes());
        // A separator that cannot occur in any part keeps ("ab","c") and ("a","bc") apart.
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

impl Report {
    /// An empty report of this orgsweep version for `run`: what a scan or a combination of
    /// scans fills in.
    pub fn new(run: Run) -> Report {
        Report {
            schema_version: crate::SCHEMA_VERSION,
            tool: Tool {
                name: "orgsweep".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            run,
            accounts: Vec::new(),
            coverage: Vec::new(),
            findings: Vec::new(),
            inventory: Vec::new(),
            stats: Stats::default(),
            previous: None,
        }
    }

    /// Puts every list in a deterministic order so two reports of the same state are
    /// byte-identical apart from times and stats, and diff cleanly.
    pub fn sort(&mut self) {
        self.accounts
            .sort_by(|a, b| a.account_id.cmp(&b.account_id));
        self.coverage.sort_by(|a, b| {
            (&a.account_id, &a.region, &a.check_id, a.status).cmp(&(
                &b.account_id,
                &b.region,
                &b.check_id,
                b.status,
            ))
        });
        self.coverage.dedup();
        self.findings.sort_by(|a, b| {
            (
                std::cmp::Reverse(a.severity),
                &a.account_id,
                &a.check_id,
                &a.region,
                &a.resource_type,
                &a.resource_id,
                &a.id,
            )
                .cmp(&(
                    std::cmp::Reverse(b.severity),
                    &b.account_id,
                    &b.check_id,
                    &b.region,
                    &b.resource_type,
                    &b.resource_id,
                    &b.id,
                ))
        });
        self.inventory.sort_by(|a, b| {
            (&a.account_id, &a.region, &a.resource_type, &a.resource_id).cmp(&(
                &b.account_id,
                &b.region,
                &b.resource_type,
                &b.resource_id,
            ))
        });
    }

    /// Coverage entries that are not `ok`: the gaps a reader must see first.
    pub fn gaps(&self) -> impl Iterator<Item = &Coverage> {
        self.coverage
            .iter()
            .filter(|c| c.status != CoverageStatus::Ok)
    }

    /// The most urgent severity among the findings, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    pub fn count_by_severity(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Errors reading a report someone hands us (`report`, `diff`, `plan`, `--previous`,
/// `merge`). Messages carry their cause inline (no `source()`), so a printer that walks the
/// chain does not repeat it.
#[derive(Debug, thiserror::Error)]
pub enum ReadReportError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not an orgsweep report (no schema_version)")]
    NotAReport,
    #[error("report has schema_version {found}, this orgsweep reads versions {oldest} to {newest}")]
    SchemaVersion {
        found: u64,
        oldest: u32,
        newest: u32,
    },
    #[error("not a valid orgsweep report: {0}")]
    Malformed(String),
}

/// The oldest report version this build still reads (version 2 only added fields).
pub const OLDEST_READABLE_SCHEMA_VERSION: u32 = 1;

/// Parses a report, refusing another schema version with a clear message before serde can
/// produce a confusing one about a missing field.
pub fn parse_report(text: &str) -> Result<Report, ReadReportError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ReadReportError::NotJson(e.to_string()))?;
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or(ReadReportError::NotAReport)?;
    let readable = u64::from(OLDEST_READABLE_SCHEMA_VERSION)..=u64::from(crate::SCHEMA_VERSION);
    if !readable.contains(&found) {
        return Err(ReadReportError::SchemaVersion {
            found,
            oldest: OLDEST_READABLE_SCHEMA_VERSION,
            newest: crate::SCHEMA_VERSION,
        });
    }
    let mut report: Report =
        serde_json::from_value(value).map_err(|e| ReadReportError::Malformed(e.to_string()))?;
    report.schema_version = crate::SCHEMA_VERSION;
    Ok(report)
}

/// The JSON Schema of [`Report`], as committed in `report.schema.json`.
pub fn report_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Report)).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn finding(resource: &str) -> Finding {
        Finding {
            id: finding_id("c", "111111111111", "global", "t", resource),
            check_id: "c".to_owned(),
            severity: Severity::High,
            account_id: "111111111111".to_owned(),
            region: GLOBAL_REGION.to_owned(),
            resource_type: "t".to_owned(),
            resource_id: resource.to_owned(),
            title: String::new(),
            detail: String::new(),
            evidence: serde_json::Map::new(),
            remediation: Vec::new(),
            change: None,
            muted: false,
            mute_reason: None,
            scanner_identity: false,
        }
    }

    pub(crate) fn item(id: &str) -> InventoryItem {
        InventoryItem {
            account_id: "111111111111".to_owned(),
            region: "us-east-1".to_owned(),
            resource_type: "ec2_instance".to_owned(),
            resource_id: id.to_owned(),
            created_at: None,
            state: None,
            tags: BTreeMap::new(),
            known: false,
        }
    }

    pub(crate) fn report(findings: Vec<Finding>, inventory: Vec<InventoryItem>) -> Report {
        let at = OffsetDateTime::UNIX_EPOCH;
        Report {
            schema_version: crate::SCHEMA_VERSION,
            tool: Tool {
                name: "orgsweep".to_owned(),
                version: "0".to_owned(),
            },
            run: Run {
                started_at: at,
                finished_at: at,
                management_account_id: "111111111111".to_owned(),
                window_days: 7,
                regions: Vec::new(),
                expected_regions: Vec::new(),
                partition: "aws".to_owned(),
                caller_arn: None,
                organization_id: None,
                events_source: None,
                shard: None,
                scope_digest: None,
                targets: Vec::new(),
            },
            accounts: vec![Account {
                account_id: "111111111111".to_owned(),
                name: "one".to_owned(),
                email: "one@example.com".to_owned(),
                status: "ACTIVE".to_owned(),
                ou_path: "Root".to_owned(),
                ou_ids: Vec::new(),
                tags: BTreeMap::new(),
                scanned: true,
                contacts: BTreeMap::new(),
                credential_report_generated_at: None,
                spend: None,
                customer: None,
                target: None,
            }],
            coverage: [None, Some("us-east-1")]
                .into_iter()
                .map(|region| Coverage {
                    account_id: "111111111111".to_owned(),
                    region: region.map(str::to_owned),
                    check_id: None,
                    status: CoverageStatus::Ok,
                    error: None,
                })
                .collect(),
            findings,
            inventory,
            stats: Stats::default(),
            previous: None,
        }
    }

    #[test]
    fn spend_compares_daily_rates_and_knows_when_it_cannot() {
        let spend = Spend {
            previous_month_cents: 31_000,
            previous_month_days: 31,
            current_month_cents: 10_000,
            current_month_days: 2,
        };
        assert_eq!(spend.daily_ratio(), Some(5.0));
        let first_of_month = Spend {
            current_month_days: 0,
            ..spend
        };
        assert_eq!(first_of_month.daily_ratio(), None);
        let new = Spend {
            previous_month_cents: 0,
            ..spend
        };
        assert_eq!(new.daily_ratio(), None, "no rate to compare with");
    }

    #[test]
    fn finding_id_is_stable_and_separates_parts() {
        let a = finding_id("iam.x", "111111111111", "global", "user", "alice");
        assert_eq!(
            a,
            finding_id("iam.x", "111111111111", "global", "user", "alice")
        );
        assert_eq!(a.len(), 16);
        assert_ne!(
            a,
            finding_id("iam.x", "111111111111", "global", "use", "ralice")
        );
    }

    #[test]
    fn refuses_other_schema_versions_and_garbage() {
        let err = parse_report(r#"{"schema_version": 99}"#).unwrap_err();
        assert!(err.to_string().contains("schema_version 99"), "{err}");
        let err = parse_report(r#"{"findings": []}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not an orgsweep report (no schema_version)"
        );
        let err = parse_report("not json").unwrap_err();
        assert!(err.to_string().starts_with("not JSON: "), "{err}");
        // The cause is in the message once, not again as a source.
        assert!(std::error::Error::source(&err).is_none());
    }

    #[test]
    fn shards_partition_accounts_stably() {
        let ids: Vec<String> = (0..1000).map(|i| format!("{:012}", 100_000 + i)).collect();
        let mut sizes = [0u32; 4];
        for id in &ids {
            let shard = shard_of(id, 4);
            assert!((1..=4).contains(&shard));
            assert_eq!(shard, shard_of(id, 4), "stable");
            sizes[(shard - 1) as usize] += 1;
        }
        assert!(sizes.iter().all(|n| (150..350).contains(n)), "{sizes:?}");
        assert_eq!(shard_of("123456789012", 1), 1);
    }
}
