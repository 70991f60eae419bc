//! Generated reports for the property tests of the model (`prop_reports.rs`) and of the
//! renderers (`crates/report/tests/prop_render.rs`, which includes this file by path), and
//! the deadline every case runs under.
//!
//! Every string a report carries may come from whoever controls a compromised account (tag
//! values, names, error messages), so the strategies mix plain values with hostile ones:
//! markup, quotes, backticks, spreadsheet formulas, bidirectional overrides, zero-width and
//! NUL characters, line breaks and long strings.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use orgsweep_model::diff::Previous;
use orgsweep_model::facts::Contact;
use orgsweep_model::{
    Account, Change, Coverage, CoverageStatus, Finding, InventoryItem, Report, Severity, Shard,
    finding_id,
};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use time::{OffsetDateTime, UtcOffset};

/// A generous bound for one case; a debug build renders these reports in milliseconds.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Runs `f` on its own thread and fails the case if it panics or outlives [`DEADLINE`]
/// (a hang is caught without waiting for it to end).
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(value) => value,
        Err(RecvTimeoutError::Timeout) => panic!("{what} did not finish within {DEADLINE:?}"),
        Err(RecvTimeoutError::Disconnected) => match handle.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => panic!("{what} ended without a result"),
        },
    }
}

/// `cases` per property, or `PROPTEST_CASES` from the environment for a longer run.
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        // Failures are kept as `#[ignore]`d regression tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Markup that must never reach an HTML page unescaped; each is part of a payload below.
pub const MARKERS: &[&str] = &[
    "<script>alert",
    "<img src=x",
    "<svg onload",
    "<iframe src",
    "<a href=\"javascript",
    "</textarea><b>",
];

pub const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "</textarea><b>",
    "{{ 7*7 }}",
    "{% raw %}",
    "\"",
    "'",
    "`",
    "```",
    "\\",
    "&amp;",
    "&#60;",
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example\")",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\u{202E}",
    "\u{200B}",
    "\u{FEFF}",
    "\u{2028}",
    "\0",
    "\n",
    "\r\n",
    "\r",
    "[x](javascript:alert(1))",
    "![x](http://evil.example/x.png)",
    "http://evil.example",
    "www.evil.example",
    "# heading",
    "- [ ] ",
    "*em*",
    "_em_",
    "~~s~~",
    "| a | b |",
    ",",
    ";",
    "é",
    "😀",
    "\u{10FFFF}",
    "aws iam delete-user --user-name x",
    "",
];

/// Any string from AWS, often hostile.
pub fn hostile() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._:/-]{0,16}",
        3 => prop::collection::vec(select(PAYLOADS), 0..5).prop_map(|v| v.concat()),
        2 => prop::collection::vec(
            prop_oneof![select(PAYLOADS).prop_map(str::to_owned), "[a-z ]{0,5}"],
            0..6,
        )
        .prop_map(|v| v.concat()),
        1 => any::<String>(),
        1 => (1usize..3000, select(PAYLOADS)).prop_map(|(n, p)| format!("{}{p}", "A".repeat(n))),
    ]
    .boxed()
}

/// Times a report can hold: RFC 3339 years 0000 to 9999 in whole-minute offsets, mostly
/// recent ones.
pub fn datetime() -> BoxedStrategy<OffsetDateTime> {
    let recent = 1_500_000_000i64..2_000_000_000;
    let any_year = -62_135_596_800i64 + 86_400..253_402_300_799 - 86_400;
    (
        prop_oneof![4 => recent, 1 => any_year],
        0u32..1_000_000_000,
        prop_oneof![3 => Just(0i32), 1 => -1439i32..=1439],
    )
        .prop_map(|(secs, nanos, minutes)| {
            OffsetDateTime::from_unix_timestamp(secs)
                .expect("in range")
                .replace_nanosecond(nanos)
                .expect("in range")
                .to_offset(UtcOffset::from_whole_seconds(minutes * 60).expect("offset"))
        })
        .boxed()
}

pub const ACCOUNTS: &[&str] = &["111111111111", "222222222222", "333333333333"];
pub const REGIONS: &[&str] = &["global", "us-east-1", "eu-west-1", "ap-south-1"];
pub const CHECKS: &[&str] = &[
    "cloudtrail.suspicious_event",
    "iam.role_trusts_external_account",
    "iam.quarantine_policy_attached",
    "iam.principal_recently_created",
    "resources.recently_created",
    "resources.unexpected_region",
    "account.security_contact_missing",
    "iam.root_mfa_disabled",
];

/// An account id: one of a few (so findings, accounts and coverage meet), or anything.
pub fn account_id() -> BoxedStrategy<String> {
    prop_oneof![4 => select(ACCOUNTS).prop_map(str::to_owned), 1 => hostile()].boxed()
}

pub fn region() -> BoxedStrategy<String> {
    prop_oneof![4 => select(REGIONS).prop_map(str::to_owned), 1 => hostile()].boxed()
}

pub fn check_id() -> BoxedStrategy<String> {
    prop_oneof![4 => select(CHECKS).prop_map(str::to_owned), 1 => hostile()].boxed()
}

pub fn severity() -> impl Strategy<Value = Severity> {
    select(&Severity::ALL[..])
}

/// JSON of any shape; numbers are integers (a float may not survive a JSON round trip
/// bit for bit, which is serde_json's business, not orgsweep's).
pub fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        hostile().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((hostile(), inner), 0..3)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}

/// Evidence: any JSON, plus the keys the renderers and the diff read (`events`,
/// `event_ids`), in the shapes the checks write and in other shapes.
pub fn evidence() -> BoxedStrategy<Map<String, Value>> {
    let event = (hostile(), hostile(), hostile(), hostile(), any::<bool>()).prop_map(
        |(time, event, source_ip, group, full)| {
            if full {
                json!({"time": time, "event": event, "source_ip": source_ip, "group": group})
            } else {
                json!({"time": time})
            }
        },
    );
    (
        prop::collection::vec((hostile(), json_value()), 0..2),
        prop::option::of(prop_oneof![
            3 => prop::collection::vec(event, 0..3).prop_map(Value::Array),
            1 => json_value(),
        ]),
        prop::option::of(prop_oneof![
            3 => prop::collection::vec(hostile(), 0..4).prop_map(|ids| json!(ids)),
            1 => json_value(),
        ]),
    )
        .prop_map(|(pairs, events, event_ids)| {
            let mut map: Map<String, Value> = pairs.into_iter().collect();
            if let Some(events) = events {
                map.insert("events".into(), events);
            }
            if let Some(ids) = event_ids {
                map.insert("event_ids".into(), ids);
            }
            map
        })
        .boxed()
}

pub fn finding() -> BoxedStrategy<Finding> {
    (
        (
            check_id(),
            severity(),
            account_id(),
            region(),
            prop_oneof![
                select(&["iam_user", "iam_role", "ec2_instance", "account"][..])
                    .prop_map(str::to_owned),
                hostile()
            ],
            hostile(),
        ),
        (
            hostile(),
            hostile(),
            evidence(),
            prop::collection::vec(hostile(), 0..4),
            prop::option::of(select(
                &[Change::New, Change::Unchanged, Change::Changed][..],
            )),
            prop::option::weighted(0.2, hostile()),
            prop::bool::weighted(0.1),
            // A hostile id now and then: a report can be edited by hand.
            prop::option::weighted(0.1, hostile()),
        ),
    )
        .prop_map(
            |(
                (check_id, severity, account_id, region, resource_type, resource_id),
                (title, detail, evidence, remediation, change, mute_reason, scanner, id),
            )| Finding {
                id: id.unwrap_or_else(|| {
                    finding_id(
                        &check_id,
                        &account_id,
                        &region,
                        &resource_type,
                        &resource_id,
                    )
                }),
                check_id,
                severity,
                account_id,
                region,
                resource_type,
                resource_id,
                title,
                detail,
                evidence,
                remediation,
                change,
                muted: mute_reason.is_some(),
                mute_reason,
                scanner_identity: scanner,
            },
        )
        .boxed()
}

pub fn inventory_item() -> BoxedStrategy<InventoryItem> {
    (
        account_id(),
        region(),
        prop_oneof![
            select(&["iam_user", "iam_role", "ec2_instance", "ec2_volume"][..])
                .prop_map(str::to_owned),
            hostile()
        ],
        hostile(),
        prop::option::of(datetime()),
        prop::option::of(hostile()),
        prop::collection::btree_map(hostile(), hostile(), 0..2),
        any::<bool>(),
    )
        .prop_map(
            |(account_id, region, resource_type, resource_id, created_at, state, tags, known)| {
                InventoryItem {
                    account_id,
                    region,
                    resource_type,
                    resource_id,
                    created_at,
                    state,
                    tags,
                    known,
                }
            },
        )
        .boxed()
}

fn contact() -> impl Strategy<Value = Contact> {
    (hostile(), hostile(), hostile(), hostile()).prop_map(|(name, title, email, phone)| Contact {
        name,
        title,
        email,
        phone,
    })
}

pub fn account() -> BoxedStrategy<Account> {
    (
        (account_id(), hostile(), hostile(), hostile(), hostile()),
        (
            prop::collection::vec(hostile(), 0..2),
            prop::collection::btree_map(hostile(), hostile(), 0..2),
            any::<bool>(),
            prop::collection::btree_map(
                prop_oneof![
                    select(&["SECURITY", "BILLING", "OPERATIONS"][..]).prop_map(str::to_owned),
                    hostile()
                ],
                contact(),
                0..2,
            ),
            prop::option::of(datetime()),
        ),
    )
        .prop_map(
            |(
                (account_id, name, email, status, ou_path),
                (ou_ids, tags, scanned, contacts, generated),
            )| Account {
                account_id,
                name,
                email,
                status,
                ou_path,
                ou_ids,
                tags,
                scanned,
                contacts,
                credential_report_generated_at: generated,
                spend: None,
                customer: None,
                target: None,
            },
        )
        .boxed()
}

pub fn coverage() -> BoxedStrategy<Coverage> {
    (
        account_id(),
        prop::option::of(region()),
        prop::option::of(check_id()),
        select(
            &[
                CoverageStatus::Ok,
                CoverageStatus::Skipped,
                CoverageStatus::Failed,
            ][..],
        ),
        prop::option::of(hostile()),
    )
        .prop_map(|(account_id, region, check_id, status, error)| Coverage {
            account_id,
            region,
            check_id,
            status,
            error,
        })
        .boxed()
}

fn previous() -> impl Strategy<Value = Previous> {
    (
        datetime(),
        prop::collection::vec(finding(), 0..2),
        prop::collection::vec(finding(), 0..2),
        prop::collection::vec(inventory_item(), 0..2),
        prop::collection::vec(inventory_item(), 0..2),
        prop::collection::vec(inventory_item(), 0..2),
    )
        .prop_map(
            |(started_at, resolved, not_rechecked, appeared, disappeared, not_rechecked_res)| {
                Previous {
                    started_at,
                    resolved_findings: resolved,
                    not_rechecked_findings: not_rechecked,
                    appeared,
                    disappeared,
                    not_rechecked_resources: not_rechecked_res,
                }
            },
        )
}

/// Counters as a scan counts them (never near overflow: see the `bug_` tests).
pub fn stats_counts() -> BoxedStrategy<BTreeMap<String, u64>> {
    prop::collection::btree_map(hostile(), 0u64..1_000_000_000_000, 0..4).boxed()
}

/// A report as read from JSON: the fields serde fills in for an older report come from the
/// model's own defaults.
pub fn empty_report() -> Report {
    serde_json::from_value(json!({
        "schema_version": orgsweep_model::SCHEMA_VERSION,
        "tool": {"name": "orgsweep", "version": "0"},
        "run": {"started_at": "2026-11-24T00:00:00Z", "finished_at": "2026-11-24T00:00:01Z",
                "management_account_id": "111111111111", "window_days": 7, "regions": []},
        "accounts": [], "coverage": [], "findings": [], "inventory": [],
        "stats": {"duration_ms": 0, "api_calls": {}, "throttled": 0, "retries": 0}
    }))
    .expect("a minimal report")
}

/// A whole report, hostile strings everywhere.
pub fn report() -> BoxedStrategy<Report> {
    (
        (
            hostile(),
            hostile(),
            datetime(),
            datetime(),
            account_id(),
            any::<u32>(),
            prop::collection::vec(region(), 0..3),
            prop::collection::vec(region(), 0..3),
            hostile(),
        ),
        (
            prop::option::of(hostile()),
            prop::option::of(hostile()),
            prop::option::of(hostile()),
            prop::option::of(hostile()),
            prop::option::of(
                (
                    any::<u32>(),
                    any::<u32>(),
                    prop::collection::vec(account_id(), 0..3),
                )
                    .prop_map(|(index, count, selected_accounts)| Shard {
                        index,
                        count,
                        selected_accounts,
                    }),
            ),
        ),
        (
            prop::collection::vec(account(), 0..3),
            prop::collection::vec(coverage(), 0..4),
            prop::collection::vec(finding(), 0..5),
            prop::collection::vec(inventory_item(), 0..4),
            (
                0u64..10_000_000_000,
                stats_counts(),
                0u64..1_000_000,
                0u64..1_000_000,
                0u64..1_000,
            ),
            prop::option::weighted(0.2, previous()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (
                    name,
                    version,
                    started_at,
                    finished_at,
                    management,
                    window_days,
                    regions,
                    expected,
                    partition,
                ),
                (caller_arn, organization_id, events_source, scope_digest, shard),
                (
                    accounts,
                    coverage,
                    findings,
                    inventory,
                    (duration_ms, api_calls, throttled, retries, resumed),
                    previous,
                    sort,
                ),
            )| {
                let mut report = empty_report();
                report.tool.name = name;
                report.tool.version = version;
                let run = &mut report.run;
                run.started_at = started_at;
                run.finished_at = finished_at;
                run.management_account_id = management;
                run.window_days = window_days;
                run.regions = regions;
                run.expected_regions = expected;
                run.partition = partition;
                run.caller_arn = caller_arn;
                run.organization_id = organization_id;
                run.events_source = events_source;
                run.scope_digest = scope_digest;
                run.shard = shard;
                report.accounts = accounts;
                report.coverage = coverage;
                report.findings = findings;
                report.inventory = inventory;
                report.stats.duration_ms = duration_ms;
                report.stats.api_calls = api_calls;
                report.stats.throttled = throttled;
                report.stats.retries = retries;
                report.stats.resumed_accounts = resumed;
                report.previous = previous;
                if sort {
                    report.sort();
                }
                report
            },
        )
        .boxed()
}
