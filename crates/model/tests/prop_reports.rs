//! Property tests (generated reports and text) for reading reports back (`parse_report`,
//! which `report`, `diff`, `plan`, `--previous` and `merge` all go through) and for
//! comparing two reports (`diff`, `attach_previous`).
//!
//! Properties: no panic, no hang; a report written as JSON reads back equal; any other text
//! is refused with a message that says what is wrong (and for broken JSON, where); the diff
//! puts every finding and item in exactly one bucket.

mod support;

use std::collections::BTreeSet;

use orgsweep_model::diff::{attach_previous, diff};
use orgsweep_model::{Change, ReadReportError, Report, parse_report};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use support::{config, hostile, report, within};

fn parse(text: String) -> Result<Report, ReadReportError> {
    within("parse_report", move || parse_report(&text))
}

/// Bytes that break JSON.
const BREAKERS: &[&str] = &[
    "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\uD800", "\\uDC00", "null", "-", "1e999",
    "0x1", "NaN", "\n", "\0", " ", "é", "\u{FEFF}", "/*", "tru",
];

proptest! {
    #![proptest_config(config(200))]

    /// A report written as JSON (compact or pretty) reads back equal.
    #[test]
    fn reports_round_trip_through_json(report in report(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&report)
        } else {
            serde_json::to_string(&report)
        }
        .expect("a report serializes");
        let read = parse(text).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        prop_assert_eq!(read, report);
    }

    /// A report with a piece cut out, a byte inserted or a field of the wrong type: read or
    /// refused, never a panic; broken JSON is refused with its line and column.
    #[test]
    fn damaged_reports_are_read_or_refused(
        report in report(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), select(BREAKERS), 0u8..3), 1..4),
    ) {
        let mut text = serde_json::to_string_pretty(&report).expect("serializes");
        for (at, breaker, kind) in edits {
            let boundaries: Vec<usize> =
                text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let i = boundaries[at.index(boundaries.len())];
            match kind {
                0 => text.insert_str(i, breaker),
                1 => text.truncate(i),
                _ => {
                    if i < text.len() {
                        text.remove(i);
                    }
                }
            }
        }
        if let Err(err) = parse(text) {
            let message = err.to_string();
            prop_assert!(!message.is_empty());
            if let ReadReportError::NotJson(_) = err {
                prop_assert!(message.contains(" at line ") && message.contains(" column "), "{message}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// Any text: no panic, no hang.
    #[test]
    fn any_text_is_read_or_refused(text in prop_oneof![
        any::<String>(),
        prop::collection::vec(select(BREAKERS), 0..40).prop_map(|v| v.concat()),
    ]) {
        let _ = parse(text);
    }
}

proptest! {
    #![proptest_config(config(200))]

    /// `schema_version` of any value: read when it is a version this build reads, otherwise
    /// refused with a message about the schema version, before any other field is looked at.
    #[test]
    fn schema_versions_are_checked_first(
        report in report(),
        version in prop_oneof![
            (0u64..6).prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            Just(json!(1.5)),
            Just(json!(2.0)),
            hostile().prop_map(Value::String),
            Just(Value::Null),
            Just(json!([2])),
        ],
        drop_findings in any::<bool>(),
    ) {
        let mut value = serde_json::to_value(&report).expect("serializes");
        value["schema_version"] = version.clone();
        if drop_findings {
            value.as_object_mut().expect("object").remove("findings");
        }
        let readable = version
            .as_u64()
            .filter(|v| (1..=u64::from(orgsweep_model::SCHEMA_VERSION)).contains(v));
        match (readable, parse(value.to_string())) {
            (Some(_), Ok(read)) => prop_assert!(!drop_findings && read.findings == report.findings),
            (Some(_), Err(err)) => {
                prop_assert!(drop_findings, "{err}");
                prop_assert!(err.to_string().contains("findings"), "{err}");
            }
            (None, Err(err)) => prop_assert!(err.to_string().contains("schema_version"), "{err}"),
            (None, Ok(_)) => prop_assert!(false, "schema_version {version} read"),
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Deep nesting (an evidence value, or the whole document): refused by serde_json's
    /// depth limit or read, never a stack overflow.
    #[test]
    fn deeply_nested_reports_do_not_overflow(depth in prop_oneof![1usize..130, 1_000usize..100_000], whole in any::<bool>()) {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let text = if whole {
            nested
        } else {
            let mut value = serde_json::to_value(support::empty_report()).expect("serializes");
            value["findings"] = json!([{"id": "x", "check_id": "c", "severity": "high", "account_id": "1",
                "region": "global", "resource_type": "t", "resource_id": "r", "title": "", "detail": "",
                "evidence": {"deep": "NESTED"}, "remediation": [], "change": null}]);
            value.to_string().replace("\"NESTED\"", &nested)
        };
        let read = parse(text);
        if depth > 130 {
            prop_assert!(matches!(read, Err(ReadReportError::NotJson(_))), "{read:?}");
        }
    }
}

/// Two reports of the same organization: `old` shares some of `new`'s findings (some with
/// new event ids) and inventory items, and has some of its own.
fn report_pair() -> impl Strategy<Value = (Report, Report)> {
    (
        report(),
        report(),
        prop::collection::vec(0u8..3, 0..8),
        prop::collection::vec(any::<bool>(), 0..8),
    )
        .prop_map(|(new, mut old, keep_findings, keep_items)| {
            for (f, keep) in new.findings.iter().zip(&keep_findings) {
                match keep {
                    0 => {}
                    1 => old.findings.push(f.clone()),
                    _ => {
                        // The same finding, seen with fewer events last time.
                        let mut earlier = f.clone();
                        earlier.evidence.insert("event_ids".into(), json!([]));
                        old.findings.push(earlier);
                    }
                }
            }
            for (i, keep) in new.inventory.iter().zip(&keep_items) {
                if *keep {
                    old.inventory.push(i.clone());
                }
            }
            (old, new)
        })
}

type ItemKey = (String, String, String, String);

fn item_keys(r: &Report) -> BTreeSet<ItemKey> {
    r.inventory
        .iter()
        .map(|i| {
            (
                i.account_id.clone(),
                i.region.clone(),
                i.resource_type.clone(),
                i.resource_id.clone(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(config(150))]

    /// Every finding and item lands in exactly one bucket of the diff.
    #[test]
    fn diff_accounts_for_everything((old, new) in report_pair()) {
        let (o, n) = (old.clone(), new.clone());
        let d = within("diff", move || diff(&o, &n));
        prop_assert_eq!(
            d.new_findings.len() + d.changed_findings.len() + d.unchanged_findings,
            new.findings.len()
        );
        let new_ids: BTreeSet<&str> = new.findings.iter().map(|f| f.id.as_str()).collect();
        let old_ids: BTreeSet<&str> = old.findings.iter().map(|f| f.id.as_str()).collect();
        let gone = old.findings.iter().filter(|f| !new_ids.contains(f.id.as_str())).count();
        prop_assert_eq!(d.resolved_findings.len() + d.not_rechecked_findings.len(), gone);
        for f in &d.new_findings {
            prop_assert!(!old_ids.contains(f.id.as_str()));
        }
        let (old_keys, new_keys) = (item_keys(&old), item_keys(&new));
        let appeared = new.inventory.iter().filter(|i| !old_keys.contains(&(i.account_id.clone(), i.region.clone(), i.resource_type.clone(), i.resource_id.clone()))).count();
        prop_assert_eq!(d.appeared.len(), appeared);
        let vanished = old.inventory.iter().filter(|i| !new_keys.contains(&(i.account_id.clone(), i.region.clone(), i.resource_type.clone(), i.resource_id.clone()))).count();
        prop_assert_eq!(d.disappeared.len() + d.not_rechecked_resources.len(), vanished);
        prop_assert_eq!(d.previous_started_at, old.run.started_at);
    }

    /// A report compared with itself (ids unique, as `finding_id` makes them): nothing new,
    /// gone, appeared or disappeared.
    #[test]
    fn a_report_diffed_with_itself_is_unchanged(mut report in report()) {
        let mut seen = BTreeSet::new();
        report.findings.retain(|f| seen.insert(f.id.clone()));
        let r = report.clone();
        let d = within("diff", move || diff(&r, &r));
        prop_assert!(d.new_findings.is_empty() && d.changed_findings.is_empty());
        prop_assert!(d.resolved_findings.is_empty() && d.not_rechecked_findings.is_empty());
        prop_assert!(d.appeared.is_empty() && d.disappeared.is_empty() && d.not_rechecked_resources.is_empty());
        prop_assert_eq!(d.unchanged_findings, report.findings.len());
    }

    /// `attach_previous` marks every finding and embeds the comparison; the result still
    /// round-trips through JSON.
    #[test]
    fn attached_comparisons_round_trip((old, new) in report_pair()) {
        let o = old.clone();
        let mut new = within("attach_previous", move || {
            let mut new = new;
            attach_previous(&mut new, &o);
            new
        });
        prop_assert!(new.findings.iter().all(|f| f.change.is_some()));
        let old_ids: BTreeSet<&str> = old.findings.iter().map(|f| f.id.as_str()).collect();
        for f in &new.findings {
            prop_assert_eq!(f.change == Some(Change::New), !old_ids.contains(f.id.as_str()));
        }
        prop_assert!(new.previous.is_some());
        new.sort();
        let text = serde_json::to_string(&new).expect("serializes");
        let read = parse(text).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        prop_assert_eq!(read, new);
    }
}
