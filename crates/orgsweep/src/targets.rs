//! `scan --targets`: several organizations and standalone accounts in one run, each reached
//! with its own credentials, all pacing through the same rate limits and one HTTP client,
//! journaled each in its own spool below the output location (`targets/<name>/`), and
//! combined into one report grouped by customer. A target that cannot be reached or read
//! is a coverage gap of the report; only a failure of the output itself ends the run.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use futures::StreamExt as _;
use orgsweep_aws::{Limits, Session, SessionOptions, Store};
use orgsweep_config::{TargetEntry, TargetSpec};
use orgsweep_engine::{EngineError, Journal, Progress, ScanOptions, ScanOutcome, Spool};
use orgsweep_model::targets::{TargetPart, combine};
use orgsweep_model::{Report, Run, Target, TargetKind};
use time::OffsetDateTime;
use tracing::{info, warn};

/// Targets scanned at once. Each has its own discovery and account fan-out; a few at once
/// keep the machine busy when customers are small, without splitting `--concurrency` into
/// slivers when they are large.
const TARGETS_AT_ONCE: usize = 4;

/// How a multi-target run ended.
pub(crate) enum TargetsOutcome {
    /// Every target is done or a gap: one report, and the spools to remove once it is written.
    Complete {
        report: Box<Report>,
        spools: Vec<Spool>,
    },
    /// Stopped by a signal: `done` of `total` accounts of the reached targets are journaled.
    Interrupted { done: usize, total: usize },
}

/// What one target gave.
enum Scanned {
    Done(Box<Report>, Spool),
    Unreachable(String),
    Interrupted { done: usize, total: usize },
}

/// Scans every target. `base` carries what every target shares (endpoint, events, window,
/// default profile and member role); `options` the scan's scope and settings.
pub(crate) async fn scan_targets(
    entries: &[TargetEntry],
    base: &SessionOptions,
    options: &ScanOptions,
    out: &Store,
    resume: bool,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> anyhow::Result<TargetsOutcome> {
    let started_at = OffsetDateTime::now_utc();
    let limits = Arc::new(Limits::default());
    let http = base
        .http_client
        .clone()
        .unwrap_or_else(orgsweep_aws::https_client);
    let at_once = TARGETS_AT_ONCE.min(entries.len()).max(1);
    let per_target = (options.account_concurrency / at_once).max(1);
    let scanned: Vec<(usize, anyhow::Result<Scanned>)> =
        futures::stream::iter(entries.iter().enumerate())
            .map(|(index, entry)| {
                let session_options = SessionOptions {
                    http_client: Some(http.clone()),
                    ..target_session(entry, base)
                };
                let options = target_options(entry, options, per_target);
                let store = out.sub("targets").sub(&entry.name);
                let limits = limits.clone();
                async move {
                    let scanned = scan_one(
                        entry,
                        session_options,
                        limits,
                        &options,
                        &store,
                        resume,
                        progress,
                        stop,
                    )
                    .await;
                    (index, scanned)
                }
            })
            .buffer_unordered(at_once)
            .collect()
            .await;
    let mut scanned = scanned;
    scanned.sort_by_key(|(index, _)| *index);

    let mut parts = Vec::new();
    let mut spools = Vec::new();
    let (mut done, mut total, mut interrupted) = (0, 0, false);
    for ((_, result), entry) in scanned.into_iter().zip(entries) {
        let mut target = Target {
            name: entry.name.clone(),
            customer: entry.customer.clone(),
            kind: match entry.spec {
                TargetSpec::Organization { .. } => TargetKind::Organization,
                TargetSpec::Account { .. } => TargetKind::Account,
            },
            organization_id: None,
            account_id: entry.account_id(),
            caller_arn: None,
            accounts: 0,
            error: None,
        };
        match result? {
            Scanned::Done(report, spool) => {
                done += report.accounts.len();
                total += report.accounts.len();
                spools.push(spool);
                parts.push(TargetPart {
                    target,
                    report: Some(*report),
                });
            }
            Scanned::Unreachable(why) => {
                warn!(target = %entry.name, customer = %entry.customer, error = %why, "target not scanned");
                target.error = Some(why);
                parts.push(TargetPart {
                    target,
                    report: None,
                });
            }
            Scanned::Interrupted { done: d, total: t } => {
                interrupted = true;
                done += d;
                total += t;
            }
        }
    }
    if interrupted {
        return Ok(TargetsOutcome::Interrupted { done, total });
    }
    let run = Run {
        started_at,
        finished_at: OffsetDateTime::now_utc(),
        window_days: options.settings.window_days,
        regions: match &options.regions {
            orgsweep_engine::RegionSelection::All => Vec::new(),
            orgsweep_engine::RegionSelection::List(list) => list.clone(),
        },
        expected_regions: options.settings.expected_regions.clone(),
        scope_digest: Some(orgsweep_engine::scope_digest(&options.scope)),
        ..Run::default()
    };
    let mut report = combine(run, parts);
    // The partition of the targets (one run does not mix partitions in practice; the
    // first reached target's is the report's).
    if let Some(partition) = report
        .run
        .targets
        .iter()
        .filter_map(|t| t.caller_arn.as_deref())
        .find_map(|arn| arn.split(':').nth(1))
    {
        report.run.partition = partition.to_owned();
    }
    Ok(TargetsOutcome::Complete {
        report: Box::new(report),
        spools,
    })
}

/// The session options of one target: its profile (or the run's), the role it starts from
/// and its external id, and its member role (or the run's).
fn target_session(entry: &TargetEntry, base: &SessionOptions) -> SessionOptions {
    let reach = entry.reach();
    let role_name = match &entry.spec {
        TargetSpec::Organization {
            member_role: Some(role),
            ..
        } => role.clone(),
        _ => base.role_name.clone(),
    };
    SessionOptions {
        profile: reach.profile.clone().or_else(|| base.profile.clone()),
        assume_role: reach.role_arn.clone(),
        external_id: reach.external_id.clone(),
        role_name,
        ..base.clone()
    }
}

/// The scan options of one target: its member role, a share of the run's concurrency, a
/// standalone scan for an account target, and a scope naming the target (its spool must not
/// be resumed by another).
fn target_options(entry: &TargetEntry, options: &ScanOptions, concurrency: usize) -> ScanOptions {
    let mut options = options.clone();
    options.account_concurrency = concurrency;
    if let TargetSpec::Organization {
        member_role: Some(role),
        ..
    } = &entry.spec
    {
        options.settings.scan_role_name.clone_from(role);
        options.scope.insert("role_name".to_owned(), role.clone());
    }
    let (kind, account) = match &entry.spec {
        TargetSpec::Organization { .. } => ("organization", None),
        TargetSpec::Account { account_id, .. } => ("account", Some(account_id.clone())),
    };
    if account.is_some() {
        options.standalone = Some(entry.name.clone());
    }
    options.scope.insert(
        "target".to_owned(),
        format!("{kind} {} ({})", entry.name, entry.customer),
    );
    options
}

#[allow(clippy::too_many_arguments)]
async fn scan_one(
    entry: &TargetEntry,
    session_options: SessionOptions,
    limits: Arc<Limits>,
    options: &ScanOptions,
    store: &Store,
    resume: bool,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> anyhow::Result<Scanned> {
    let session = match Session::connect(session_options, limits).await {
        Ok(session) => session,
        Err(err) => return Ok(Scanned::Unreachable(err.to_string())),
    };
    if let TargetSpec::Account { account_id, .. } = &entry.spec
        && session.caller().account_id != *account_id
    {
        return Ok(Scanned::Unreachable(format!(
            "its role answered as account {}, not {account_id}",
            session.caller().account_id
        )));
    }
    info!(target = %entry.name, customer = %entry.customer, caller = %session.caller().arn, "target reached");
    let resume = resume && Spool::exists(store).await?;
    let journal = Journal { out: store, resume };
    match orgsweep_engine::scan(&session, options, progress, journal, stop).await {
        Ok(ScanOutcome::Complete { report, spool }) => Ok(Scanned::Done(report, spool)),
        Ok(ScanOutcome::Interrupted { done, total }) => Ok(Scanned::Interrupted { done, total }),
        // The output failing, or a region name no partition has, is the run's failure, not
        // the target's.
        Err(err @ (EngineError::Spool(_) | EngineError::UnknownRegion { .. })) => Err(err.into()),
        Err(err) => Ok(Scanned::Unreachable(err.to_string())),
    }
}
