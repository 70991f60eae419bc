//! What changed between two reports of the same organization: findings matched by their
//! stable id, inventory items by (account, region, type, id). `scan --previous` embeds the
//! result in the new report (so the HTML, rendered from the JSON alone, can show it) and
//! `orgsweep diff` prints it.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::report::Rfc3339;
use crate::{Change, CoverageStatus, Finding, GLOBAL_REGION, InventoryItem, Report};

/// What changed since the previous report, as stored in the new report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Previous {
    /// When the previous scan started: "changed since <this>".
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Rfc3339")]
    pub started_at: OffsetDateTime,
    /// Findings of the previous report that no longer occur where this scan looked again.
    pub resolved_findings: Vec<Finding>,
    /// Findings of the previous report whose scope (account, region, check) this scan could
    /// not fully see: not found again, but not known to be gone either.
    #[serde(default)]
    pub not_rechecked_findings: Vec<Finding>,
    /// Inventory items that are new since the previous report.
    pub appeared: Vec<InventoryItem>,
    /// Inventory items of the previous report that are gone from a scope read again.
    pub disappeared: Vec<InventoryItem>,
    /// Inventory items of the previous report in scopes this scan could not read.
    #[serde(default)]
    pub not_rechecked_resources: Vec<InventoryItem>,
}

/// The full comparison of two reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDiff {
    #[serde(with = "time::serde::rfc3339")]
    pub previous_started_at: OffsetDateTime,
    pub new_findings: Vec<Finding>,
    /// Findings of both reports whose evidence grew (new events since last time).
    pub changed_findings: Vec<Finding>,
    pub resolved_findings: Vec<Finding>,
    pub not_rechecked_findings: Vec<Finding>,
    pub unchanged_findings: usize,
    pub appeared: Vec<InventoryItem>,
    pub disappeared: Vec<InventoryItem>,
    pub not_rechecked_resources: Vec<InventoryItem>,
}

type ItemKey<'a> = (&'a str, &'a str, &'a str, &'a str);

fn item_key(i: &InventoryItem) -> ItemKey<'_> {
    (&i.account_id, &i.region, &i.resource_type, &i.resource_id)
}

/// The check whose coverage says whether an inventory item's scope was read: every
/// resource source of a region feeds `resources.recently_created`, and IAM principals come
/// from the source of `iam.principal_recently_created`.
fn inventory_check(item: &InventoryItem) -> &'static str {
    if item.resource_type.starts_with("iam_") {
        "iam.principal_recently_created"
    } else {
        "resources.recently_created"
    }
}

/// (account, region or None, check or None) of a coverage entry.
type Scope<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

/// Where a report looked, from its accounts and coverage: whether a (account, region,
/// check) scope was fully read.
struct Seen<'a> {
    scanned_accounts: BTreeSet<&'a str>,
    /// (account, region) pairs the scan reached (any coverage entry names them).
    regions: BTreeSet<(&'a str, &'a str)>,
    /// Coverage entries that are not `ok`, by (account, region or None, check or None), with
    /// their errors.
    gaps: BTreeMap<Scope<'a>, Vec<Option<&'a str>>>,
}

impl<'a> Seen<'a> {
    fn of(report: &'a Report) -> Self {
        let mut seen = Seen {
            scanned_accounts: report
                .accounts
                .iter()
                .filter(|a| a.scanned)
                .map(|a| a.account_id.as_str())
                .collect(),
            regions: BTreeSet::new(),
            gaps: BTreeMap::new(),
        };
        for c in &report.coverage {
            if let Some(region) = c.region.as_deref() {
                seen.regions.insert((&c.account_id, region));
            }
            if c.status != CoverageStatus::Ok {
                seen.gaps
                    .entry((&c.account_id, c.region.as_deref(), c.check_id.as_deref()))
                    .or_default()
                    .push(c.error.as_deref());
            }
        }
        seen
    }

    /// Whether `check` ran over the whole of (`account`, `region`); `region` is
    /// [`GLOBAL_REGION`] for account-scope checks. With `service` (the AWS service a resource
    /// belongs to), a gap whose error names another service's API (`lambda:ListFunctions: …`)
    /// does not count: a region where Lightsail could not be read still read its key pairs.
    fn fully_read(&self, account: &str, region: &str, check: &str, service: Option<&str>) -> bool {
        if !self.scanned_accounts.contains(account) {
            return false;
        }
        let regional = region != GLOBAL_REGION;
        if regional && !self.regions.contains(&(account, region)) {
            return false;
        }
        let mut scopes = vec![(account, None, None), (account, None, Some(check))];
        if regional {
            scopes.push((account, Some(region), None));
            scopes.push((account, Some(region), Some(check)));
        }
        let counts = |error: &Option<&str>| match (service, error.and_then(api_service)) {
            (Some(service), Some(named)) => named == service,
            _ => true,
        };
        !scopes
            .iter()
            .filter_map(|s| self.gaps.get(s))
            .flatten()
            .any(counts)
    }
}

/// The service of the API a coverage error starts with (`lambda` of
/// `lambda:ListFunctions: …`), when it starts with one.
fn api_service(error: &str) -> Option<&str> {
    let (service, rest) = error.split_once(':')?;
    let operation = rest.split([':', ' ']).next()?;
    let is_service = !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let is_operation = operation.starts_with(|c: char| c.is_ascii_uppercase());
    (is_service && is_operation).then_some(service)
}

/// The AWS service of an inventory item, from its type (`ec2_key_pair` → `ec2`).
fn item_service(item: &InventoryItem) -> Option<&str> {
    item.resource_type.split('_').next()
}

/// The event ids a finding's evidence lists (`cloudtrail.suspicious_event`).
fn event_ids(f: &Finding) -> BTreeSet<&str> {
    f.evidence
        .get("event_ids")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .collect()
}

/// How `new` compares with the same finding (same id) of the previous report: changed when
/// its evidence names events the old one did not have.
fn change_of(new: &Finding, old: &Finding) -> Change {
    let before = event_ids(old);
    if event_ids(new).iter().any(|id| !before.contains(id)) {
        Change::Changed
    } else {
        Change::Unchanged
    }
}

pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let old_ids: BTreeMap<&str, &Finding> =
        old.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let new_ids: BTreeSet<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
    let seen = Seen::of(new);

    let mut d = ReportDiff {
        previous_started_at: old.run.started_at,
        new_findings: Vec::new(),
        changed_findings: Vec::new(),
        resolved_findings: Vec::new(),
        not_rechecked_findings: Vec::new(),
        unchanged_findings: 0,
        appeared: Vec::new(),
        disappeared: Vec::new(),
        not_rechecked_resources: Vec::new(),
    };
    for f in &new.findings {
        match old_ids.get(f.id.as_str()) {
            None => d.new_findings.push(f.clone()),
            Some(old) => match change_of(f, old) {
                Change::Changed => d.changed_findings.push(f.clone()),
                _ => d.unchanged_findings += 1,
            },
        }
    }
    for f in old
        .findings
        .iter()
        .filter(|f| !new_ids.contains(f.id.as_str()))
    {
        if seen.fully_read(&f.account_id, &f.region, &f.check_id, None) {
            d.resolved_findings.push(f.clone());
        } else {
            d.not_rechecked_findings.push(f.clone());
        }
    }
    let old_keys: BTreeSet<ItemKey<'_>> = old.inventory.iter().map(item_key).collect();
    let new_keys: BTreeSet<ItemKey<'_>> = new.inventory.iter().map(item_key).collect();
    d.appeared = new
        .inventory
        .iter()
        .filter(|i| !old_keys.contains(&item_key(i)))
        .cloned()
        .collect();
    for i in old
        .inventory
        .iter()
        .filter(|i| !new_keys.contains(&item_key(i)))
    {
        if seen.fully_read(
            &i.account_id,
            &i.region,
            inventory_check(i),
            item_service(i),
        ) {
            d.disappeared.push(i.clone());
        } else {
            d.not_rechecked_resources.push(i.clone());
        }
    }
    d
}

/// Marks every finding of `new` as new, changed or unchanged and embeds what changed since
/// `old`.
pub fn attach_previous(new: &mut Report, old: &Report) {
    let old_findings: BTreeMap<&str, &Finding> =
        old.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    for finding in &mut new.findings {
        finding.change = Some(match old_findings.get(finding.id.as_str()) {
            None => Change::New,
            Some(old) => change_of(finding, old),
        });
    }
    let d = diff(old, new);
    new.previous = Some(Previous {
        started_at: d.previous_started_at,
        resolved_findings: d.resolved_findings,
        not_rechecked_findings: d.not_rechecked_findings,
        appeared: d.appeared,
        disappeared: d.disappeared,
        not_rechecked_resources: d.not_rechecked_resources,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coverage;
    use crate::report::tests::{finding, item, report};

    #[test]
    fn findings_and_items_are_new_resolved_unchanged_appeared_disappeared() {
        let old = report(
            vec![finding("a"), finding("b")],
            vec![item("i-1"), item("i-2")],
        );
        let mut new = report(
            vec![finding("b"), finding("c")],
            vec![item("i-2"), item("i-3")],
        );
        let d = diff(&old, &new);
        let ids = |fs: &[Finding]| fs.iter().map(|f| f.resource_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.new_findings), ["c"]);
        assert_eq!(ids(&d.resolved_findings), ["a"]);
        assert_eq!(d.unchanged_findings, 1);
        assert_eq!(
            d.appeared
                .iter()
                .map(|i| i.resource_id.as_str())
                .collect::<Vec<_>>(),
            ["i-3"]
        );
        assert_eq!(
            d.disappeared
                .iter()
                .map(|i| i.resource_id.as_str())
                .collect::<Vec<_>>(),
            ["i-1"]
        );

        attach_previous(&mut new, &old);
        let changes: Vec<_> = new.findings.iter().map(|f| f.change).collect();
        assert_eq!(changes, [Some(Change::Unchanged), Some(Change::New)]);
        let previous = new.previous.clone().expect("embedded");
        assert_eq!(previous.resolved_findings.len(), 1);
        // Attaching twice gives the same result.
        attach_previous(&mut new, &old);
        assert_eq!(new.previous, Some(previous));

        let text = serde_json::to_string(&new).expect("serializes");
        let back = crate::parse_report(&text).expect("reads back");
        assert_eq!(back, new);
    }

    #[test]
    fn identical_reports_have_no_changes() {
        let old = report(vec![finding("a")], vec![item("i-1")]);
        let d = diff(&old, &old);
        assert!(d.new_findings.is_empty() && d.resolved_findings.is_empty());
        assert!(d.appeared.is_empty() && d.disappeared.is_empty());
        assert_eq!(d.unchanged_findings, 1);
    }

    #[test]
    fn what_this_scan_could_not_see_is_not_rechecked_never_resolved() {
        let regional = |id: &str| {
            let mut f = finding(id);
            f.region = "us-east-1".to_owned();
            f.check_id = "resources.unexpected_region".to_owned();
            f.id = format!("r-{id}");
            f
        };
        let old = report(
            vec![finding("global-a"), regional("x"), regional("y")],
            vec![item("i-1")],
        );
        // This week the region's resource checks failed, and the account-scope check of
        // `global-a` could not run either.
        let mut new = report(Vec::new(), Vec::new());
        for (region, check) in [
            (Some("us-east-1"), "resources.unexpected_region"),
            (Some("us-east-1"), "resources.recently_created"),
            (None, "c"),
        ] {
            new.coverage.push(Coverage {
                account_id: "111111111111".to_owned(),
                region: region.map(str::to_owned),
                check_id: Some(check.to_owned()),
                status: CoverageStatus::Failed,
                error: Some("AccessDenied".to_owned()),
            });
        }
        let d = diff(&old, &new);
        assert!(d.resolved_findings.is_empty(), "{:?}", d.resolved_findings);
        assert_eq!(d.not_rechecked_findings.len(), 3);
        assert!(d.disappeared.is_empty());
        assert_eq!(d.not_rechecked_resources.len(), 1);

        // An account not scanned at all, or a region not visited, is not re-checked either.
        let mut unscanned = report(Vec::new(), Vec::new());
        unscanned.accounts[0].scanned = false;
        let d = diff(&old, &unscanned);
        assert_eq!(d.not_rechecked_findings.len(), 3);
        let mut elsewhere = report(Vec::new(), Vec::new());
        elsewhere.coverage.retain(|c| c.region.is_none());
        let d = diff(&old, &elsewhere);
        let resolved: Vec<&str> = d
            .resolved_findings
            .iter()
            .map(|f| f.resource_id.as_str())
            .collect();
        assert_eq!(resolved, ["global-a"]);
        assert_eq!(d.not_rechecked_findings.len(), 2);

        attach_previous(&mut new, &old);
        let previous = new.previous.expect("embedded");
        assert!(previous.resolved_findings.is_empty());
        assert_eq!(previous.not_rechecked_findings.len(), 3);
    }

    #[test]
    fn a_gap_of_another_service_leaves_a_resource_disappeared() {
        let old = report(Vec::new(), vec![item("i-1")]);
        let gap = |error: &str| Coverage {
            account_id: "111111111111".to_owned(),
            region: Some("us-east-1".to_owned()),
            check_id: Some("resources.recently_created".to_owned()),
            status: CoverageStatus::Failed,
            error: Some(error.to_owned()),
        };
        // Lightsail could not be read: the EC2 instance is gone, not unknown.
        let mut new = report(Vec::new(), Vec::new());
        new.coverage.push(gap(
            "lightsail:GetInstances: lightsail:GetInstances failed: throttled",
        ));
        let d = diff(&old, &new);
        assert_eq!(d.disappeared.len(), 1);
        // EC2 itself could not be read, or the error names no API: not re-checked.
        for error in ["ec2:DescribeInstances: AccessDenied", "timed out"] {
            let mut new = report(Vec::new(), Vec::new());
            new.coverage.push(gap(error));
            let d = diff(&old, &new);
            assert!(d.disappeared.is_empty(), "{error}");
            assert_eq!(d.not_rechecked_resources.len(), 1, "{error}");
        }
    }

    #[test]
    fn a_finding_with_new_events_is_changed_not_unchanged() {
        let with_events = |ids: &[&str]| {
            let mut f = finding("mallory");
            f.evidence
                .insert("event_ids".to_owned(), serde_json::json!(ids));
            f
        };
        let old = report(vec![with_events(&["e-1", "e-2"])], Vec::new());
        let same = report(vec![with_events(&["e-2"])], Vec::new());
        let grown = report(vec![with_events(&["e-2", "e-3"])], Vec::new());
        let d = diff(&old, &same);
        assert_eq!((d.unchanged_findings, d.changed_findings.len()), (1, 0));
        let d = diff(&old, &grown);
        assert_eq!((d.unchanged_findings, d.changed_findings.len()), (0, 1));
        let mut grown = grown;
        attach_previous(&mut grown, &old);
        assert_eq!(grown.findings[0].change, Some(Change::Changed));
    }
}
