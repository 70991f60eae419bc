//! Property tests (generated input) for the parsers of data an attacker may control: the
//! IAM credential report CSV, IAM policy documents, CloudTrail records and gzipped log files.
//!
//! Properties: no panic, no hang (every parse runs under a deadline), every error names
//! where it is (the missing column, the missing or bad field), and valid input reads back
//! what was written.

mod generate;

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use orgsweep_aws::{ParseReportError, parse_credential_report, parse_log_file, parse_trail_event};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use generate::{config, hostile, json_value, within};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Times AWS could write, from year 1 to 9999, in whole-minute offsets.
fn datetime() -> impl Strategy<Value = OffsetDateTime> {
    (
        -62_135_596_800i64 + 86_400..253_402_300_799 - 86_400,
        0u32..1_000_000_000,
        -1439i32..=1439,
    )
        .prop_map(|(secs, nanos, minutes)| {
            OffsetDateTime::from_unix_timestamp(secs)
                .expect("in range")
                .replace_nanosecond(nanos)
                .expect("in range")
                .to_offset(time::UtcOffset::from_whole_seconds(minutes * 60).expect("offset"))
        })
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("formats")
}

// ---------------------------------------------------------------------------------------
// The credential report
// ---------------------------------------------------------------------------------------

const REPORT_COLUMNS: &[&str] = &[
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

/// A cell as AWS writes one, or something hostile.
fn report_cell() -> BoxedStrategy<String> {
    prop_oneof![
        datetime().prop_map(rfc3339),
        select(
            &[
                "true",
                "false",
                "N/A",
                "not_supported",
                "no_information",
                ""
            ][..]
        )
        .prop_map(str::to_owned),
        hostile(),
    ]
    .boxed()
}

/// A credential report: a column order (every required column present, optional ones
/// dropped at random, unknown ones added) and rows of cells.
#[derive(Debug, Clone)]
struct GeneratedReport {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn generated_report() -> impl Strategy<Value = GeneratedReport> {
    let optional = REPORT_COLUMNS[2..].to_vec();
    (
        prop::sample::subsequence(optional.clone(), 0..=optional.len()),
        prop::collection::vec("[a-z_]{1,10}", 0..3),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_flat_map(|(kept, extra, user_at, arn_at)| {
            let mut columns: Vec<String> = kept.iter().map(|c| (*c).to_owned()).collect();
            columns.extend(
                extra
                    .into_iter()
                    .filter(|c| !REPORT_COLUMNS.contains(&c.as_str())),
            );
            columns.insert(user_at.index(columns.len() + 1), "user".to_owned());
            columns.insert(arn_at.index(columns.len() + 1), "arn".to_owned());
            let width = columns.len();
            (
                Just(columns),
                prop::collection::vec(prop::collection::vec(report_cell(), width), 0..8),
            )
        })
        .prop_map(|(columns, rows)| GeneratedReport { columns, rows })
}

fn to_csv(columns: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer.write_record(columns).expect("header");
    for row in rows {
        writer.write_record(row).expect("row");
    }
    writer.into_inner().expect("flush")
}

/// What the parser makes of one cell (`trim`, absent markers), as its doc says.
fn present(cell: &str) -> Option<&str> {
    let cell = cell.trim();
    (!matches!(cell, "" | "N/A" | "not_supported" | "no_information")).then_some(cell)
}

/// Bytes that damage a CSV file.
const DAMAGE: &[&[u8]] = &[
    b"\"", b",", b"\n", b"\r", b"\xff", b"\xc3", b"\0", b"user", b"arn",
];

proptest! {
    #![proptest_config(config(600))]

    /// A report as AWS writes it (columns in any order, some missing, some unknown) parses,
    /// one row per record, every cell where its header says.
    #[test]
    fn credential_reports_parse_by_header_name(
        report in generated_report(),
        bom in prop::bool::weighted(0.1),
    ) {
        let mut bytes = to_csv(&report.columns, &report.rows);
        if bom {
            bytes.splice(0..0, "\u{FEFF}".bytes());
        }
        let parsed = within("parse_credential_report", move || parse_credential_report(&bytes, None))
            .map_err(|e| TestCaseError::fail(format!("valid report refused: {e}")))?;
        prop_assert_eq!(parsed.rows.len(), report.rows.len());
        let at = |name: &str| report.columns.iter().position(|c| c == name);
        for (row, cells) in parsed.rows.iter().zip(&report.rows) {
            let cell = |name: &str| at(name).map_or("", |i| cells[i].as_str());
            prop_assert_eq!(&row.user, cell("user").trim());
            prop_assert_eq!(&row.arn, cell("arn").trim());
            let time_of = |name: &str| {
                present(cell(name)).and_then(|c| OffsetDateTime::parse(c, &Rfc3339).ok())
            };
            prop_assert_eq!(row.user_creation_time, time_of("user_creation_time"));
            prop_assert_eq!(row.password_last_used, time_of("password_last_used"));
            prop_assert_eq!(
                row.mfa_active,
                matches!(cell("mfa_active").trim(), "true" | "TRUE" | "True")
            );
            for (n, slot) in row.access_keys.iter().enumerate() {
                let n = n + 1;
                prop_assert_eq!(
                    slot.last_rotated,
                    time_of(&format!("access_key_{n}_last_rotated"))
                );
                prop_assert_eq!(
                    slot.last_used_region.as_deref(),
                    present(cell(&format!("access_key_{n}_last_used_region")))
                );
            }
        }
    }

    /// Without `user` or `arn` the report is refused, and the error names the column.
    #[test]
    fn a_missing_required_column_is_named(
        report in generated_report(),
        drop_arn in any::<bool>(),
    ) {
        let missing = if drop_arn { "arn" } else { "user" };
        let mut columns = report.columns.clone();
        // Renamed, not removed, so the rows keep their width.
        for c in &mut columns {
            if c == missing {
                *c = format!("{missing}_renamed");
            }
        }
        let bytes = to_csv(&columns, &report.rows);
        let err = within("parse_credential_report", move || parse_credential_report(&bytes, None))
            .expect_err("a report without a required column");
        prop_assert!(matches!(err, ParseReportError::MissingColumn(c) if c == missing), "{err:?}");
        prop_assert!(err.to_string().contains(missing), "{err}");
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// Any bytes: no panic, no hang; a CSV error says where (record, line, byte).
    #[test]
    fn credential_report_of_any_bytes_does_not_panic(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        // A valid header followed by damage: quotes, non-UTF-8, stray separators.
        prop::collection::vec(
            prop_oneof![
                select(DAMAGE).prop_map(<[u8]>::to_vec),
                prop::collection::vec(any::<u8>(), 0..8),
            ],
            0..40,
        )
        .prop_map(|parts| {
            let mut bytes = b"user,arn,mfa_active\n".to_vec();
            bytes.extend(parts.concat());
            bytes
        }),
    ]) {
        let input = bytes.clone();
        match within("parse_credential_report", move || parse_credential_report(&input, None)) {
            Ok(_) => {}
            Err(ParseReportError::MissingColumn(c)) => {
                prop_assert!(c == "user" || c == "arn");
            }
            Err(err @ ParseReportError::Csv(_)) => {
                let message = err.to_string();
                prop_assert!(
                    message.contains("line") || message.contains("byte") || message.contains("record"),
                    "a CSV error that does not say where: {message} (input {bytes:?})"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Policy documents
// ---------------------------------------------------------------------------------------

/// RFC 3986 encoding of everything but the unreserved characters, as IAM sends documents.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A trust policy as IAM writes them, with generated principals and actions.
fn trust_policy() -> impl Strategy<Value = Value> {
    (
        select(&["Allow", "Deny"][..]),
        prop::collection::vec(hostile(), 0..3),
        prop::collection::vec("[0-9]{12}", 1..3),
        json_value(2),
    )
        .prop_map(|(effect, actions, accounts, condition)| {
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": effect,
                    "Action": actions,
                    "Principal": {"AWS": accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect::<Vec<_>>()},
                    "Condition": condition,
                }]
            })
        })
}

proptest! {
    #![proptest_config(config(1200))]

    /// A document reads back the same, sent plain or URL-encoded.
    #[test]
    fn policy_documents_read_plain_and_url_encoded(
        value in prop_oneof![trust_policy(), json_value(4)],
        pretty in any::<bool>(),
    ) {
        let plain = if pretty {
            serde_json::to_string_pretty(&value)
        } else {
            serde_json::to_string(&value)
        }
        .expect("serializes");
        let encoded = url_encode(&plain);
        let (from_plain, from_encoded) = within("policy_document", move || {
            (orgsweep_aws::policy_document(&plain), orgsweep_aws::policy_document(&encoded))
        });
        prop_assert_eq!(from_plain.as_ref(), Ok(&value));
        prop_assert_eq!(from_encoded.as_ref(), Ok(&value));
    }

    /// Any text: no panic, no hang, and an error says which reading failed and why.
    #[test]
    fn policy_document_of_any_text_does_not_panic(raw in prop_oneof![
        any::<String>(),
        prop::collection::vec(
            select(&["%", "%7B", "%7D", "%22", "%FF", "%C3", "%E2%80", "%0", "{", "}", "\"", "[", "]", ":", ",", "a", "1", "%25"][..]),
            0..30,
        )
        .prop_map(|v| v.concat()),
    ]) {
        let input = raw.clone();
        if let Err(message) = within("policy_document", move || orgsweep_aws::policy_document(&input)) {
            prop_assert!(
                message.starts_with("not UTF-8 once URL-decoded: ")
                    || message.starts_with("not a JSON policy document: "),
                "{message}"
            );
            // serde_json says where ("at line 1 column 5"); invalid UTF-8 says at which byte.
            prop_assert!(
                message.contains(" at line ") || message.contains("index"),
                "an error that does not say where: {message} (input {raw:?})"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// CloudTrail records
// ---------------------------------------------------------------------------------------

/// The fields of a record that the parser reads; `None` leaves the field out.
#[derive(Debug, Clone)]
struct Record {
    event_id: Option<String>,
    event_name: Option<String>,
    event_time: Option<OffsetDateTime>,
    event_source: Option<String>,
    region: Option<String>,
    identity_type: Option<String>,
    identity_arn: Option<String>,
    access_key: Option<String>,
    user_name: Option<String>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    mfa: Option<String>,
    error_code: Option<String>,
    resource_arns: Vec<String>,
    parameters: Vec<(String, String)>,
    read_only: Option<bool>,
    /// Fields the parser ignores: must not change anything.
    noise: Map<String, Value>,
}

const PARAMETER_NAMES: &[&str] = &[
    "userName",
    "roleName",
    "policyArn",
    "accessKeyId",
    "instanceId",
    "bucketName",
    "name",
    "trailName",
    "groupId",
    "serialNumber",
    "unrelated",
    "tagSpecificationSet",
];

fn record() -> impl Strategy<Value = Record> {
    let opt = || prop::option::weighted(0.8, hostile());
    (
        (
            prop::option::weighted(0.95, hostile()),
            prop::option::weighted(0.95, hostile()),
            prop::option::weighted(0.95, datetime()),
            opt(),
            opt(),
            opt(),
            opt(),
            opt(),
        ),
        (
            opt(),
            opt(),
            opt(),
            prop::option::of(prop_oneof![
                Just("Yes".to_owned()),
                Just("No".to_owned()),
                hostile()
            ]),
            opt(),
            prop::collection::vec(hostile(), 0..3),
            prop::collection::vec(
                (select(PARAMETER_NAMES).prop_map(str::to_owned), hostile()),
                0..4,
            ),
            prop::option::of(any::<bool>()),
            prop::collection::vec(("[a-zA-Z]{1,12}", json_value(2)), 0..3),
        ),
    )
        .prop_map(
            |(
                (
                    event_id,
                    event_name,
                    event_time,
                    event_source,
                    region,
                    identity_type,
                    identity_arn,
                    access_key,
                ),
                (
                    user_name,
                    source_ip,
                    user_agent,
                    mfa,
                    error_code,
                    resource_arns,
                    parameters,
                    read_only,
                    noise,
                ),
            )| Record {
                event_id,
                event_name,
                event_time,
                event_source,
                region,
                identity_type,
                identity_arn,
                access_key,
                user_name,
                source_ip,
                user_agent,
                mfa,
                error_code,
                resource_arns,
                parameters,
                read_only,
                noise: noise
                    .into_iter()
                    .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
                    .collect(),
            },
        )
}

const KNOWN_FIELDS: &[&str] = &[
    "eventID",
    "eventName",
    "eventTime",
    "eventSource",
    "awsRegion",
    "userIdentity",
    "sourceIPAddress",
    "userAgent",
    "additionalEventData",
    "errorCode",
    "resources",
    "requestParameters",
    "readOnly",
];

impl Record {
    fn to_json(&self) -> Value {
        let mut v = self.noise.clone();
        let mut put = |key: &str, value: &Option<String>| {
            if let Some(value) = value {
                v.insert(key.to_owned(), json!(value));
            }
        };
        put("eventID", &self.event_id);
        put("eventName", &self.event_name);
        put("eventSource", &self.event_source);
        put("awsRegion", &self.region);
        put("sourceIPAddress", &self.source_ip);
        put("userAgent", &self.user_agent);
        put("errorCode", &self.error_code);
        if let Some(at) = self.event_time {
            v.insert("eventTime".into(), json!(rfc3339(at)));
        }
        let mut identity = Map::new();
        for (key, value) in [
            ("type", &self.identity_type),
            ("arn", &self.identity_arn),
            ("accessKeyId", &self.access_key),
            ("userName", &self.user_name),
        ] {
            if let Some(value) = value {
                identity.insert(key.into(), json!(value));
            }
        }
        v.insert("userIdentity".into(), Value::Object(identity));
        if let Some(mfa) = &self.mfa {
            v.insert("additionalEventData".into(), json!({"MFAUsed": mfa}));
        }
        v.insert(
            "resources".into(),
            json!(
                self.resource_arns
                    .iter()
                    .map(|a| json!({"ARN": a, "type": "AWS::IAM::User"}))
                    .collect::<Vec<_>>()
            ),
        );
        let parameters: Map<String, Value> = self
            .parameters
            .iter()
            .map(|(k, p)| (k.clone(), json!(p)))
            .collect();
        v.insert("requestParameters".into(), Value::Object(parameters));
        if let Some(read_only) = self.read_only {
            v.insert("readOnly".into(), json!(read_only));
        }
        Value::Object(v)
    }

    /// The first field the parser must complain about, in the order it reads them.
    fn first_missing(&self) -> Option<&'static str> {
        if self.event_time.is_none() {
            Some("eventTime")
        } else if self.event_id.is_none() {
            Some("eventID")
        } else if self.event_name.is_none() {
            Some("eventName")
        } else {
            None
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

/// The JSON text of a log file of these records.
fn log_file(records: &[Record]) -> String {
    json!({"Records": records.iter().map(Record::to_json).collect::<Vec<_>>()}).to_string()
}

proptest! {
    #![proptest_config(config(1000))]

    /// A record with the three required fields parses to exactly what it says; without one
    /// the error names the first missing field.
    #[test]
    fn trail_records_parse_or_name_the_missing_field(record in record()) {
        let value = record.to_json();
        let parsed = within("parse_trail_event", move || parse_trail_event(&value));
        match (record.first_missing(), parsed) {
            (None, Ok(event)) => {
                prop_assert_eq!(Some(&event.event_id), record.event_id.as_ref());
                prop_assert_eq!(Some(&event.event_name), record.event_name.as_ref());
                prop_assert_eq!(Some(event.event_time), record.event_time);
                prop_assert_eq!(event.event_source, record.event_source.clone().unwrap_or_default());
                prop_assert_eq!(event.aws_region, record.region.clone().unwrap_or_default());
                prop_assert_eq!(event.principal_type, record.identity_type.clone());
                prop_assert_eq!(event.principal_arn, record.identity_arn.clone());
                prop_assert_eq!(event.access_key_id, record.access_key.clone());
                prop_assert_eq!(event.user_name, record.user_name.clone());
                prop_assert_eq!(event.source_ip, record.source_ip.clone());
                prop_assert_eq!(event.user_agent, record.user_agent.clone());
                prop_assert_eq!(event.error_code, record.error_code.clone());
                prop_assert_eq!(event.mfa_used, record.mfa.as_ref().map(|m| m == "Yes"));
                // Every resource ARN and every resource-naming parameter, each once, sorted.
                for arn in &record.resource_arns {
                    prop_assert!(event.resources.contains(arn), "{arn:?} missing");
                }
                let mut sorted = event.resources.clone();
                sorted.sort();
                sorted.dedup();
                prop_assert_eq!(&sorted, &event.resources);
                // A repeated parameter: the JSON object keeps the last value.
                let parameters: std::collections::BTreeMap<&String, &String> =
                    record.parameters.iter().map(|(k, v)| (k, v)).collect();
                for (key, value) in parameters {
                    let names_resource = !matches!(key.as_str(), "unrelated" | "tagSpecificationSet");
                    if names_resource {
                        prop_assert!(event.resources.contains(value), "{key}={value:?} missing");
                    }
                }
            }
            (Some(field), Err(message)) => {
                prop_assert!(message.contains(field), "{message:?} does not name {field}");
            }
            (expected, got) => prop_assert!(false, "expected error on {expected:?}, got {got:?}"),
        }
    }

    /// A required field of the wrong type or an eventTime that is not RFC 3339: the error
    /// names the field (and quotes the bad time, cut short).
    #[test]
    fn a_bad_required_field_is_named(
        record in record(),
        field in select(&["eventTime", "eventID", "eventName"][..]),
        bad in prop_oneof![
            json_value(2).prop_filter("not a string", |v| !v.is_string()),
            hostile().prop_map(Value::String),
        ],
    ) {
        let mut value = record.to_json();
        for required in ["eventTime", "eventID", "eventName"] {
            value.as_object_mut().expect("object").entry(required).or_insert(json!("2026-11-20T10:00:00Z"));
        }
        let bad_is_time = bad.as_str().is_some_and(|s| OffsetDateTime::parse(s, &Rfc3339).is_ok());
        if bad.is_string() && field != "eventTime" || bad_is_time {
            // A string id or name, or a valid time, is not bad.
            return Ok(());
        }
        value[field] = bad.clone();
        let message = within("parse_trail_event", move || parse_trail_event(&value))
            .expect_err("a bad required field");
        prop_assert!(message.contains(field), "{message:?} does not name {field}");
        prop_assert!(message.chars().count() < 200, "an unbounded message: {} chars", message.chars().count());
    }
}

proptest! {
    #![proptest_config(config(1200))]

    /// Any JSON: no panic, no hang; an error names one of the required fields.
    #[test]
    fn trail_record_of_any_json_does_not_panic(value in json_value(5)) {
        if let Err(message) = within("parse_trail_event", move || parse_trail_event(&value)) {
            prop_assert!(
                ["eventTime", "eventID", "eventName"].iter().any(|f| message.contains(f)),
                "{message:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(config(200))]

    /// A log file keeps every record not marked read-only: parsed or counted, never lost,
    /// and the first problem names its field.
    #[test]
    fn log_files_keep_or_count_every_write_record(records in prop::collection::vec(record(), 0..12)) {
        let bytes = gzip(log_file(&records).as_bytes());
        let read = within("parse_log_file", move || parse_log_file(&bytes))
            .map_err(|e| TestCaseError::fail(format!("a valid log file refused: {e}")))?;
        let writes: Vec<&Record> = records.iter().filter(|r| r.read_only != Some(true)).collect();
        let bad = writes.iter().filter(|r| r.first_missing().is_some()).count();
        prop_assert_eq!(read.events.len(), writes.len() - bad);
        prop_assert_eq!(read.unparsed, bad);
        let first = writes.iter().find_map(|r| r.first_missing());
        match (first, &read.first_problem) {
            (None, None) => {}
            (Some(field), Some(problem)) => prop_assert!(problem.contains(field), "{problem}"),
            (expected, got) => prop_assert!(false, "first problem {got:?}, expected one naming {expected:?}"),
        }
    }

    /// A damaged file (cut short, a byte flipped, not gzip, not UTF-8, not a CloudTrail file):
    /// no panic, no hang, and a refusal says what it is not.
    #[test]
    fn damaged_log_files_are_refused_or_read(
        records in prop::collection::vec(record(), 0..6),
        damage in 0u8..6,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let text = log_file(&records);
        let mut bytes = gzip(text.as_bytes());
        match damage {
            0 => bytes.truncate(at.index(bytes.len())),
            1 => {
                let i = at.index(bytes.len());
                bytes[i] ^= byte | 1;
            }
            2 => {
                // Valid gzip of text that is not UTF-8 at a random place.
                let mut raw = text.into_bytes();
                let i = at.index(raw.len() + 1);
                raw.insert(i, 0xff);
                bytes = gzip(&raw);
            }
            3 => bytes = text.into_bytes(),
            4 => bytes = gzip(b"{\"NotRecords\": []}"),
            _ => bytes = gzip(&text.as_bytes()[..at.index(text.len() + 1)]),
        }
        if let Err(message) = within("parse_log_file", move || parse_log_file(&bytes)) {
            prop_assert!(
                message.starts_with("not a gzipped log file: ")
                    || message.starts_with("not a CloudTrail log file"),
                "{message}"
            );
        }
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// Arbitrary bytes: no panic, no hang.
    #[test]
    fn log_file_of_any_bytes_does_not_panic(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| gzip(&b)),
            // A gzip header, then garbage.
            prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| [&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3][..], &b].concat()),
        ],
    ) {
        let _ = within("parse_log_file", move || parse_log_file(&bytes));
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Deep nesting anywhere in a file: refused (serde_json's depth limit) or read, never a
    /// stack overflow; deep values inside a record are ignored.
    #[test]
    fn deeply_nested_log_files_do_not_overflow(
        depth in prop_oneof![1usize..120, 120usize..140, 1_000usize..200_000],
        place in 0u8..3,
    ) {
        let nest = |inner: &str| format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth));
        let text = match place {
            0 => nest(""),
            1 => format!("{{\"Records\": {}}}", nest("")),
            _ => format!(
                "{{\"Records\": [{{\"eventID\": \"e\", \"eventName\": \"n\", \"eventTime\": \"2026-11-20T10:00:00Z\", \"requestParameters\": {}}}]}}",
                nest("1")
            ),
        };
        let bytes = gzip(text.as_bytes());
        let read = within("parse_log_file", move || parse_log_file(&bytes));
        if place == 2 && depth < 120 {
            let read = read.map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
            prop_assert_eq!(read.events.len(), 1);
        } else if depth >= 140 {
            prop_assert!(read.is_err(), "{depth} levels read");
        }
    }
}

proptest! {
    #![proptest_config(config(8))]

    /// Many records and long values: read in full, within the deadline.
    #[test]
    fn large_log_files_are_read_in_full(
        count in 1_000usize..3_000,
        value_len in 0usize..500,
    ) {
        let long = "v".repeat(value_len);
        let records: Vec<Value> = (0..count)
            .map(|i| json!({"eventID": format!("e-{i}"), "eventName": "RunInstances", "eventTime": "2026-11-20T10:00:00Z",
                            "userAgent": long, "requestParameters": {"instanceId": format!("i-{i}")}}))
            .collect();
        let bytes = gzip(json!({"Records": records}).to_string().as_bytes());
        let read = within("parse_log_file", move || parse_log_file(&bytes))
            .map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        prop_assert_eq!(read.events.len(), count);
        prop_assert_eq!(read.unparsed, 0);
    }
}
