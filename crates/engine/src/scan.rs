use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures::StreamExt;
use orgsweep_aws::{
    AccountSession, AwsError, CallerRole, DiscoveryOptions, OrgAccount, Organization, Session,
    Store,
};
use orgsweep_checks::{CATALOGUE, Check, CheckError, Context, Scope, Settings};
use orgsweep_model::facts::{AccountInfo, Contact, Facts, RESOURCE_SOURCES, Source};
use orgsweep_model::{
    Account, Coverage, CoverageStatus, Finding, InventoryItem, Report, Run, Severity, Shard, Stats,
    shard_of,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tracing::{info, warn};

use crate::EngineError;
use crate::admission::Admission;
use crate::select::{AccountFilter, RegionSelection, validate_regions};
use crate::spool::{AccountRecord, Spool, SpoolError};

/// What to scan and how hard.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub filter: AccountFilter,
    pub regions: RegionSelection,
    /// What changes verdicts; the organization's accounts and id are filled in by the scan.
    pub settings: Settings,
    /// Accounts scanned at once.
    pub account_concurrency: usize,
    /// Regions of one account scanned at once.
    pub region_concurrency: usize,
    /// `Some((index, count))`: scan only shard `index` (1-based) of `count`.
    pub shard: Option<(u32, u32)>,
    pub discovery: DiscoveryOptions,
    /// What the scan looks at and how it judges, by name (flags, settings, baseline): a
    /// resumed scan must have the same, and merged shards too (through its digest).
    pub scope: crate::spool::Scope,
    /// `Some(name)`: the caller's own account is scanned alone, under that name, without
    /// asking Organizations (a standalone account of `scan --targets`).
    pub standalone: Option<String>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            filter: AccountFilter::default(),
            regions: RegionSelection::All,
            settings: Settings::default(),
            account_concurrency: DEFAULT_ACCOUNT_CONCURRENCY,
            region_concurrency: 8,
            shard: None,
            discovery: DiscoveryOptions::default(),
            scope: crate::spool::Scope::new(),
            standalone: None,
        }
    }
}

/// The most accounts in flight by default; the number actually in flight adapts below it
/// (see [`crate::admission`]). Each account's calls pass its own limiter buckets, so
/// throughput grows with the accounts in flight until the CPU or the shared limits
/// (Organizations, STS) saturate; memory grows with them by their facts in flight.
pub const DEFAULT_ACCOUNT_CONCURRENCY: usize = 512;

/// Every this many finished accounts the rate limiters forget the keys of accounts no
/// longer scanned (a pass over the keys in use: cheap at this interval).
const FORGET_LIMITS_EVERY: usize = 64;

/// Progress callbacks, so the binary can draw a bar or log lines.
pub trait Progress: Send + Sync {
    fn accounts_selected(&self, total: usize, resumed: usize);
    fn account_done(&self, account_id: &str, gaps: usize);
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn accounts_selected(&self, _total: usize, _resumed: usize) {}
    fn account_done(&self, _account_id: &str, _gaps: usize) {}
}

/// Where the scan writes as it goes, and whether it continues an interrupted one.
#[derive(Debug, Clone, Copy)]
pub struct Journal<'a> {
    /// The output location; the spool lives inside it.
    pub out: &'a Store,
    pub resume: bool,
}

/// How a scan ended.
#[derive(Debug)]
pub enum ScanOutcome {
    /// Every selected account is done. Remove the spool once the report is written.
    Complete { report: Box<Report>, spool: Spool },
    /// Stopped on request (a signal) before every account was done; the spool holds the
    /// completed ones and `--resume` continues.
    Interrupted { done: usize, total: usize },
}

/// What one account contributed to the report.
#[derive(Debug, Default)]
struct Outcome {
    scanned: bool,
    contacts: BTreeMap<String, Contact>,
    credential_report_generated_at: Option<OffsetDateTime>,
    spend: Option<orgsweep_model::Spend>,
    coverage: Vec<Coverage>,
    findings: Vec<Finding>,
    inventory: Vec<InventoryItem>,
}

impl Outcome {
    fn cover(
        &mut self,
        account: &str,
        region: Option<&str>,
        check: Option<&str>,
        status: CoverageStatus,
        error: Option<String>,
    ) {
        self.coverage.push(Coverage {
            account_id: account.to_owned(),
            region: region.map(str::to_owned),
            check_id: check.map(str::to_owned),
            status,
            error,
        });
    }

    fn gaps(&self) -> usize {
        self.coverage
            .iter()
            .filter(|c| c.status != CoverageStatus::Ok)
            .count()
    }
}

/// The digest of a scope, as reports carry it (`run.scope_digest`). The shard is left out:
/// the parts of one sharded run share a digest, which is how `merge` knows they belong
/// together.
pub fn scope_digest(scope: &crate::spool::Scope) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in scope.iter().filter(|(key, _)| key.as_str() != "shard") {
        hasher.update(key.as_bytes());
        hasher.update([0u8]);
        hasher.update(value.as_bytes());
        hasher.update([0u8]);
    }
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Scans the organization, journaling each account into the spool in `journal.dir` as it
/// completes. Errors only for what makes the whole scan meaningless; anything narrower is
/// a coverage entry in the report. Nothing is written before discovery, the caller and the
/// filters have been checked.
pub async fn scan(
    session: &Session,
    options: &ScanOptions,
    progress: &dyn Progress,
    journal: Journal<'_>,
    stop: &AtomicBool,
) -> Result<ScanOutcome, EngineError> {
    let mut started_at = OffsetDateTime::now_utc();
    let (organization, caller_role) = match &options.standalone {
        Some(name) => (standalone(session, name), CallerRole::Management),
        None => {
            let organization = session
                .organization(options.discovery)
                .await
                .map_err(EngineError::Organization)?;
            let caller_role = session
                .caller_role(&organization)
                .await
                .map_err(EngineError::Caller)?;
            (organization, caller_role)
        }
    };
    let management_id = organization.management_account_id.clone();
    info!(
        management_account = %management_id,
        accounts = organization.accounts.len(),
        caller = %session.caller().arn,
        ?caller_role,
        "organization discovered"
    );

    let named: Vec<String> = match &options.regions {
        RegionSelection::All => Vec::new(),
        RegionSelection::List(list) => list.clone(),
    };
    let expected_regions = &options.settings.expected_regions;
    if !named.is_empty() || !expected_regions.is_empty() {
        let known = session.all_regions().await.map_err(EngineError::Regions)?;
        validate_regions(&named, &known, "--regions")?;
        validate_regions(expected_regions, &known, "--expected-regions")?;
    }

    let selected = options.filter.select(&organization.accounts)?;
    let shard = options.shard.map(|(index, count)| Shard {
        index,
        count,
        selected_accounts: selected.iter().map(|a| a.id.clone()).collect(),
    });
    let selected: Vec<&OrgAccount> = match options.shard {
        Some((index, count)) => selected
            .into_iter()
            .filter(|a| shard_of(&a.id, count) == index)
            .collect(),
        None => selected,
    };
    let mut settings = options.settings.clone();
    settings.organization_accounts = organization.accounts.iter().map(|a| a.id.clone()).collect();
    settings.organization_id.clone_from(&organization.id);
    let settings = &settings;
    let events = session.settle_events_source().await;
    info!(source = %events.description, "management events source");

    let spool = if journal.resume {
        Spool::resume(journal.out, &options.scope).await?
    } else {
        Spool::create(journal.out, options.scope.clone(), started_at).await?
    };
    if journal.resume {
        started_at = spool.header().started_at;
    }
    let done = spool.completed().await?;
    let (resumed, todo): (Vec<&OrgAccount>, Vec<&OrgAccount>) =
        selected.iter().partition(|a| done.contains(&a.id));
    progress.accounts_selected(selected.len(), resumed.len());

    // Each account is its own task, so the runtime spreads accounts over every core; polled
    // inside this one future they would all share a single thread.
    let job = Arc::new(AccountJob {
        session: session.clone(),
        options: options.clone(),
        settings: settings.clone(),
        identity: Identity {
            caller: session.caller().clone(),
            scan_role: settings.scan_role_name.clone(),
        },
        spool: spool.clone(),
    });
    let accounts_done = AtomicUsize::new(0);
    let admission = Admission::new(options.account_concurrency);
    let accounts = futures::stream::iter(todo)
        .map(|account| {
            let job = job.clone();
            let accounts_done = &accounts_done;
            let admission = &admission;
            async move {
                let _ticket = admission.enter().await;
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let id = account.id.clone();
                let task = tokio::spawn(job.run(account.clone()));
                let (findings, gaps) = match task.await {
                    Ok(Ok(done)) => done,
                    Ok(Err(err)) => return Some(EngineError::Spool(err)),
                    Err(err) => std::panic::resume_unwind(err.into_panic()),
                };
                let finished = accounts_done.fetch_add(1, Ordering::Relaxed) + 1;
                if finished.is_multiple_of(FORGET_LIMITS_EVERY) {
                    session.forget_idle_limits();
                }
                progress.account_done(&id, gaps);
                info!(account = %id, findings, gaps, "account done");
                None
            }
        })
        .buffer_unordered(options.account_concurrency.max(1))
        .filter_map(|failure| async move { failure })
        .collect::<Vec<EngineError>>();
    let control = admission.control(|| session.counters().throttled());
    let failures = tokio::select! {
        failures = accounts => failures,
        () = control => Vec::new(),
    };
    info!(
        at_most = admission.peak(),
        cap = options.account_concurrency,
        "accounts in flight"
    );
    if let Some(failure) = failures.into_iter().next() {
        return Err(failure);
    }
    let complete = spool.completed().await?;
    let finished = selected.iter().filter(|a| complete.contains(&a.id)).count();
    if finished < selected.len() {
        return Ok(ScanOutcome::Interrupted {
            done: finished,
            total: selected.len(),
        });
    }

    let mut report = Report::new(Run {
        started_at,
        finished_at: started_at,
        management_account_id: management_id,
        window_days: options.settings.window_days,
        regions: named,
        expected_regions: expected_regions.clone(),
        partition: session.caller().partition.clone(),
        caller_arn: Some(session.caller().arn.clone()),
        organization_id: organization.id.clone(),
        events_source: Some(events.description),
        shard,
        scope_digest: Some(scope_digest(&options.scope)),
        targets: Vec::new(),
    });
    let mut scanned_regions = BTreeSet::new();
    for account in &selected {
        let record = spool.read(&account.id).await?;
        report.accounts.extend(record.account);
        scanned_regions.extend(
            record
                .coverage
                .iter()
                .filter(|c| c.status == CoverageStatus::Ok)
                .filter_map(|c| c.region.clone()),
        );
        report.coverage.extend(record.coverage);
        report.findings.extend(record.findings);
        report.inventory.extend(record.inventory);
    }
    if report.run.regions.is_empty() {
        report.run.regions = scanned_regions.into_iter().collect();
    }
    let finished_at = OffsetDateTime::now_utc();
    let counters = session.counters().snapshot();
    report.run.finished_at = finished_at;
    report.stats = Stats {
        duration_ms: u64::try_from((finished_at - started_at).whole_milliseconds()).unwrap_or(0),
        api_calls: counters.api_calls,
        throttled: counters.throttled,
        retries: counters.retries,
        resumed_accounts: resumed.len() as u64,
    };
    report.sort();
    Ok(ScanOutcome::Complete {
        report: Box::new(report),
        spool,
    })
}

/// The caller's own account as an organization of one, scanned with the caller's credentials.
fn standalone(session: &Session, name: &str) -> Organization {
    let id = session.caller().account_id.clone();
    Organization {
        id: None,
        management_account_id: id.clone(),
        accounts: vec![OrgAccount {
            id,
            name: name.to_owned(),
            email: String::new(),
            status: "ACTIVE".to_owned(),
            ou_ids: Vec::new(),
            ou_path: String::new(),
            tags: BTreeMap::new(),
            ou_path_error: None,
            tags_error: None,
        }],
    }
}

/// What every account's task needs, shared.
struct AccountJob {
    session: Session,
    options: ScanOptions,
    settings: Settings,
    identity: Identity,
    spool: Spool,
}

impl AccountJob {
    /// Scans one account and spools its results; returns its (findings, gaps).
    async fn run(self: Arc<Self>, account: OrgAccount) -> Result<(usize, usize), SpoolError> {
        let outcome = scan_account(
            &self.session,
            &self.options,
            &self.settings,
            &account,
            &self.identity,
        )
        .await;
        let done = (outcome.findings.len(), outcome.gaps());
        let record = AccountRecord {
            account: Some(report_account(&account, &outcome)),
            coverage: outcome.coverage,
            findings: outcome.findings,
            inventory: outcome.inventory,
        };
        self.spool.write(&account.id, &record).await?;
        Ok(done)
    }
}

/// The identity orgsweep runs as, so its own findings are marked and never contained.
#[derive(Debug, Clone)]
struct Identity {
    caller: orgsweep_aws::Caller,
    scan_role: String,
}

impl Identity {
    /// Whether `finding` (in `account`) is about the caller itself or the scan role.
    fn owns(&self, account: &str, finding: &Finding) -> bool {
        let text = |key: &str| {
            finding
                .evidence
                .get(key)
                .and_then(serde_json::Value::as_str)
        };
        let principal = match finding.resource_type.as_str() {
            "iam_user" | "iam_role" | "principal" => Some(finding.resource_id.as_str()),
            _ => text("user_arn").or(text("arn")),
        };
        let user = text("user");
        let role_of = |arn: &str| {
            arn.split_once(":role/")
                .map(|(_, r)| r.rsplit('/').next().unwrap_or(r).to_owned())
        };
        let user_of = |arn: &str| {
            arn.split_once(":user/")
                .map(|(_, u)| u.rsplit('/').next().unwrap_or(u).to_owned())
        };
        let assumed_role_of = |arn: &str| {
            arn.split_once(":assumed-role/")
                .map(|(_, r)| r.split('/').next().unwrap_or(r).to_owned())
        };
        let role = principal.and_then(|p| role_of(p).or_else(|| assumed_role_of(p)));
        let user_name = principal.and_then(user_of).or(user.map(str::to_owned));
        if account == self.caller.account_id {
            match self.caller.principal() {
                Some(("user", me)) => return user_name.as_deref() == Some(me),
                Some(("role", me)) => return role.as_deref() == Some(me),
                _ => {}
            }
            false
        } else {
            role.as_deref() == Some(self.scan_role.as_str())
        }
    }
}

fn report_account(account: &OrgAccount, outcome: &Outcome) -> Account {
    Account {
        account_id: account.id.clone(),
        name: account.name.clone(),
        email: account.email.clone(),
        status: account.status.clone(),
        ou_path: account.ou_path.clone(),
        ou_ids: account.ou_ids.clone(),
        tags: account.tags.clone(),
        scanned: outcome.scanned,
        contacts: outcome.contacts.clone(),
        credential_report_generated_at: outcome.credential_report_generated_at,
        spend: outcome.spend,
        customer: None,
        target: None,
    }
}

fn checks_of(scope: Scope) -> impl Iterator<Item = &'static dyn Check> {
    CATALOGUE
        .iter()
        .copied()
        .filter(move |c| c.meta().scope == scope)
}

/// The union of the sources the checks of `scope` read, each collected once.
fn sources_of(scope: Scope) -> BTreeSet<Source> {
    checks_of(scope)
        .flat_map(|c| c.meta().sources.iter().copied())
        .collect()
}

/// Coverage check ids of discovery steps: not checks of the catalogue, but scopes a reader
/// must know were not fully seen.
const DISCOVERY_OU_PATH: &str = "discovery.ou_path";
const DISCOVERY_TAGS: &str = "discovery.account_tags";

async fn scan_account(
    session: &Session,
    options: &ScanOptions,
    settings: &Settings,
    account: &OrgAccount,
    identity: &Identity,
) -> Outcome {
    let mut outcome = Outcome::default();
    let id = account.id.as_str();
    // What discovery could not learn about the account is a gap of its own; the account
    // is still scanned.
    for (step, error) in [
        (DISCOVERY_OU_PATH, &account.ou_path_error),
        (DISCOVERY_TAGS, &account.tags_error),
    ] {
        if let Some(error) = error {
            outcome.cover(
                id,
                None,
                Some(step),
                CoverageStatus::Failed,
                Some(error.clone()),
            );
        }
    }
    if !account.is_active() {
        outcome.cover(
            id,
            None,
            None,
            CoverageStatus::Skipped,
            Some(format!("account is {}", account.status)),
        );
        return outcome;
    }
    // The caller's own account is read with the caller's credentials; every other one
    // (the management account too, when a delegated administrator scans) through the role.
    let aws = if id == identity.caller.account_id {
        session.own(id)
    } else {
        match session.member(id).await {
            Ok(aws) => aws,
            Err(err) => {
                warn!(account = %id, error = %err, "account not scanned");
                outcome.cover(
                    id,
                    None,
                    None,
                    CoverageStatus::Failed,
                    Some(err.to_string()),
                );
                return outcome;
            }
        }
    };
    outcome.scanned = true;
    let now = OffsetDateTime::now_utc();

    // Account scope: collected and checked once, whatever the number of regions.
    let mut account_sources = sources_of(Scope::Account);
    let wants_last_access = account_sources.remove(&Source::LastAccessed);
    let mut facts = collect(&aws, account_sources, "global").await;
    facts.facts.account = Some(AccountInfo {
        name: account.name.clone(),
        email: account.email.clone(),
    });
    if wants_last_access {
        let also = principals_found(settings, now, id, &facts);
        if let Err(err) = aws.collect_last_accessed(&mut facts.facts, &also).await {
            warn!(account = %id, source = %Source::LastAccessed, error = %err, "source failed");
            facts.failed.insert(Source::LastAccessed, err);
        }
    }
    run_checks(
        &mut outcome,
        Scope::Account,
        settings,
        now,
        id,
        None,
        &facts,
    );
    outcome
        .inventory
        .extend(principal_inventory(id, &facts.facts, settings));
    outcome.credential_report_generated_at = facts
        .facts
        .credential_report
        .as_ref()
        .and_then(|r| r.generated_at);
    outcome.spend = facts.facts.account_spend.as_ref().map(spend_of);
    if let Some(contacts) = &facts.facts.alternate_contacts {
        for (kind, contact) in [
            ("SECURITY", &contacts.security),
            ("BILLING", &contacts.billing),
            ("OPERATIONS", &contacts.operations),
        ] {
            if let Some(contact) = contact {
                outcome.contacts.insert(kind.to_owned(), contact.clone());
            }
        }
    }

    let regions = match aws.regions(false).await {
        Ok(enabled) => target_regions(&mut outcome, id, &options.regions, enabled),
        // A role denied ec2:DescribeRegions still gets every regional check that does not
        // need EC2; the EC2 ones then fail region by region, each with its own reason.
        Err(ec2_err) => match &options.regions {
            RegionSelection::List(list) => list.clone(),
            RegionSelection::All => match aws.enabled_regions_from_account().await {
                Ok(enabled) => enabled,
                Err(account_err) => {
                    let error =
                        format!("cannot list the account's regions: {ec2_err}; {account_err}");
                    for check in checks_of(Scope::Region) {
                        outcome.cover(
                            id,
                            None,
                            Some(check.meta().id),
                            CoverageStatus::Failed,
                            Some(error.clone()),
                        );
                    }
                    return finish(outcome, id, identity);
                }
            },
        },
    };

    // Buckets are listed once per account (global); each region is given its own.
    let mut regional_sources = sources_of(Scope::Region);
    let buckets = regional_sources
        .remove(&Source::S3Buckets)
        .then(|| account_buckets(&facts));
    let regional: Vec<(String, CollectedFacts)> = futures::stream::iter(regions)
        .map(|region| {
            let aws = &aws;
            let sources = regional_sources.clone();
            let buckets = buckets.as_ref();
            async move {
                let mut facts = collect(aws, sources, &region).await;
                match buckets {
                    Some(Ok(all)) => {
                        facts.facts.s3_buckets =
                            Some(all.iter().filter(|b| b.region == region).cloned().collect());
                    }
                    Some(Err(err)) => {
                        facts.failed.insert(Source::S3Buckets, err.clone());
                    }
                    None => {}
                }
                (region, facts)
            }
        })
        .buffer_unordered(options.region_concurrency.max(1))
        .collect()
        .await;
    for (region, facts) in regional {
        outcome
            .inventory
            .extend(inventory(id, &region, &facts.facts, settings));
        run_checks(
            &mut outcome,
            Scope::Region,
            settings,
            now,
            id,
            Some(&region),
            &facts,
        );
    }
    finish(outcome, id, identity)
}

/// The totals of the account's charges, for the report (the checks judge the details).
fn spend_of(spend: &orgsweep_model::facts::AccountSpend) -> orgsweep_model::Spend {
    let cents = |m: &orgsweep_model::facts::MonthSpend| {
        let total: f64 = m.services.values().filter(|v| v.is_finite()).sum();
        // Rounded to the cent; a total beyond i64 cents is not a bill.
        (total * 100.0)
            .round()
            .clamp(i64::MIN as f64, i64::MAX as f64) as i64
    };
    orgsweep_model::Spend {
        previous_month_cents: cents(&spend.previous_month),
        previous_month_days: spend.previous_month.days,
        current_month_cents: cents(&spend.current_month),
        current_month_days: spend.current_month.days,
    }
}

/// The principals the account's IAM checks find before last-accessed data is read (a dry
/// run: nothing is recorded). What they did is evidence on those findings, and some are
/// judged with settings the collector does not have (an external account is one outside
/// the organization and not trusted; an unknown principal is one the baseline lacks), so
/// the collector is told their ARNs.
fn principals_found(
    settings: &Settings,
    now: OffsetDateTime,
    account: &str,
    collected: &CollectedFacts,
) -> Vec<String> {
    let ctx = Context {
        account_id: account,
        region: orgsweep_model::GLOBAL_REGION,
        now,
        settings,
        facts: &collected.facts,
    };
    checks_of(Scope::Account)
        .filter(|c| c.meta().id.starts_with("iam."))
        .filter_map(|c| orgsweep_checks::run(c, &ctx).ok())
        .flatten()
        .filter_map(|f| principal_arn(&f))
        .collect()
}

/// The IAM user or role a finding is about: its resource, or the user or role ARN in its
/// evidence (access keys name their user there).
fn principal_arn(finding: &Finding) -> Option<String> {
    let is_principal =
        |s: &str| s.starts_with("arn:") && (s.contains(":user/") || s.contains(":role/"));
    if is_principal(&finding.resource_id) {
        return Some(finding.resource_id.clone());
    }
    ["user_arn", "role_arn", "arn"]
        .iter()
        .filter_map(|key| finding.evidence.get(*key)?.as_str())
        .find(|s| is_principal(s))
        .map(str::to_owned)
}

/// The account's buckets as its account scope collected them, or why they are missing.
fn account_buckets(
    facts: &CollectedFacts,
) -> Result<Vec<orgsweep_model::facts::S3Bucket>, AwsError> {
    match (
        &facts.facts.s3_buckets,
        facts.failed.get(&Source::S3Buckets),
    ) {
        (Some(buckets), _) => Ok(buckets.clone()),
        (None, Some(err)) => Err(err.clone()),
        (None, None) => Err(AwsError::Other {
            operation: "s3:ListBuckets",
            message: "the account's buckets were not collected".to_owned(),
        }),
    }
}

/// Marks the findings about orgsweep's own identity: info severity, never contained.
fn finish(mut outcome: Outcome, account: &str, identity: &Identity) -> Outcome {
    for finding in &mut outcome.findings {
        if identity.owns(account, finding) {
            finding.scanner_identity = true;
            finding.severity = Severity::Info;
            finding.detail.push_str(
                " This is the identity orgsweep itself runs as (the caller or the scan role).",
            );
        }
    }
    outcome
}

/// The regions to scan in one account; requested regions the account has not enabled are
/// recorded as skipped, not silently dropped.
fn target_regions(
    outcome: &mut Outcome,
    account: &str,
    selection: &RegionSelection,
    enabled: Vec<String>,
) -> Vec<String> {
    match selection {
        RegionSelection::All => enabled,
        RegionSelection::List(list) => list
            .iter()
            .filter(|r| {
                let on = enabled.contains(r);
                if !on {
                    outcome.cover(
                        account,
                        Some(r),
                        None,
                        CoverageStatus::Skipped,
                        Some("region not enabled in this account".to_owned()),
                    );
                }
                on
            })
            .cloned()
            .collect(),
    }
}

/// The facts of one scope and the sources that failed, with why.
#[derive(Debug, Default)]
struct CollectedFacts {
    facts: Facts,
    failed: BTreeMap<Source, AwsError>,
}

async fn collect(aws: &AccountSession, sources: BTreeSet<Source>, region: &str) -> CollectedFacts {
    let mut collected = CollectedFacts::default();
    for source in sources {
        if let Err(err) = aws.collect(source, region, &mut collected.facts).await {
            warn!(account = %aws.account_id, region, %source, error = %err, "source failed");
            collected.failed.insert(source, err);
        }
    }
    collected
}

/// Runs the checks of one scope and records each verdict: findings, or a coverage entry
/// saying why there is none. A scope where every check ran gets one `ok` entry.
fn run_checks(
    outcome: &mut Outcome,
    scope: Scope,
    settings: &Settings,
    now: OffsetDateTime,
    account: &str,
    region: Option<&str>,
    collected: &CollectedFacts,
) {
    let ctx = Context {
        account_id: account,
        region: region.unwrap_or(orgsweep_model::GLOBAL_REGION),
        now,
        settings,
        facts: &collected.facts,
    };
    let mut complete = true;
    let report_time = collected
        .facts
        .credential_report
        .as_ref()
        .and_then(|r| r.generated_at)
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    for check in checks_of(scope) {
        let meta = check.meta();
        let verdict = match orgsweep_checks::run(check, &ctx) {
            Ok(mut findings) => {
                // An inventory kind the check declares that failed, while the check could
                // still judge the other kinds: the verdict is partial, and coverage says so.
                // (Other sources fail the check outright, or it decided from a fallback.)
                for source in meta.sources.iter().filter(|s| RESOURCE_SOURCES.contains(s)) {
                    if let Some(err) = collected.failed.get(source) {
                        complete = false;
                        outcome.cover(
                            account,
                            region,
                            Some(meta.id),
                            CoverageStatus::Failed,
                            Some(format!("{source}: {err}")),
                        );
                    }
                }
                // Records of a source the check read that could not be parsed: the check's
                // verdict is partial, and coverage says so.
                for (source, problem) in &collected.facts.problems {
                    if meta.sources.contains(source) {
                        complete = false;
                        outcome.cover(
                            account,
                            region,
                            Some(meta.id),
                            CoverageStatus::Failed,
                            Some(format!("{source}: {problem}")),
                        );
                    }
                }
                if meta.sources.contains(&Source::CredentialReport)
                    && let Some(at) = &report_time
                {
                    for f in &mut findings {
                        f.evidence.insert(
                            "credential_report_generated_at".to_owned(),
                            at.clone().into(),
                        );
                    }
                }
                Ok(findings)
            }
            // A check lacking configuration lacks it everywhere: one account-wide entry.
            Err(err @ CheckError::NotConfigured(_)) => {
                Err((None, CoverageStatus::Skipped, err.to_string()))
            }
            // The check could not decide without this source: say why it is missing.
            Err(CheckError::MissingSource(source)) => {
                let why = collected
                    .failed
                    .get(&source)
                    .map_or_else(|| "not collected".to_owned(), ToString::to_string);
                Err((region, CoverageStatus::Failed, format!("{source}: {why}")))
            }
        };
        match verdict {
            Ok(findings) => outcome.findings.extend(findings),
            Err((scope, status, error)) => {
                complete &= status != CoverageStatus::Failed;
                outcome.cover(account, scope, Some(meta.id), status, Some(error));
            }
        }
    }
    if complete {
        outcome.cover(account, region, None, CoverageStatus::Ok, None);
    }
}

/// IAM users and roles as inventory (region `global`), so a baseline can be written from a
/// report and the reader sees every identity, known or not.
fn principal_inventory(account: &str, facts: &Facts, settings: &Settings) -> Vec<InventoryItem> {
    let Some(details) = &facts.iam_authorization_details else {
        return Vec::new();
    };
    let known = |arn: &str| {
        settings
            .known
            .as_ref()
            .is_some_and(|k| k.knows_principal(account, arn))
    };
    let item = |kind: &str, arn: &str, created_at| InventoryItem {
        account_id: account.to_owned(),
        region: orgsweep_model::GLOBAL_REGION.to_owned(),
        resource_type: kind.to_owned(),
        resource_id: arn.to_owned(),
        created_at,
        state: None,
        tags: BTreeMap::new(),
        known: known(arn),
    };
    let users = details
        .users
        .iter()
        .map(|u| item("iam_user", &u.arn, u.created_at));
    let roles = details
        .roles
        .iter()
        .map(|r| item("iam_role", &r.arn, r.created_at));
    users.chain(roles).collect()
}

/// Inventory items of one region, known when the baseline or an allow rule says so.
fn inventory(
    account: &str,
    region: &str,
    facts: &Facts,
    settings: &Settings,
) -> Vec<InventoryItem> {
    facts
        .resources()
        .map(|r| InventoryItem {
            account_id: account.to_owned(),
            region: region.to_owned(),
            resource_type: r.resource_type.to_owned(),
            resource_id: r.id.to_owned(),
            created_at: r.created_at,
            state: r.state.map(str::to_owned),
            tags: r.tags.clone(),
            known: settings
                .known
                .as_ref()
                .is_some_and(|k| k.knows_view(account, region, &r)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(resource_type: &str, resource_id: &str, evidence: serde_json::Value) -> Finding {
        Finding {
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.to_owned(),
            evidence: serde_json::from_value(evidence).unwrap_or_default(),
            ..Finding::default()
        }
    }

    #[test]
    fn a_finding_names_its_principal_by_resource_or_evidence() {
        let role = "arn:aws:iam::111111111111:role/backdoor";
        let user = "arn:aws:iam::111111111111:user/mallory";
        assert_eq!(
            principal_arn(&finding("iam_role", role, serde_json::json!({}))).as_deref(),
            Some(role)
        );
        let key = finding(
            "iam_access_key",
            "AKIAEXAMPLE",
            serde_json::json!({"user": "mallory", "user_arn": user}),
        );
        assert_eq!(principal_arn(&key).as_deref(), Some(user));
        let bucket = finding("s3_bucket", "arn:aws:s3:::logs", serde_json::json!({}));
        assert_eq!(principal_arn(&bucket), None, "not a user or a role");
    }
}
