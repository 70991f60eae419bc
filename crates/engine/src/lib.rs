//! The scan: discover the organization, then for every selected account (concurrently,
//! bounded) assume its role, find its regions, collect each source the checks need once per
//! scope, run the checks, and stream findings, inventory and coverage into one report.
//!
//! Failures are contained at the smallest scope that failed and recorded in `coverage`: a
//! source that fails fails the checks that read it, a region that fails fails its checks,
//! an account whose role cannot be assumed is one coverage entry. Only what makes the whole
//! scan meaningless (no organization, a bad filter) is an [`EngineError`].

pub mod admission;
mod remediate;
mod scan;
mod select;
pub mod spool;

/// The settings a scan judges by (re-exported so callers need not depend on the checks crate).
pub use orgsweep_checks::Settings;
pub use remediate::{AuditRecord, Planned, Selection, apply, plan_containment};
pub use scan::{
    DEFAULT_ACCOUNT_CONCURRENCY, Journal, NoProgress, Progress, ScanOptions, ScanOutcome, scan,
    scope_digest,
};
pub use select::{AccountFilter, RegionSelection, validate_regions};
pub use spool::{Spool, SpoolError};

use orgsweep_aws::AwsError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot read the organization: {0}")]
    Organization(AwsError),
    /// The caller may not scan the organization (see `CallerRole`).
    #[error("{0}")]
    Caller(AwsError),
    #[error("cannot list the regions of the partition: {0}")]
    Regions(AwsError),
    #[error("{what}: unknown region '{region}' (regions of this partition: {known})")]
    UnknownRegion {
        what: &'static str,
        region: String,
        known: String,
    },
    #[error("{0}")]
    Spool(#[from] SpoolError),
    #[error("account {0} is not in the organization")]
    UnknownAccount(String),
    #[error("no account of the organization is under OU {0}")]
    UnknownOu(String),
}
