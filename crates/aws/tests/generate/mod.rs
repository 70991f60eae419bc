//! Generators and guards shared by the property tests of outside data.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

/// A generous bound for one case; a debug build handles these inputs in milliseconds.
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
        // Failures are kept as `#[ignore]`d regression tests below, not in files.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings from AWS, including hostile ones.
const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"",
    "'",
    "`",
    ",",
    "\"\"",
    "\n",
    "\r\n",
    "\r",
    "\u{202E}",
    "\u{200B}",
    "\u{FEFF}",
    "\0",
    "=cmd|' /C calc'!A0",
    "N/A",
    "not_supported",
    "no_information",
    "true",
    "FALSE",
    " ",
    "é",
    "😀",
    "%",
    "%7B",
    "%ZZ",
    "\\",
];

pub fn hostile() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._:/@+=-]{0,12}",
        3 => prop::collection::vec(select(PAYLOADS), 0..5).prop_map(|v| v.concat()),
        1 => any::<String>(),
        1 => (0usize..2000, select(PAYLOADS)).prop_map(|(n, p)| format!("{}{p}", "x".repeat(n))),
    ]
    .boxed()
}

/// JSON of any shape, with hostile strings and keys.
pub fn json_value(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        hostile().prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((hostile(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}
