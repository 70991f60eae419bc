//! Property tests (generated files) for the two TOML files a user edits, `orgsweep.toml`
//! and the baseline, and for the baseline writer.
//!
//! Properties: no panic, no hang (every load runs under a deadline); a valid file loads and
//! means what it says; a file with one mistake is refused with a one-line error that names
//! the file and the line of the mistake (`<path>: line N: …`); any text is either read or
//! refused the same way; a baseline written from a report reads back and knows everything
//! in the report.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use orgsweep_checks::{ResourceRef, Settings};
use orgsweep_config::{Baseline, ConfigError, ConfigFile, baseline_from_report, is_region_name};
use orgsweep_model::{Account, InventoryItem, Report, SCHEMA_VERSION};
use proptest::prelude::*;
use proptest::sample::select;

const DEADLINE: Duration = Duration::from_secs(5);

/// Runs `f` on its own thread and fails the case if it panics or outlives [`DEADLINE`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
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
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Writes `text` to a fresh file and loads it with `load`, under the deadline.
fn load_text<T: Send + 'static>(
    bytes: Vec<u8>,
    load: fn(&Path) -> Result<T, ConfigError>,
) -> (String, Result<T, ConfigError>) {
    let mut file = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    file.write_all(&bytes).expect("write");
    let path = file.path().to_owned();
    let shown = path.display().to_string();
    let result = within("load", move || load(&path));
    drop(file);
    (shown, result)
}

/// The properties of every refusal: one line, `<path>: line N: message`, N within the file.
fn check_error(err: &ConfigError, path: &str, text: &str) -> Result<usize, TestCaseError> {
    let shown = err.to_string();
    prop_assert!(
        !shown.contains('\n') && !shown.contains('\r'),
        "not one line: {shown:?}"
    );
    prop_assert!(shown.contains(path), "does not name the file: {shown:?}");
    let ConfigError::Invalid { line, .. } = err else {
        return Err(TestCaseError::fail(format!("no line: {shown:?}")));
    };
    prop_assert!(shown.contains(&format!("line {line}:")), "{shown:?}");
    let lines = text.split('\n').count();
    prop_assert!(
        (1..=lines).contains(line),
        "line {line} of a {lines}-line file: {shown:?}"
    );
    Ok(*line)
}

// ---------------------------------------------------------------------------------------
// Generated strings and TOML text
// ---------------------------------------------------------------------------------------

const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "`",
    "\\",
    "\\n",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\0",
    "\u{7f}",
    "\u{202E}",
    "\u{200B}",
    "\u{FEFF}",
    "=cmd|' /C calc'!A0",
    "#",
    "[",
    "]",
    "[[x]]",
    "*",
    "?",
    "**",
    "{",
    "}",
    "=",
    ",",
    "é",
    "😀",
];

fn hostile() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._:/@+=-]{0,12}",
        3 => prop::collection::vec(select(PAYLOADS), 0..5).prop_map(|v| v.concat()),
        1 => any::<String>(),
        1 => (0usize..2000, select(PAYLOADS)).prop_map(|(n, p)| format!("{}{p}", "x".repeat(n))),
    ]
    .boxed()
}

/// A TOML basic string holding exactly `s`.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text safe in a TOML comment (no control characters but tab).
fn comment_text(s: &str) -> String {
    s.chars()
        .filter(|c| *c == '\t' || !c.is_control())
        .collect()
}

const REGIONS: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "ap-southeast-2",
    "us-gov-west-1",
    "cn-north-1",
    "me-central-1",
];

fn account_id() -> impl Strategy<Value = String> {
    "[0-9]{12}"
}

/// [`hostile`] without line breaks: values that are quoted in error messages. (A quoted
/// line break breaks the one-line message: see `bug_*` below.)
fn one_line() -> BoxedStrategy<String> {
    hostile().prop_map(|s| s.replace(['\n', '\r'], "")).boxed()
}

/// A value that is not a region name (whatever `is_region_name` says).
fn not_a_region() -> impl Strategy<Value = String> {
    one_line().prop_filter("not a region name", |s| !is_region_name(s) && s != "all")
}

/// A glob that matches exactly `s`, or a simple wildcard pattern.
fn valid_glob() -> impl Strategy<Value = String> {
    prop_oneof![
        hostile().prop_map(|s| glob::Pattern::escape(&s)),
        "(user|role)/[a-z]{1,6}\\*".prop_map(|s| s.replace('\\', "")),
        Just("*".to_owned()),
    ]
}

/// A glob that `glob::Pattern::new` refuses: an unclosed `[` at the end.
fn bad_glob() -> impl Strategy<Value = String> {
    one_line().prop_map(|s| format!("{s}["))
}

/// Lines of a file, with the line (1-based) of the one mistake, if any.
#[derive(Debug, Clone, Default)]
struct Doc {
    lines: Vec<String>,
    fault_line: Option<usize>,
}

impl Doc {
    fn push(&mut self, line: String, fault: bool) {
        self.lines.push(line);
        if fault {
            self.fault_line = Some(self.lines.len());
        }
    }

    fn text(&self, crlf: bool) -> String {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = self.lines.join(eol);
        text.push_str(eol);
        text
    }
}

/// One `key = value` of the settings file or a `[[allow]]` / `[[resources]]` rule, as
/// written, with one of its lines possibly the mistake.
#[derive(Debug, Clone)]
enum Item {
    /// `key = <raw value>`.
    Raw {
        key: String,
        value: String,
        fault: bool,
    },
    /// `key = [..]`, one element a line when `multiline`; `fault` is the bad element.
    List {
        key: String,
        values: Vec<String>,
        multiline: bool,
        fault: Option<usize>,
    },
}

impl Item {
    fn raw(key: &str, value: String) -> Item {
        Item::Raw {
            key: key.to_owned(),
            value,
            fault: false,
        }
    }

    fn list(key: &str, values: Vec<String>, multiline: bool) -> Item {
        Item::List {
            key: key.to_owned(),
            values,
            multiline,
            fault: None,
        }
    }

    fn key(&self) -> &str {
        match self {
            Item::Raw { key, .. } | Item::List { key, .. } => key,
        }
    }

    fn render(&self, doc: &mut Doc, trailing_comment: &str) {
        match self {
            // No comment after a mistake: it could end an unterminated string.
            Item::Raw {
                key,
                value,
                fault: true,
            } => doc.push(format!("{key} = {value}"), true),
            Item::Raw {
                key,
                value,
                fault: false,
            } => {
                doc.push(format!("{key} = {value}{trailing_comment}"), false);
            }
            Item::List {
                key,
                values,
                multiline: false,
                fault,
            } => {
                let quoted: Vec<String> = values.iter().map(|v| toml_str(v)).collect();
                doc.push(
                    format!("{key} = [{}]{trailing_comment}", quoted.join(", ")),
                    fault.is_some(),
                );
            }
            Item::List {
                key,
                values,
                multiline: true,
                fault,
            } => {
                doc.push(format!("{key} = ["), false);
                for (i, v) in values.iter().enumerate() {
                    doc.push(format!("    {},", toml_str(v)), *fault == Some(i));
                }
                doc.push(format!("]{trailing_comment}"), false);
            }
        }
    }
}

/// Blank lines and comments between items.
fn filler() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            Just(String::new()),
            hostile().prop_map(|s| format!("# {}", comment_text(&s))),
            Just("   ".to_owned()),
        ],
        0..2,
    )
}

fn trailing() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => hostile().prop_map(|s| format!("  # {}", comment_text(&s))),
    ]
}

/// Renders sections: a list of (table header, items), the first with no header.
fn render(
    sections: &[(Option<String>, Vec<Item>)],
    fillers: &[Vec<String>],
    trailings: &[String],
) -> Doc {
    let mut doc = Doc::default();
    let mut n = 0;
    for (header, items) in sections {
        if let Some(header) = header {
            doc.push(header.clone(), false);
        }
        for item in items {
            for line in &fillers[n % fillers.len().max(1)] {
                doc.push(line.clone(), false);
            }
            item.render(&mut doc, &trailings[n % trailings.len().max(1)]);
            n += 1;
        }
    }
    doc
}

// ---------------------------------------------------------------------------------------
// orgsweep.toml
// ---------------------------------------------------------------------------------------

/// A valid settings file's content.
#[derive(Debug, Clone)]
struct SettingsSpec {
    window_days: Option<u32>,
    rotation_days: Option<u32>,
    unused_days: Option<u32>,
    role_name: Option<String>,
    regions: Option<Vec<String>>,
    expected_regions: Option<Vec<String>>,
    trusted_accounts: Vec<String>,
    email_domains: Vec<String>,
    known_principals: Vec<(String, Vec<String>)>,
    allow: Vec<Vec<Item>>,
}

fn rule_items() -> impl Strategy<Value = Vec<Item>> {
    (
        prop::option::of(hostile()),
        prop::option::of(hostile()),
        prop::option::of(hostile()),
        prop::option::of(valid_glob()),
        prop::option::of(hostile()),
        prop::option::of(valid_glob()),
    )
        .prop_map(|(account, region, kind, id, tag_key, tag_value)| {
            let mut items = Vec::new();
            for (key, value) in [
                ("account", account),
                ("region", region),
                ("type", kind),
                ("id", id),
                ("tag_key", tag_key),
                ("tag_value", tag_value),
            ] {
                if let Some(value) = value {
                    items.push(Item::raw(key, toml_str(&value)));
                }
            }
            items
        })
}

fn settings_file() -> impl Strategy<Value = SettingsSpec> {
    (
        (
            prop::option::of(1u32..=90),
            prop::option::of(1u32..=3650),
            prop::option::of(1u32..=3650),
            prop::option::of(hostile()),
            prop::option::of(prop::collection::vec(
                prop_oneof![select(REGIONS), Just("all")].prop_map(str::to_owned),
                0..4,
            )),
            prop::option::of(prop::collection::vec(
                select(REGIONS).prop_map(str::to_owned),
                0..4,
            )),
        ),
        (
            prop::collection::vec(account_id(), 0..4),
            prop::collection::vec(hostile(), 0..3),
            prop::collection::btree_map(
                prop_oneof![account_id(), Just("*".to_owned())],
                prop::collection::vec(valid_glob(), 0..3),
                0..3,
            ),
            prop::collection::vec(rule_items(), 0..3),
        ),
    )
        .prop_map(
            |(
                (window_days, rotation_days, unused_days, role_name, regions, expected_regions),
                (trusted_accounts, email_domains, known_principals, allow),
            )| SettingsSpec {
                window_days,
                rotation_days,
                unused_days,
                role_name,
                regions,
                expected_regions,
                trusted_accounts,
                email_domains,
                known_principals: known_principals.into_iter().collect(),
                allow,
            },
        )
}

impl SettingsSpec {
    /// The top-level items, in a fixed order (the caller shuffles).
    fn top_items(&self, multiline: bool) -> Vec<Item> {
        let mut items = Vec::new();
        for (key, value) in [
            ("window_days", self.window_days),
            ("rotation_days", self.rotation_days),
            ("unused_days", self.unused_days),
        ] {
            if let Some(v) = value {
                items.push(Item::raw(key, v.to_string()));
            }
        }
        if let Some(role) = &self.role_name {
            items.push(Item::raw("role_name", toml_str(role)));
        }
        for (key, list) in [
            ("regions", &self.regions),
            ("expected_regions", &self.expected_regions),
        ] {
            if let Some(list) = list {
                items.push(Item::list(key, list.clone(), multiline));
            }
        }
        items.push(Item::list(
            "trusted_accounts",
            self.trusted_accounts.clone(),
            multiline,
        ));
        items.push(Item::list(
            "email_domains",
            self.email_domains.clone(),
            multiline,
        ));
        items
    }

    fn sections(&self, top: Vec<Item>, multiline: bool) -> Vec<(Option<String>, Vec<Item>)> {
        let mut sections = vec![(None, top)];
        if !self.known_principals.is_empty() {
            sections.push((
                Some("[known_principals]".to_owned()),
                self.known_principals
                    .iter()
                    .map(|(account, patterns)| {
                        Item::list(&toml_str(account), patterns.clone(), multiline)
                    })
                    .collect(),
            ));
        }
        for rule in &self.allow {
            sections.push((Some("[[allow]]".to_owned()), rule.clone()));
        }
        sections
    }
}

/// One mistake in a settings file, placed in one of its items.
#[derive(Debug, Clone)]
enum Fault {
    /// A day count outside its range (or not a u32).
    OutOfRange(&'static str, i64),
    /// A day count of the wrong type.
    WrongType(&'static str, String),
    /// A region list with one bad name.
    BadRegion(&'static str, String, usize),
    /// A trusted account that is not 12 digits.
    BadAccount(String, usize),
    /// A key the file does not have.
    UnknownKey(String),
    /// A string that never ends.
    Unterminated(String),
    /// A known-principals key that is not an account id (the list may be empty).
    BadPrincipalAccount(String, Vec<String>),
    /// A malformed glob in known principals.
    BadPrincipalGlob(String),
    /// A malformed glob in an allow rule (`id` or `tag_value`).
    BadRuleGlob(&'static str, String),
    /// An unknown field in an allow rule.
    UnknownRuleField(String),
}

fn fault() -> impl Strategy<Value = Fault> {
    let day_key = select(&["window_days", "rotation_days", "unused_days"][..]);
    prop_oneof![
        (
            day_key.clone(),
            prop_oneof![
                -1000i64..=0,
                3651i64..100_000,
                Just(i64::from(u32::MAX) + 1),
                Just(i64::MIN),
                Just(i64::MAX),
            ]
        )
            .prop_map(|(k, v)| Fault::OutOfRange(k, v)),
        (91i64..=3650).prop_map(|v| Fault::OutOfRange("window_days", v)),
        (
            day_key,
            prop_oneof![
                hostile().prop_map(|s| toml_str(&s)),
                Just("7.5".to_owned()),
                Just("true".to_owned()),
                Just("[7]".to_owned()),
                Just("{ days = 7 }".to_owned()),
                Just("1979-05-27".to_owned()),
            ]
        )
            .prop_map(|(k, v)| Fault::WrongType(k, v)),
        (
            select(&["regions", "expected_regions"][..]),
            not_a_region(),
            any::<usize>()
        )
            .prop_map(|(k, v, i)| Fault::BadRegion(k, v, i)),
        (
            one_line().prop_filter("not an account id", |s| {
                s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit())
            }),
            any::<usize>()
        )
            .prop_map(|(v, i)| Fault::BadAccount(v, i)),
        "[a-z_]{1,16}"
            .prop_filter("not a key of the file", |k| !SETTINGS_KEYS
                .contains(&k.as_str()))
            .prop_map(Fault::UnknownKey),
        "[a-zA-Z0-9 ]{0,10}".prop_map(Fault::Unterminated),
        (
            one_line().prop_filter("not an account id", |s| {
                s != "*" && (s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()))
            }),
            prop::collection::vec(valid_glob(), 1..3),
        )
            .prop_map(|(k, v)| Fault::BadPrincipalAccount(k, v)),
        bad_glob().prop_map(Fault::BadPrincipalGlob),
        (select(&["id", "tag_value"][..]), bad_glob()).prop_map(|(k, v)| Fault::BadRuleGlob(k, v)),
        "[a-z_]{1,12}"
            .prop_filter("not a rule field", |k| {
                !["account", "region", "type", "id", "tag_key", "tag_value"].contains(&k.as_str())
            })
            .prop_map(Fault::UnknownRuleField),
    ]
}

const SETTINGS_KEYS: &[&str] = &[
    "expected_regions",
    "regions",
    "window_days",
    "role_name",
    "rotation_days",
    "unused_days",
    "trusted_accounts",
    "email_domains",
    "known_principals",
    "allow",
];

/// Applies `fault` to the file's sections; returns the word the message must contain, if
/// the message is ours (toml's own messages are only required to name the line).
fn inject(
    sections: &mut Vec<(Option<String>, Vec<Item>)>,
    fault: &Fault,
    multiline: bool,
    at: usize,
) -> Option<String> {
    let top = &mut sections[0].1;
    let place = at % (top.len() + 1);
    match fault {
        Fault::OutOfRange(key, value) => {
            top.retain(|i| i.key() != *key);
            let place = at % (top.len() + 1);
            top.insert(
                place,
                Item::Raw {
                    key: (*key).to_owned(),
                    value: value.to_string(),
                    fault: true,
                },
            );
            (0..=i64::from(u32::MAX))
                .contains(value)
                .then(|| format!("{key} = {value} is outside"))
        }
        Fault::WrongType(key, value) => {
            top.retain(|i| i.key() != *key);
            let place = at % (top.len() + 1);
            top.insert(
                place,
                Item::Raw {
                    key: (*key).to_owned(),
                    value: value.clone(),
                    fault: true,
                },
            );
            None
        }
        Fault::BadRegion(key, value, index) => {
            let mut values: Vec<String> = top
                .iter()
                .find_map(|i| match i {
                    Item::List { key: k, values, .. } if k == key => Some(values.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            top.retain(|i| i.key() != *key);
            let index = index % (values.len() + 1);
            values.insert(index, value.clone());
            let place = at % (top.len() + 1);
            top.insert(
                place,
                Item::List {
                    key: (*key).to_owned(),
                    values,
                    multiline,
                    fault: Some(index),
                },
            );
            Some(format!("{key}: '"))
        }
        Fault::BadAccount(value, index) => {
            let list = top.iter_mut().find(|i| i.key() == "trusted_accounts");
            if let Some(Item::List { values, fault, .. }) = list {
                let index = index % (values.len() + 1);
                values.insert(index, value.clone());
                *fault = Some(index);
            }
            Some("is not a 12-digit account id".to_owned())
        }
        Fault::UnknownKey(key) => {
            top.insert(
                place,
                Item::Raw {
                    key: key.clone(),
                    value: "1".to_owned(),
                    fault: true,
                },
            );
            Some(key.clone())
        }
        Fault::Unterminated(text) => {
            top.retain(|i| i.key() != "role_name");
            let place = at % (top.len() + 1);
            top.insert(
                place,
                Item::Raw {
                    key: "role_name".to_owned(),
                    value: format!("\"{text}"),
                    fault: true,
                },
            );
            None
        }
        Fault::BadPrincipalAccount(account, patterns) => {
            let item = Item::List {
                key: toml_str(account),
                values: patterns.clone(),
                multiline,
                fault: None,
            };
            let section = sections
                .iter_mut()
                .find(|(h, _)| h.as_deref() == Some("[known_principals]"));
            match section {
                Some((_, items)) => {
                    let place = at % (items.len() + 1);
                    items.insert(place, item);
                }
                None => sections.insert(1, (Some("[known_principals]".to_owned()), vec![item])),
            }
            // The key's line: marked after rendering (see `key_line`).
            Some("is not a 12-digit account id or \"*\"".to_owned())
        }
        Fault::BadPrincipalGlob(pattern) => {
            let item = Item::List {
                key: toml_str("*"),
                values: vec![pattern.clone()],
                multiline,
                fault: Some(0),
            };
            match sections
                .iter_mut()
                .find(|(h, _)| h.as_deref() == Some("[known_principals]"))
            {
                Some((_, items)) => {
                    items.retain(|i| i.key() != toml_str("*"));
                    let place = at % (items.len() + 1);
                    items.insert(place, item);
                }
                None => sections.insert(1, (Some("[known_principals]".to_owned()), vec![item])),
            }
            Some("known_principals: '".to_owned())
        }
        Fault::BadRuleGlob(field, pattern) => {
            let mut rule = vec![Item::raw("type", toml_str("ec2_instance"))];
            rule.insert(
                at % 2,
                Item::Raw {
                    key: (*field).to_owned(),
                    value: toml_str(pattern),
                    fault: true,
                },
            );
            sections.push((Some("[[allow]]".to_owned()), rule));
            Some(format!("allow: {field} '"))
        }
        Fault::UnknownRuleField(field) => {
            let mut rule = vec![Item::raw("type", toml_str("ec2_instance"))];
            rule.insert(
                at % 2,
                Item::Raw {
                    key: field.clone(),
                    value: "1".to_owned(),
                    fault: true,
                },
            );
            sections.push((Some("[[allow]]".to_owned()), rule));
            Some(field.clone())
        }
    }
}

/// The line of `key = ` inside the `[known_principals]` table of `doc`.
fn key_line(doc: &Doc, key: &str) -> Option<usize> {
    let header = doc.lines.iter().position(|l| l == "[known_principals]")?;
    doc.lines[header..]
        .iter()
        .position(|l| l.starts_with(&format!("{key} = ")))
        .map(|i| header + i + 1)
}

/// Inputs of one rendering: shuffle, fillers, comments, line ends.
/// Multi-line lists, fillers, trailing comments, CRLF line ends, the shuffle's seed.
type Layout = (bool, Vec<Vec<String>>, Vec<String>, bool, any_index::Seed);

fn layout() -> impl Strategy<Value = Layout> {
    (
        any::<bool>(),
        prop::collection::vec(filler(), 1..4),
        prop::collection::vec(trailing(), 1..4),
        prop::bool::weighted(0.2),
        any::<any_index::Seed>(),
    )
}

mod any_index {
    /// A permutation seed for the top-level items.
    pub type Seed = u64;

    pub fn shuffle<T>(items: &mut [T], mut seed: u64) {
        for i in (1..items.len()).rev() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let j = (seed >> 33) as usize % (i + 1);
            items.swap(i, j);
        }
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// A valid file loads, and applying it sets what it says.
    #[test]
    fn valid_settings_files_load_and_apply(
        file in settings_file(),
        (multiline, fillers, trailings, crlf, seed) in layout(),
    ) {
        let mut top = file.top_items(multiline);
        any_index::shuffle(&mut top, seed);
        let doc = render(&file.sections(top, multiline), &fillers, &trailings);
        let text = doc.text(crlf);
        let (path, loaded) = load_text(text.clone().into_bytes(), ConfigFile::load);
        let config = match loaded {
            Ok(config) => config,
            Err(err) => {
                check_error(&err, &path, &text)?;
                return Err(TestCaseError::fail(format!("a valid file refused: {err}\n{text}")));
            }
        };
        let mut settings = Settings::default();
        let defaults = Settings::default();
        config.apply(&mut settings).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(settings.window_days, file.window_days.unwrap_or(defaults.window_days));
        prop_assert_eq!(settings.rotation_days, file.rotation_days.unwrap_or(defaults.rotation_days));
        prop_assert_eq!(settings.unused_days, file.unused_days.unwrap_or(defaults.unused_days));
        prop_assert_eq!(&settings.scan_role_name, file.role_name.as_ref().unwrap_or(&defaults.scan_role_name));
        prop_assert_eq!(config.regions(), file.regions.clone());
        if let Some(expected) = &file.expected_regions {
            prop_assert_eq!(&settings.expected_regions, expected);
        }
        prop_assert_eq!(&settings.email_domains, &file.email_domains);
        for account in &file.trusted_accounts {
            prop_assert!(settings.trusted_accounts.contains(account));
        }
        let any_known = !file.known_principals.is_empty() || !file.allow.is_empty();
        prop_assert_eq!(settings.known.is_some(), any_known);
    }

    /// A file with one mistake is refused naming the file and the mistake's line, in one line.
    #[test]
    fn a_mistake_in_a_settings_file_names_its_line(
        file in settings_file(),
        fault in fault(),
        at in any::<usize>(),
        (multiline, fillers, trailings, crlf, seed) in layout(),
    ) {
        let mut top = file.top_items(multiline);
        any_index::shuffle(&mut top, seed);
        let mut sections = file.sections(top, multiline);
        let needle = inject(&mut sections, &fault, multiline, at);
        let doc = render(&sections, &fillers, &trailings);
        let expected_line = match &fault {
            Fault::BadPrincipalAccount(account, _) => key_line(&doc, &toml_str(account)),
            _ => doc.fault_line,
        };
        // A bad account key of a multi-line list may be reported on its first pattern's line.
        let also = match &fault {
            Fault::BadPrincipalAccount(_, patterns) if multiline && !patterns.is_empty() => {
                expected_line.map(|l| l + 1)
            }
            _ => None,
        };
        let text = doc.text(crlf);
        let (path, loaded) = load_text(text.clone().into_bytes(), ConfigFile::load);
        let err = match loaded {
            Ok(_) => return Err(TestCaseError::fail(format!("{fault:?} accepted:\n{text}"))),
            Err(err) => err,
        };
        let line = check_error(&err, &path, &text)?;
        prop_assert!(
            Some(line) == expected_line || Some(line) == also,
            "line {} instead of {:?}: {} for {:?} in\n{}", line, expected_line, err, fault, text
        );
        if let Some(needle) = needle {
            prop_assert!(err.to_string().contains(&needle), "{err} lacks {needle:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The baseline
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum BaselineFault {
    Version(u32),
    BadAccount(String, Vec<String>),
    BadGlob(String),
    BadResourceGlob(String),
    UnknownKey(String),
    UnknownResourceField(String),
}

fn baseline_fault() -> impl Strategy<Value = BaselineFault> {
    prop_oneof![
        any::<u32>()
            .prop_filter("not the version", |v| *v != 1)
            .prop_map(BaselineFault::Version),
        (
            one_line().prop_filter("not an account id", |s| {
                s != "*" && (s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()))
            }),
            prop::collection::vec(valid_glob(), 1..3),
        )
            .prop_map(|(k, v)| BaselineFault::BadAccount(k, v)),
        bad_glob().prop_map(BaselineFault::BadGlob),
        bad_glob().prop_map(BaselineFault::BadResourceGlob),
        "[a-z_]{1,16}"
            .prop_filter("not a key", |k| !["version", "principals", "resources"]
                .contains(&k.as_str()))
            .prop_map(BaselineFault::UnknownKey),
        "[a-z_]{1,12}"
            .prop_filter("not a rule field", |k| {
                !["account", "region", "type", "id", "tag_key", "tag_value"].contains(&k.as_str())
            })
            .prop_map(BaselineFault::UnknownResourceField),
    ]
}

/// A baseline: principals per account and resource rules.
/// Patterns per account key.
type Principals = Vec<(String, Vec<String>)>;

fn baseline_file() -> impl Strategy<Value = (Principals, Vec<Vec<Item>>)> {
    (
        prop::collection::btree_map(
            prop_oneof![account_id(), Just("*".to_owned())],
            prop::collection::vec(valid_glob(), 0..3),
            0..3,
        )
        .prop_map(|m| m.into_iter().collect::<Vec<_>>()),
        prop::collection::vec(rule_items(), 0..3),
    )
}

fn baseline_sections(
    principals: &[(String, Vec<String>)],
    resources: &[Vec<Item>],
    multiline: bool,
) -> Vec<(Option<String>, Vec<Item>)> {
    let mut sections = vec![(None, vec![Item::raw("version", "1".to_owned())])];
    sections.push((
        Some("[principals]".to_owned()),
        principals
            .iter()
            .map(|(account, patterns)| Item::list(&toml_str(account), patterns.clone(), multiline))
            .collect(),
    ));
    for rule in resources {
        sections.push((Some("[[resources]]".to_owned()), rule.clone()));
    }
    sections
}

fn principals_key_line(doc: &Doc, key: &str) -> Option<usize> {
    let header = doc.lines.iter().position(|l| l == "[principals]")?;
    doc.lines[header..]
        .iter()
        .position(|l| l.starts_with(&format!("{key} = ")))
        .map(|i| header + i + 1)
}

proptest! {
    #![proptest_config(config(1000))]

    /// A valid baseline loads.
    #[test]
    fn valid_baselines_load(
        (principals, resources) in baseline_file(),
        (multiline, fillers, trailings, crlf, _seed) in layout(),
    ) {
        let doc = render(&baseline_sections(&principals, &resources, multiline), &fillers, &trailings);
        let text = doc.text(crlf);
        let (path, loaded) = load_text(text.clone().into_bytes(), Baseline::load);
        if let Err(err) = loaded {
            check_error(&err, &path, &text)?;
            return Err(TestCaseError::fail(format!("a valid baseline refused: {err}\n{text}")));
        }
    }

    /// A baseline with one mistake is refused naming the file and the line, in one line.
    #[test]
    fn a_mistake_in_a_baseline_names_its_line(
        (principals, resources) in baseline_file(),
        fault in baseline_fault(),
        at in any::<usize>(),
        (multiline, fillers, trailings, crlf, _seed) in layout(),
    ) {
        let mut sections = baseline_sections(&principals, &resources, multiline);
        let mut key = None;
        let needle = match &fault {
            BaselineFault::Version(v) => {
                sections[0].1 = vec![Item::Raw { key: "version".into(), value: v.to_string(), fault: true }];
                Some(format!("baseline version {v} is not supported"))
            }
            BaselineFault::BadAccount(account, patterns) => {
                let items = &mut sections[1].1;
                let place = at % (items.len() + 1);
                items.insert(place, Item::list(&toml_str(account), patterns.clone(), multiline));
                key = Some(toml_str(account));
                Some("is not a 12-digit account id or \"*\"".to_owned())
            }
            BaselineFault::BadGlob(pattern) => {
                let items = &mut sections[1].1;
                items.retain(|i| i.key() != toml_str("*"));
                let place = at % (items.len() + 1);
                items.insert(place, Item::List { key: toml_str("*"), values: vec![pattern.clone()], multiline, fault: Some(0) });
                Some("principals: '".to_owned())
            }
            BaselineFault::BadResourceGlob(pattern) => {
                let rule = vec![Item::raw("type", toml_str("ec2_volume")), Item::Raw { key: "id".into(), value: toml_str(pattern), fault: true }];
                sections.push((Some("[[resources]]".to_owned()), rule));
                Some("resources: id '".to_owned())
            }
            BaselineFault::UnknownKey(k) => {
                sections[0].1.insert(at % 2, Item::Raw { key: k.clone(), value: "1".into(), fault: true });
                Some(k.clone())
            }
            BaselineFault::UnknownResourceField(k) => {
                let rule = vec![Item::raw("type", toml_str("ec2_volume")), Item::Raw { key: k.clone(), value: "1".into(), fault: true }];
                sections.push((Some("[[resources]]".to_owned()), rule));
                Some(k.clone())
            }
        };
        let doc = render(&sections, &fillers, &trailings);
        let expected_line = match &key {
            Some(key) => principals_key_line(&doc, key),
            None => doc.fault_line,
        };
        let also = match &fault {
            BaselineFault::BadAccount(_, patterns) if multiline && !patterns.is_empty() => {
                expected_line.map(|l| l + 1)
            }
            _ => None,
        };
        let text = doc.text(crlf);
        let (path, loaded) = load_text(text.clone().into_bytes(), Baseline::load);
        let err = match loaded {
            Ok(_) => return Err(TestCaseError::fail(format!("{fault:?} accepted:\n{text}"))),
            Err(err) => err,
        };
        let line = check_error(&err, &path, &text)?;
        prop_assert!(
            Some(line) == expected_line || Some(line) == also,
            "line {} instead of {:?}: {} for {:?} in\n{}", line, expected_line, err, fault, text
        );
        if let Some(needle) = needle {
            prop_assert!(err.to_string().contains(&needle), "{err} lacks {needle:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Any text, and damaged files
// ---------------------------------------------------------------------------------------

/// Bytes that break TOML.
const BREAKERS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "=",
    "\n",
    "\r",
    "#",
    ",",
    "{",
    "}",
    ".",
    "\\",
    "\\u",
    "\\U0011FFFF",
    "\t",
    "\0",
    "\u{7f}",
    " ",
    "1979-05-27T07:32:00Z",
    "inf",
    "nan",
    "0x",
    "+",
    "-",
    "_",
    "é",
    "\u{FEFF}",
];

fn damaged_text() -> impl Strategy<Value = String> {
    let valid = (settings_file(), layout()).prop_map(
        |(file, (multiline, fillers, trailings, crlf, seed))| {
            let mut top = file.top_items(multiline);
            any_index::shuffle(&mut top, seed);
            render(&file.sections(top, multiline), &fillers, &trailings).text(crlf)
        },
    );
    prop_oneof![
        any::<String>(),
        prop::collection::vec(select(BREAKERS), 0..40).prop_map(|v| v.concat()),
        (
            valid,
            prop::collection::vec(
                (
                    any::<prop::sample::Index>(),
                    select(BREAKERS),
                    any::<bool>()
                ),
                1..4
            )
        )
            .prop_map(|(mut text, edits)| {
                for (at, breaker, delete) in edits {
                    let boundaries: Vec<usize> = text
                        .char_indices()
                        .map(|(i, _)| i)
                        .chain([text.len()])
                        .collect();
                    let i = boundaries[at.index(boundaries.len())];
                    if delete && i < text.len() {
                        text.remove(i);
                    } else {
                        text.insert_str(i, breaker);
                    }
                }
                text
            }),
    ]
}

proptest! {
    #![proptest_config(config(1500))]

    /// Any text as a settings file or a baseline: loaded, or refused with the file and a
    /// line of it, in one line.
    #[test]
    fn any_text_is_loaded_or_refused_with_a_line(text in damaged_text(), as_baseline in any::<bool>()) {
        let bytes = text.clone().into_bytes();
        let (path, err) = if as_baseline {
            let (path, loaded) = load_text(bytes, Baseline::load);
            (path, loaded.err())
        } else {
            let (path, loaded) = load_text(bytes, ConfigFile::load);
            (path, loaded.err())
        };
        if let Some(err) = err {
            check_error(&err, &path, &text)?;
        }
    }
}

// ---------------------------------------------------------------------------------------
// The baseline writer
// ---------------------------------------------------------------------------------------

const PRINCIPAL_TYPES: &[&str] = &["iam_user", "iam_role"];

fn inventory_item() -> impl Strategy<Value = InventoryItem> {
    (
        prop_oneof![Just("111111111111".to_owned()), account_id()],
        prop_oneof![
            select(REGIONS).prop_map(str::to_owned),
            Just("global".to_owned()),
            hostile()
        ],
        prop_oneof![
            select(
                &[
                    "iam_user",
                    "iam_role",
                    "ec2_instance",
                    "ec2_volume",
                    "ec2_snapshot"
                ][..]
            )
            .prop_map(str::to_owned),
            hostile(),
        ],
        hostile(),
        prop::collection::btree_map(hostile(), hostile(), 0..2),
    )
        .prop_map(|(account_id, region, resource_type, name, tags)| {
            let resource_id = if PRINCIPAL_TYPES.contains(&resource_type.as_str()) {
                let kind = if resource_type == "iam_user" {
                    "user"
                } else {
                    "role"
                };
                format!("arn:aws:iam::{account_id}:{kind}/{name}")
            } else {
                name
            };
            InventoryItem {
                account_id,
                region,
                resource_type,
                resource_id,
                created_at: None,
                state: None,
                tags,
                known: false,
            }
        })
}

/// A report with these accounts and inventory, read from JSON as `orgsweep baseline` reads
/// one (so fields the model adds later take their defaults).
fn report_with(accounts: Vec<(String, String)>, inventory: Vec<InventoryItem>) -> Report {
    let mut report: Report = serde_json::from_value(serde_json::json!({
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "orgsweep", "version": "0"},
        "run": {"started_at": "2026-11-24T00:00:00Z", "finished_at": "2026-11-24T00:00:01Z",
                "management_account_id": "111111111111", "window_days": 7, "regions": []},
        "accounts": [], "coverage": [], "findings": [], "inventory": [],
        "stats": {"duration_ms": 0, "api_calls": {}, "throttled": 0, "retries": 0}
    }))
    .expect("a minimal report");
    report.accounts = accounts
        .into_iter()
        .map(|(account_id, name)| Account {
            account_id,
            name,
            scanned: true,
            ..Account::default()
        })
        .collect();
    report.inventory = inventory;
    report
}

/// [`hostile`] without the control characters a TOML comment may not hold (line feed
/// kept): a report path or account name with one writes a baseline that does not load
/// (see `bug_*` below).
fn comment_safe() -> impl Strategy<Value = String> {
    hostile().prop_map(|s| {
        s.chars()
            .filter(|c| matches!(c, '\n' | '\t') || !(*c < ' ' || *c == '\u{7f}'))
            .collect()
    })
}

/// Account names as Organizations allows them: printable ASCII.
fn aws_account_name() -> impl Strategy<Value = String> {
    "[ -~]{1,30}"
}

fn check_written_baseline(report: &Report, source: &str) -> Result<(), TestCaseError> {
    let text = baseline_from_report(report, source);
    let (path, loaded) = load_text(text.clone().into_bytes(), Baseline::load);
    let baseline = match loaded {
        Ok(baseline) => baseline,
        Err(err) => {
            return Err(TestCaseError::fail(format!(
                "the written baseline does not load: {err}\n{text} ({path})"
            )));
        }
    };
    for item in &report.inventory {
        if PRINCIPAL_TYPES.contains(&item.resource_type.as_str()) {
            prop_assert!(
                baseline
                    .known
                    .knows_principal(&item.account_id, &item.resource_id),
                "{:?} not known from\n{}",
                item.resource_id,
                text
            );
        } else {
            let tags = BTreeMap::new();
            prop_assert!(
                baseline.known.knows_resource(&ResourceRef {
                    account: &item.account_id,
                    region: &item.region,
                    resource_type: &item.resource_type,
                    id: &item.resource_id,
                    tags: &tags,
                }),
                "{:?} not known from\n{}",
                item,
                text
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(600))]

    /// The baseline written from a report (names and ids from AWS, printable account names)
    /// loads and knows every principal and resource of the report.
    #[test]
    fn written_baselines_read_back(
        accounts in prop::collection::vec((prop_oneof![Just("111111111111".to_owned()), account_id()], aws_account_name()), 0..3),
        inventory in prop::collection::vec(inventory_item(), 0..8),
        source in "[a-zA-Z0-9 ./_-]{0,30}",
    ) {
        check_written_baseline(&report_with(accounts, inventory), &source)?;
    }

    /// The same with any account name and source path (a hand-edited report, a path with a
    /// newline), control characters aside: the baseline still loads.
    #[test]
    fn written_baselines_read_back_whatever_the_names(
        accounts in prop::collection::vec((prop_oneof![Just("111111111111".to_owned()), account_id()], comment_safe()), 0..3),
        inventory in prop::collection::vec(inventory_item(), 0..4),
        source in comment_safe(),
    ) {
        check_written_baseline(&report_with(accounts, inventory), &source)?;
    }
}

// ---------------------------------------------------------------------------------------
// Bugs found by the properties above, kept as minimal regression tests
// ---------------------------------------------------------------------------------------

fn load_error(text: &str, load: fn(&Path) -> Result<(), ConfigError>) -> (String, String) {
    let (path, loaded) = load_text(text.as_bytes().to_vec(), load);
    (path, loaded.expect_err("refused").to_string())
}

fn load_settings(path: &Path) -> Result<(), ConfigError> {
    ConfigFile::load(path).map(drop)
}

fn load_baseline(path: &Path) -> Result<(), ConfigError> {
    Baseline::load(path).map(drop)
}

#[test]
#[ignore = "bug: a bad account key with an empty list is reported at line 1, not its own line"]
fn bug_bad_principal_account_with_an_empty_list_names_line_1() {
    let (_, err) = load_error("version = 1\n[principals]\n\"prod\" = []\n", load_baseline);
    assert!(err.contains("line 3:"), "{err}");
    let (_, err) = load_error("[known_principals]\n\"prod\" = []\n", load_settings);
    assert!(err.contains("line 2:"), "{err}");
}

#[test]
#[ignore = "bug: a value quoted in an error keeps its line breaks, so the error is not one line"]
fn bug_quoted_values_with_line_breaks_make_multi_line_errors() {
    let mut failures = Vec::new();
    for (text, load) in [
        (
            "regions = [\"a\\nb\"]\n",
            load_settings as fn(&Path) -> Result<(), ConfigError>,
        ),
        ("trusted_accounts = [\"1\\r2\"]\n", load_settings),
        ("[known_principals]\n\"a\\nb\" = [\"x\"]\n", load_settings),
        ("[known_principals]\n\"*\" = [\"\\n[\"]\n", load_settings),
        ("[[allow]]\nid = \"\\n[\"\n", load_settings),
        (
            "version = 1\n[principals]\n\"\\n\" = [\"\"]\n",
            load_baseline,
        ),
    ] {
        let (_, err) = load_error(text, load);
        if err.contains(['\n', '\r']) {
            failures.push(format!("{text:?}: {err:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
#[ignore = "bug: baseline_from_report copies control characters into TOML comments: the baseline does not load"]
fn bug_written_baseline_with_a_control_character_does_not_load() {
    let mut failures = Vec::new();
    let named = |name: &str| {
        report_with(
            vec![("111111111111".to_owned(), name.to_owned())],
            vec![InventoryItem {
                account_id: "111111111111".to_owned(),
                region: "global".to_owned(),
                resource_type: "iam_user".to_owned(),
                resource_id: "arn:aws:iam::111111111111:user/alice".to_owned(),
                created_at: None,
                state: None,
                tags: BTreeMap::new(),
                known: false,
            }],
        )
    };
    for (report, source) in [
        (named("prod"), "\r\n"),
        (named("prod"), "\0"),
        (named("prod\rx"), "report.json"),
        (named("a\u{7f}"), "report.json"),
    ] {
        let text = baseline_from_report(&report, source);
        let (_, loaded) = load_text(text.clone().into_bytes(), Baseline::load);
        if let Err(err) = loaded {
            failures.push(format!("{source:?}, {:?}: {err}", report.accounts[0].name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
#[ignore = "bug: a file that is not UTF-8 is refused without a line (`cannot read <path>: stream did not contain valid UTF-8`)"]
fn bug_a_non_utf8_file_is_refused_without_a_line() {
    for load in [
        load_settings as fn(&Path) -> Result<(), ConfigError>,
        load_baseline,
    ] {
        let (path, loaded) = load_text(b"window_days = 7\n# caf\xe9\n".to_vec(), load);
        let err = loaded.expect_err("refused").to_string();
        assert!(err.contains(&path) && err.contains("line 2:"), "{err}");
    }
}
