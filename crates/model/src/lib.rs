//! The types every orgsweep crate shares: the report (the JSON contract, `report.schema.json`) and
//! the facts that collectors gather and checks read.
//!
//! This crate has no AWS dependency on purpose: renderers, checks and tooling compile in
//! seconds and can be tested on fixtures without the SDK.

pub mod diff;
pub mod facts;
pub mod merge;
mod report;
mod severity;
pub mod targets;

pub use report::*;
pub use severity::{ParseSeverityError, Severity};

/// The schema version written into every report. Bump it whenever a field changes meaning
/// or disappears, so consumers (diff, baseline, previous-report comparison) can refuse
/// a report they would misread.
pub const SCHEMA_VERSION: u32 = 2;
