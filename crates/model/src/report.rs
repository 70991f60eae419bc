use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::Severity;

/// The region value of findings and inventory items that belong to the whole account.
pub const GLOBAL_REGION: &str = "global";

/// One scan of one organization: the JSON contract of DESIGN.md. Everything else (HTML,
/// diff, baseline, plan) is derived from this value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    pub management_account_id: String,
    pub window_days: u32,
    /// The regions that were asked for (`--regions`), after expanding `all`.
    pub regions: Vec<String>,
    /// Where the organization normally operates; empty means "not configured".
    #[serde(default)]
    pub expected_regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageStatus {
    Ok,
    Skipped,
    Failed,
}

/// What was (and, above all, was not) looked at. An entry with `region: None` is about the
/// whole account; one with `check_id: Some` is about a single check in that scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub account_id: String,
    pub region: Option<String>,
    pub check_id: Option<String>,
    pub status: CoverageStatus,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    New,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryItem {
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    pub state: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub known: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub duration_ms: u64,
    /// Operations sent, keyed `service.Operation` (retries not included).
    pub api_calls: BTreeMap<String, u64>,
    /// Attempts that AWS answered with a throttling error.
    pub throttled: u64,
    /// Attempts beyond the first, for any retryable reason.
    pub retries: u64,
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

/// Errors reading a report someone hands us (`report`, and later `diff`, `--previous`).
#[derive(Debug, thiserror::Error)]
pub enum ReadReportError {
    #[error("not an orgsweep report: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("report has schema_version {found}, this orgsweep reads version {expected}")]
    SchemaVersion { found: u64, expected: u32 },
}

/// Parses a report, refusing another schema version with a clear message before serde can
/// produce a confusing one about a missing field.
pub fn parse_report(text: &str) -> Result<Report, ReadReportError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if found != u64::from(crate::SCHEMA_VERSION) {
        return Err(ReadReportError::SchemaVersion {
            found,
            expected: crate::SCHEMA_VERSION,
        });
    }
    Ok(serde_json::from_value(value)?)
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
            },
            accounts: Vec::new(),
            coverage: Vec::new(),
            findings,
            inventory,
            stats: Stats::default(),
            previous: None,
        }
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
        assert!(parse_report("not json").is_err());
    }
}
