//! What changed between two reports of the same organization: findings matched by their
//! stable id, inventory items by (account, region, type, id). `scan --previous` embeds the
//! result in the new report (so the HTML, rendered from the JSON alone, can show it) and
//! `orgsweep diff` prints it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Change, Finding, InventoryItem, Report};

/// What changed since the previous report, as stored in the new report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    /// When the previous scan started: "changed since <this>".
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// Findings of the previous report that no longer occur.
    pub resolved_findings: Vec<Finding>,
    /// Inventory items that are new since the previous report.
    pub appeared: Vec<InventoryItem>,
    /// Inventory items of the previous report that are gone.
    pub disappeared: Vec<InventoryItem>,
}

/// The full comparison of two reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDiff {
    #[serde(with = "time::serde::rfc3339")]
    pub previous_started_at: OffsetDateTime,
    pub new_findings: Vec<Finding>,
    pub resolved_findings: Vec<Finding>,
    pub unchanged_findings: usize,
    pub appeared: Vec<InventoryItem>,
    pub disappeared: Vec<InventoryItem>,
}

type ItemKey<'a> = (&'a str, &'a str, &'a str, &'a str);

fn item_key(i: &InventoryItem) -> ItemKey<'_> {
    (&i.account_id, &i.region, &i.resource_type, &i.resource_id)
}

/// Items of `a` that are not in `b`, in `a`'s order.
fn missing_from(a: &[InventoryItem], b: &[InventoryItem]) -> Vec<InventoryItem> {
    let keys: BTreeSet<ItemKey<'_>> = b.iter().map(item_key).collect();
    a.iter()
        .filter(|i| !keys.contains(&item_key(i)))
        .cloned()
        .collect()
}

pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let old_ids: BTreeMap<&str, &Finding> =
        old.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let new_ids: BTreeSet<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
    let (unchanged, new_findings): (Vec<&Finding>, Vec<&Finding>) = new
        .findings
        .iter()
        .partition(|f| old_ids.contains_key(f.id.as_str()));
    ReportDiff {
        previous_started_at: old.run.started_at,
        new_findings: new_findings.into_iter().cloned().collect(),
        resolved_findings: old
            .findings
            .iter()
            .filter(|f| !new_ids.contains(f.id.as_str()))
            .cloned()
            .collect(),
        unchanged_findings: unchanged.len(),
        appeared: missing_from(&new.inventory, &old.inventory),
        disappeared: missing_from(&old.inventory, &new.inventory),
    }
}

/// Marks every finding of `new` as new or unchanged and embeds what changed since `old`.
pub fn attach_previous(new: &mut Report, old: &Report) {
    let old_ids: BTreeSet<&str> = old.findings.iter().map(|f| f.id.as_str()).collect();
    for finding in &mut new.findings {
        finding.change = Some(if old_ids.contains(finding.id.as_str()) {
            Change::Unchanged
        } else {
            Change::New
        });
    }
    let d = diff(old, new);
    new.previous = Some(Previous {
        started_at: d.previous_started_at,
        resolved_findings: d.resolved_findings,
        appeared: d.appeared,
        disappeared: d.disappeared,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
