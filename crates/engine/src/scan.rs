use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use orgsweep_aws::{AccountSession, AwsError, OrgAccount, Session};
use orgsweep_checks::{CATALOGUE, Check, CheckError, Context, Scope, Settings};
use orgsweep_model::facts::{AccountInfo, Contact, Facts, Source};
use orgsweep_model::{
    Account, Coverage, CoverageStatus, Finding, InventoryItem, Report, Run, SCHEMA_VERSION, Stats,
    Tool,
};
use time::OffsetDateTime;
use tracing::{info, warn};

use crate::EngineError;
use crate::select::{AccountFilter, RegionSelection, validate_regions};

/// What to scan and how hard.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub filter: AccountFilter,
    pub regions: RegionSelection,
    /// What changes verdicts; `organization_accounts` is filled in by the scan.
    pub settings: Settings,
    /// Accounts scanned at once.
    pub account_concurrency: usize,
    /// Regions of one account scanned at once.
    pub region_concurrency: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            filter: AccountFilter::default(),
            regions: RegionSelection::All,
            settings: Settings::default(),
            account_concurrency: 8,
            region_concurrency: 8,
        }
    }
}

/// Progress callbacks, so the binary can draw a bar or log lines.
pub trait Progress: Send + Sync {
    fn accounts_selected(&self, total: usize);
    fn account_done(&self, account_id: &str, gaps: usize);
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn accounts_selected(&self, _total: usize) {}
    fn account_done(&self, _account_id: &str, _gaps: usize) {}
}

/// What one account contributed to the report.
#[derive(Debug, Default)]
struct Outcome {
    scanned: bool,
    contacts: BTreeMap<String, Contact>,
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

/// Scans the organization. Errors only for what makes the whole scan meaningless; anything
/// narrower is a coverage entry in the returned report.
pub async fn scan(
    session: &Session,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Report, EngineError> {
    let started_at = OffsetDateTime::now_utc();
    let organization = session
        .organization()
        .await
        .map_err(EngineError::Organization)?;
    let management_id = organization.management_account_id.clone();
    info!(
        management_account = %management_id,
        accounts = organization.accounts.len(),
        "organization discovered"
    );

    let named: Vec<String> = match &options.regions {
        RegionSelection::All => Vec::new(),
        RegionSelection::List(list) => list.clone(),
    };
    let expected_regions = &options.settings.expected_regions;
    if !named.is_empty() || !expected_regions.is_empty() {
        let known = session
            .all_regions(&management_id)
            .await
            .map_err(EngineError::Regions)?;
        validate_regions(&named, &known)?;
        validate_regions(expected_regions, &known)?;
    }

    let selected = options.filter.select(&organization.accounts)?;
    let mut settings = options.settings.clone();
    settings.organization_accounts = organization.accounts.iter().map(|a| a.id.clone()).collect();
    let settings = &settings;
    progress.accounts_selected(selected.len());

    let outcomes: Vec<(Account, Outcome)> = futures::stream::iter(selected)
        .map(|account| {
            let management_id = management_id.as_str();
            async move {
            let outcome = scan_account(session, options, settings, account, management_id).await;
            progress.account_done(&account.id, outcome.gaps());
            info!(account = %account.id, findings = outcome.findings.len(), gaps = outcome.gaps(), "account done");
            (report_account(account, &outcome), outcome)
        }})
        .buffer_unordered(options.account_concurrency.max(1))
        .collect()
        .await;

    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "orgsweep".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        run: Run {
            started_at,
            finished_at: started_at,
            management_account_id: management_id,
            window_days: options.settings.window_days,
            regions: named,
            expected_regions: expected_regions.clone(),
        },
        accounts: Vec::new(),
        coverage: Vec::new(),
        findings: Vec::new(),
        inventory: Vec::new(),
        stats: Stats::default(),
        previous: None,
    };
    let mut scanned_regions = BTreeSet::new();
    for (account, outcome) in outcomes {
        report.accounts.push(account);
        scanned_regions.extend(
            outcome
                .coverage
                .iter()
                .filter(|c| c.status == CoverageStatus::Ok)
                .filter_map(|c| c.region.clone()),
        );
        report.coverage.extend(outcome.coverage);
        report.findings.extend(outcome.findings);
        report.inventory.extend(outcome.inventory);
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
    };
    report.sort();
    Ok(report)
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

async fn scan_account(
    session: &Session,
    options: &ScanOptions,
    settings: &Settings,
    account: &OrgAccount,
    management_id: &str,
) -> Outcome {
    let mut outcome = Outcome::default();
    let id = account.id.as_str();
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
    let aws = if id == management_id {
        session.management(id)
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
    let mut facts = collect(&aws, sources_of(Scope::Account), "global").await;
    facts.facts.account = Some(AccountInfo {
        name: account.name.clone(),
        email: account.email.clone(),
    });
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
        Err(err) => {
            let error = format!("cannot list the account's regions: {err}");
            for check in checks_of(Scope::Region) {
                outcome.cover(
                    id,
                    None,
                    Some(check.meta().id),
                    CoverageStatus::Failed,
                    Some(error.clone()),
                );
            }
            return outcome;
        }
    };

    let regional: Vec<(String, CollectedFacts)> = futures::stream::iter(regions)
        .map(|region| {
            let aws = &aws;
            async move {
                let facts = collect(aws, sources_of(Scope::Region), &region).await;
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
    for check in checks_of(scope) {
        let meta = check.meta();
        let verdict = match orgsweep_checks::run(check, &ctx) {
            Ok(findings) => Ok(findings),
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
