//! The HTML page: a view of the report prepared in Rust, so the template only loops and
//! prints, and askama's auto-escaping covers every value that came from AWS.
//!
//! Account names, tags, resource ids and error strings are attacker-controlled (anyone who
//! can tag a resource in a compromised account writes into this page), so nothing here
//! bypasses escaping, invisible and bidirectional-override characters are shown as code
//! points (a name must not read backwards or hide text), long values are cut, and a
//! Content-Security-Policy forbids any script or style but our own and any network load as
//! a second line of defence.
//!
//! The page answers, in order, what a security team asks: is anything on fire, where, what
//! first, and what could the scan not see. So the first screen is a verdict, the triage list
//! in the plan's order, an account × severity matrix and two charts; everything else is one
//! click away. At 10,000 accounts the page summarizes and caps long lists ("N more in
//! report.json") so it stays small enough to open.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use askama::Template;
use orgsweep_model::{
    Account, Change, Coverage, CoverageStatus, Finding, GLOBAL_REGION, InventoryItem, Report,
    Severity, Spend,
};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::RenderError;
use crate::customers::{customers, kind_name, run_scope, target_id};
use crate::plan::{phase_name, phase_of, plan_key};

/// The page's only script, included verbatim by the template; its hash goes into the CSP so
/// that the browser runs it and nothing else. Askama drops one trailing newline of an
/// included file, and the hash must cover exactly the bytes in the page.
const FILTER_SCRIPT_SOURCE: &str = include_str!("../templates/filter.js");
/// The page's only style sheet, hashed into the CSP the same way, so an injected `<style>`
/// (or `style=` attribute) could not restyle the page to hide a finding.
const STYLE_SOURCE: &str = include_str!("../templates/report.css");

fn filter_script() -> &'static str {
    FILTER_SCRIPT_SOURCE
        .strip_suffix('\n')
        .unwrap_or(FILTER_SCRIPT_SOURCE)
}

fn style_sheet() -> &'static str {
    STYLE_SOURCE.strip_suffix('\n').unwrap_or(STYLE_SOURCE)
}

/// Caps that keep a 10,000-account report under 10 MB and quick to open; what is left out
/// is counted on the page and is all in report.json and findings.csv.
const TRIAGE_CAP: usize = 200;
/// Triage lines shown before the rest fold away, so the matrix and the charts stay near the
/// first screen; critical lines always show.
const TRIAGE_OPEN: usize = 12;
const MATRIX_CAP: usize = 300;
const FINDINGS_CAP: usize = 500;
const SCOPES_PER_CAUSE: usize = 200;
const CHANGED_CAP: usize = 200;
const MUTED_CAP: usize = 500;
const ACCOUNTS_CAP: usize = 500;
/// Inventories up to this size are listed whole; larger ones list [`INVENTORY_ROWS`] rows.
const INVENTORY_ALL: usize = 1000;
const INVENTORY_ROWS: usize = 500;
const HEATMAP_ROWS: usize = 200;
const TIMELINE_CAP: usize = 1000;
const CHART_ACCOUNTS: usize = 20;
const SPEND_CAP: usize = 500;
/// Billing findings linked from one row of the spend table; the rest are counted.
const SPEND_FLAGS: usize = 3;
const ACTIVITY_ACCOUNTS: usize = 12;

/// Longest value shown (characters); a 1 MB tag must not become a 1 MB page.
const VALUE_CAP: usize = 300;
const TITLE_CAP: usize = 600;
const TEXT_CAP: usize = 4000;
const EVIDENCE_CAP: usize = 6000;

/// Renders the report as one self-contained page that can be mailed, archived or opened
/// offline: inline style and script, no network load.
pub fn to_html(report: &Report) -> Result<String, RenderError> {
    Page::new(report)?.render().map_err(RenderError::Html)
}

type Text<'a> = Cow<'a, str>;

#[derive(Template)]
#[template(path = "report.html", whitespace = "minimize")]
struct Page<'a> {
    csp: String,
    tool_name: Text<'a>,
    tool_version: Text<'a>,
    schema_version: u32,
    management_account_id: Text<'a>,
    /// "3 targets · 2 customers" for a multi-target report, shown instead of the management
    /// account and organization it does not have.
    run_scope: Option<String>,
    organization_id: Option<Text<'a>>,
    caller_arn: Option<Text<'a>>,
    events_source: Option<Text<'a>>,
    shard: Option<String>,
    started_at: String,
    finished_at: String,
    window_days: u32,
    regions: Text<'a>,
    expected_regions: Text<'a>,
    verdict: Verdict,
    counts: Vec<SeverityCount>,
    /// One row per customer of a multi-target report; empty for one organization, whose page
    /// is then exactly as it always was (no customer column anywhere either).
    customers: Vec<CustomerRow<'a>>,
    blocked: Vec<ScopeRow<'a>>,
    blocked_more: usize,
    triage: Vec<TriageAccount<'a>>,
    triage_later: usize,
    triage_more: usize,
    matrix: Vec<MatrixRow<'a>>,
    matrix_more: usize,
    charts: Charts<'a>,
    /// Charges per account, this month against last; `None` when no account has them
    /// (Cost Explorer not read, or a report of an older version), and then nothing shows.
    spend: Option<SpendTable<'a>>,
    causes: Vec<Cause<'a>>,
    gap_entries: usize,
    changed: Option<Changed<'a>>,
    findings: Findings<'a>,
    muted: Vec<MutedRow<'a>>,
    muted_more: usize,
    timeline: Vec<TimelineAccount<'a>>,
    timeline_more: usize,
    accounts: Vec<AccountRow<'a>>,
    accounts_total: usize,
    accounts_scanned: usize,
    heatmap: Heatmap<'a>,
    inventory_summary: Vec<InventoryType<'a>>,
    inventory: Vec<InventoryRow<'a>>,
    inventory_total: usize,
    duration: String,
    total_api_calls: u64,
    api_calls: Vec<(Text<'a>, u64)>,
    throttled: u64,
    retries: u64,
    resumed_accounts: u64,
}

/// The first line a reader sees: how bad, where, and how much of the organization it covers.
struct Verdict {
    /// `fire` (critical), `warn` (high or an incomplete scan) or `ok`; a CSS class.
    level: &'static str,
    findings: String,
    scope: String,
    complete: bool,
}

struct SeverityCount {
    severity: &'static str,
    count: usize,
}

/// The severities counted per customer: the ones an MSP reports on (info is noise there).
const CUSTOMER_SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// One customer of a multi-target report: what was scanned of it, how bad, and what could
/// not be seen, with the error of an unreachable target in plain sight (a customer whose
/// organization could not be reached would otherwise look clean).
struct CustomerRow<'a> {
    /// `None` for accounts no customer claims (a hand-edited report).
    name: Option<Text<'a>>,
    targets: Vec<TargetCell<'a>>,
    accounts: usize,
    /// Active findings per severity, in [`CUSTOMER_SEVERITIES`] order.
    counts: Vec<(&'static str, usize)>,
    /// Failed coverage entries of the customer's accounts, plus its unreachable targets.
    gaps: usize,
    unreachable: bool,
}

struct TargetCell<'a> {
    name: Text<'a>,
    kind: &'static str,
    id: Option<Text<'a>>,
    error: Option<Text<'a>>,
}

struct TriageAccount<'a> {
    account_id: Text<'a>,
    account_name: Text<'a>,
    customer: Option<Text<'a>>,
    items: Vec<TriageItem<'a>>,
    /// Lines past [`TRIAGE_OPEN`], shown in the folded part.
    later: Vec<TriageItem<'a>>,
}

/// One resource's critical or high problems, one line.
struct TriageItem<'a> {
    severity: &'static str,
    phase: &'static str,
    /// The finding first in the plan: the details and plan links go to it.
    id: &'a str,
    title: Text<'a>,
    /// The other findings on the same resource ("also: …").
    also: Vec<Text<'a>>,
    check_id: Text<'a>,
    region: Text<'a>,
    resource: Vec<String>,
    own: bool,
}

struct MatrixRow<'a> {
    account_id: Text<'a>,
    account_name: Text<'a>,
    customer: Option<Text<'a>>,
    /// Per severity, in [`Severity::ALL`] order.
    counts: Vec<(&'static str, usize)>,
    total: usize,
    /// `complete`, `partial`, `not-scanned`; a CSS class and a sort key.
    coverage: &'static str,
    coverage_rank: u8,
    coverage_note: String,
}

/// Inline SVG drawn here, so the page needs no chart library and loads nothing.
struct Charts<'a> {
    by_account: Option<BarChart<'a>>,
    activity: Option<ActivityChart<'a>>,
    spend: Option<SpendChart<'a>>,
}

const CHART_WIDTH: u32 = 720;
const LABEL_WIDTH: u32 = 220;
const ROW_HEIGHT: u32 = 20;

struct BarChart<'a> {
    height: u32,
    rows: Vec<BarRow<'a>>,
    max: usize,
    others: Option<String>,
}

struct BarRow<'a> {
    y: u32,
    text_y: u32,
    label: Text<'a>,
    total: usize,
    total_x: u32,
    segments: Vec<BarSegment>,
}

struct BarSegment {
    severity: &'static str,
    x: u32,
    width: u32,
    count: usize,
}

struct ActivityChart<'a> {
    height: u32,
    day_width: u32,
    days: Vec<DayTick>,
    rows: Vec<ActivityRow<'a>>,
    events: usize,
    sampled: bool,
    others: usize,
}

struct DayTick {
    x: u32,
    label: String,
    label_x: u32,
    show_label: bool,
}

struct ActivityRow<'a> {
    label: Text<'a>,
    text_y: u32,
    base_y: u32,
    bars: Vec<ActivityBar>,
}

struct ActivityBar {
    x: u32,
    y: u32,
    height: u32,
    width: u32,
    count: u64,
    day: String,
    /// `suspicious` (from the findings' events) or `total` (all events, when known).
    kind: &'static str,
}

/// Spend this month against last month per account, from the `billing.*` findings'
/// `current_month` and `previous_month` evidence (or plain `this_month` and `last_month`
/// numbers).
struct SpendChart<'a> {
    height: u32,
    /// Daily rates when the evidence has them for both months, else amounts.
    unit: &'static str,
    rows: Vec<SpendRow<'a>>,
    more: usize,
}

struct SpendRow<'a> {
    label: Text<'a>,
    text_y: u32,
    y_last: u32,
    y_this: u32,
    last_width: u32,
    this_width: u32,
    value_x: u32,
    last: String,
    this: String,
}

/// Every account's charges from Cost Explorer, the accounts the billing checks flagged
/// first, then the fastest-growing.
struct SpendTable<'a> {
    rows: Vec<SpendAccount<'a>>,
    /// Accounts with charges left out by [`SPEND_CAP`].
    more: usize,
    /// Accounts with charges, and those of them with an active `billing.*` finding.
    accounts: usize,
    flagged: usize,
    /// Days of each period, when every account's charges cover the same ones.
    previous_days: Option<u32>,
    current_days: Option<u32>,
    /// Totals over every account with charges, shown or not.
    total_previous: String,
    total_current: String,
    total_change: String,
}

struct SpendAccount<'a> {
    account_id: Text<'a>,
    account_name: Text<'a>,
    customer: Option<Text<'a>>,
    previous: String,
    current: String,
    /// "×5.0", "new" or "–".
    change: String,
    /// The account's active billing findings, most severe first.
    flags: Vec<SpendFlag<'a>>,
    flags_more: usize,
}

struct SpendFlag<'a> {
    /// Set when the finding is in the findings table, so the link lands.
    id: Option<&'a str>,
    severity: &'static str,
    check_id: Text<'a>,
}

/// One cause of missing coverage with every scope it hit.
struct Cause<'a> {
    status: &'static str,
    /// The account could not be read at all: shown at the top of the page too.
    blocking: bool,
    headline: String,
    error: Text<'a>,
    /// For skipped checks: (check, what to configure).
    how: Vec<(Text<'a>, Text<'a>)>,
    scopes: Vec<ScopeRow<'a>>,
    more: usize,
}

struct ScopeRow<'a> {
    account_id: Text<'a>,
    account_name: Text<'a>,
    region: Text<'a>,
    check: Text<'a>,
    /// "all checks" is prose, a check id is code: they are styled differently.
    check_is_all: bool,
    error: Text<'a>,
}

/// "Changed since": what the embedded comparison with the previous report says.
struct Changed<'a> {
    since: String,
    new_findings: Vec<FindingLine<'a>>,
    new_total: usize,
    changed_findings: Vec<FindingLine<'a>>,
    changed_total: usize,
    resolved_findings: Vec<FindingLine<'a>>,
    resolved_total: usize,
    /// In the previous report, in scopes this scan could not read: not known to be gone.
    not_rechecked_findings: Vec<FindingLine<'a>>,
    not_rechecked_findings_total: usize,
    appeared: Vec<ItemLine<'a>>,
    appeared_total: usize,
    disappeared: Vec<ItemLine<'a>>,
    disappeared_total: usize,
    not_rechecked_resources: Vec<ItemLine<'a>>,
    not_rechecked_resources_total: usize,
}

struct FindingLine<'a> {
    id: &'a str,
    severity: &'static str,
    title: Text<'a>,
    account_id: Text<'a>,
    region: Text<'a>,
}

struct ItemLine<'a> {
    resource_type: Text<'a>,
    resource_id: Text<'a>,
    account_id: Text<'a>,
    region: Text<'a>,
}

struct Findings<'a> {
    /// Critical, high and medium: open to view.
    main: Vec<GroupRow<'a>>,
    /// Low and info: in a collapsed table.
    low: Vec<GroupRow<'a>>,
    /// Findings (not rows) in the report, muted ones excepted.
    total: usize,
    /// Rows left out by the cap, and the findings in them.
    more_rows: usize,
    more_findings: usize,
    /// Why volumes are not under their instances, when they could have been.
    volume_note: Option<&'static str>,
}

/// All findings about one resource: "one problem, one place".
struct GroupRow<'a> {
    severity: &'static str,
    account_id: Text<'a>,
    account_name: Text<'a>,
    /// Whose account it is, in a multi-target report.
    customer: Option<Text<'a>>,
    region: Text<'a>,
    resource_type: Text<'a>,
    resource: Vec<String>,
    /// Space-separated check ids, for the filter.
    checks: String,
    change: &'static str,
    own: bool,
    reasons: Vec<Reason<'a>>,
}

struct Reason<'a> {
    id: &'a str,
    severity: &'static str,
    check_id: Text<'a>,
    title: Text<'a>,
    change: &'static str,
    own: bool,
    /// Set when the finding is about a volume attached to this row's instance.
    via: Option<Text<'a>>,
    detail: Text<'a>,
    remediation: Vec<Text<'a>>,
    /// Pretty JSON text, escaped like any other value when printed.
    evidence: Option<String>,
}

struct MutedRow<'a> {
    id: &'a str,
    severity: &'static str,
    account_id: Text<'a>,
    check_id: Text<'a>,
    title: Text<'a>,
    resource: Vec<String>,
    region: Text<'a>,
    reason: Text<'a>,
}

struct AccountRow<'a> {
    /// (type, name, title, email, phone) for a person to verify, as the guidance asks.
    contacts: Vec<[Text<'a>; 5]>,
    account_id: Text<'a>,
    name: Text<'a>,
    email: Text<'a>,
    status: Text<'a>,
    ou_path: Text<'a>,
    scanned: bool,
    /// The customer and target of a multi-target report's account.
    customer: Option<Text<'a>>,
    target: Option<Text<'a>>,
}

/// Suspicious events of one account, oldest first, from the findings' evidence.
struct TimelineAccount<'a> {
    account_id: Text<'a>,
    account_name: Text<'a>,
    events: Vec<TimelineEvent<'a>>,
}

struct TimelineEvent<'a> {
    time: Text<'a>,
    region: Text<'a>,
    principal: Text<'a>,
    event: Text<'a>,
    source_ip: Text<'a>,
    group: Text<'a>,
}

/// Resource counts per account and region; regions outside the expected ones stand out,
/// because that is where intruders mine.
struct Heatmap<'a> {
    columns: Vec<HeatColumn<'a>>,
    rows: Vec<HeatRow<'a>>,
    more: usize,
}

struct HeatColumn<'a> {
    region: Text<'a>,
    unexpected: bool,
}

struct HeatRow<'a> {
    account_id: Text<'a>,
    account_name: Text<'a>,
    /// (count, shade 0–4, region unexpected)
    cells: Vec<(usize, u8, bool)>,
}

struct InventoryType<'a> {
    resource_type: Text<'a>,
    count: usize,
    unknown: usize,
    accounts: usize,
}

struct InventoryRow<'a> {
    account_id: Text<'a>,
    region: Text<'a>,
    resource_type: Text<'a>,
    resource_id: Vec<String>,
    created_at: String,
    state: Text<'a>,
    tags: Vec<(Text<'a>, Text<'a>)>,
    known: bool,
}

/// Account names (and, in a multi-target report, customers) by id, shown next to ids
/// everywhere: a responder must see whose account a finding is in.
struct Names<'a> {
    names: HashMap<&'a str, &'a str>,
    customers: HashMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    fn of(report: &'a Report) -> Self {
        Names {
            names: report
                .accounts
                .iter()
                .map(|a| (a.account_id.as_str(), a.name.as_str()))
                .collect(),
            customers: crate::customers::customer_of_accounts(report),
        }
    }

    fn get(&self, id: &str) -> Text<'a> {
        visible(self.names.get(id).copied().unwrap_or(""), VALUE_CAP)
    }

    fn customer(&self, id: &str) -> Option<Text<'a>> {
        self.customers.get(id).map(|c| v(c))
    }
}

fn v(s: &str) -> Text<'_> {
    visible(s, VALUE_CAP)
}

fn sev_index(severity: Severity) -> usize {
    Severity::ALL
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(Severity::ALL.len() - 1)
}

fn change_str(change: Option<Change>) -> &'static str {
    match change {
        Some(Change::New) => "new",
        Some(Change::Changed) => "changed",
        Some(Change::Unchanged) => "unchanged",
        None => "",
    }
}

impl<'a> Page<'a> {
    fn new(report: &'a Report) -> Result<Self, RenderError> {
        let names = Names::of(report);
        let run = &report.run;
        let active: Vec<&Finding> = report.findings.iter().filter(|f| !f.muted).collect();

        let counts = Severity::ALL
            .into_iter()
            .map(|severity| SeverityCount {
                severity: severity.as_str(),
                count: active.iter().filter(|f| f.severity == severity).count(),
            })
            .collect();

        let causes = coverage_causes(report, &names);
        let (blocked, blocked_more) = blocked_accounts(report, &names);
        let (triage, triage_ids, triage_more) = triage(&active, &names);
        let (matrix, matrix_more) = matrix(report, &active, &names);
        let findings = findings_table(&active, &names, &triage_ids);
        let muted_all: Vec<&Finding> = report.findings.iter().filter(|f| f.muted).collect();
        let muted = muted_all
            .iter()
            .take(MUTED_CAP)
            .map(|f| MutedRow {
                id: &f.id,
                severity: f.severity.as_str(),
                account_id: v(&f.account_id),
                check_id: v(&f.check_id),
                title: visible(&f.title, TITLE_CAP),
                resource: breakable(&f.resource_id),
                region: v(&f.region),
                reason: visible(
                    f.mute_reason.as_deref().unwrap_or("no reason given"),
                    TEXT_CAP,
                ),
            })
            .collect();

        let mut accounts_sorted: Vec<&Account> = report.accounts.iter().collect();
        // Accounts that were not scanned are the ones a reader must look at.
        accounts_sorted.sort_by_key(|a| a.scanned);
        let accounts = accounts_sorted
            .into_iter()
            .take(ACCOUNTS_CAP)
            .map(|a| AccountRow {
                contacts: a
                    .contacts
                    .iter()
                    .map(|(k, c)| [v(k), v(&c.name), v(&c.title), v(&c.email), v(&c.phone)])
                    .collect(),
                account_id: v(&a.account_id),
                name: v(&a.name),
                email: v(&a.email),
                status: v(&a.status),
                ou_path: v(&a.ou_path),
                scanned: a.scanned,
                customer: a.customer.as_deref().map(v),
                target: a.target.as_deref().map(v),
            })
            .collect();

        let (inventory_summary, inventory) = inventory(report)?;
        let changed = match &report.previous {
            Some(previous) => Some(changed(report, previous)?),
            None => None,
        };
        let (timeline, timeline_more) = timeline(report, &names);
        let spend = spend_table(report, &active, &findings);

        let stats = &report.stats;
        Ok(Page {
            csp: content_security_policy(filter_script(), style_sheet()),
            tool_name: v(&report.tool.name),
            tool_version: v(&report.tool.version),
            schema_version: report.schema_version,
            management_account_id: v(&run.management_account_id),
            run_scope: run_scope(report),
            organization_id: run.organization_id.as_deref().map(v),
            caller_arn: run.caller_arn.as_deref().map(v),
            events_source: run.events_source.as_deref().map(v),
            shard: run
                .shard
                .as_ref()
                .map(|s| format!("shard {} of {}", s.index, s.count)),
            started_at: utc_time(run.started_at)?,
            finished_at: utc_time(run.finished_at)?,
            window_days: run.window_days,
            regions: region_list(&run.regions, "none"),
            expected_regions: region_list(&run.expected_regions, "not configured"),
            verdict: verdict(report, &active),
            counts,
            customers: customer_rows(report, &active),
            blocked,
            blocked_more,
            triage_later: triage.iter().map(|a| a.later.len()).sum(),
            triage,
            triage_more,
            matrix,
            matrix_more,
            charts: Charts {
                by_account: by_account_chart(&active, &names),
                activity: activity_chart(report, &names),
                spend: spend_chart(report, &names),
            },
            spend,
            gap_entries: report.gaps().count(),
            causes,
            changed,
            findings,
            muted,
            muted_more: muted_all.len().saturating_sub(MUTED_CAP),
            timeline,
            timeline_more,
            accounts,
            accounts_total: report.accounts.len(),
            accounts_scanned: report.accounts.iter().filter(|a| a.scanned).count(),
            heatmap: heatmap(report, &names),
            inventory_summary,
            inventory,
            inventory_total: report.inventory.len(),
            duration: human_duration(stats.duration_ms),
            total_api_calls: stats
                .api_calls
                .values()
                .fold(0u64, |sum, n| sum.saturating_add(*n)),
            api_calls: stats.api_calls.iter().map(|(op, n)| (v(op), *n)).collect(),
            throttled: stats.throttled,
            retries: stats.retries,
            resumed_accounts: stats.resumed_accounts,
        })
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `19,896`: counts in a 10,000-account organization are read at a glance.
fn thousands(n: usize) -> String {
    group_digits(&n.to_string())
}

/// Commas between groups of three in a string of digits.
fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An account-level entry (no region, no check): the whole account.
fn is_account_level(c: &Coverage) -> bool {
    c.region.is_none() && c.check_id.is_none()
}

fn verdict(report: &Report, active: &[&Finding]) -> Verdict {
    let count = |s: Severity| active.iter().filter(|f| f.severity == s).count();
    let (critical, high) = (count(Severity::Critical), count(Severity::High));
    let urgent_accounts: BTreeSet<&str> = active
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .map(|f| f.account_id.as_str())
        .collect();
    let findings = match (critical, high) {
        (0, 0) => "No critical or high findings".to_owned(),
        (0, h) => format!(
            "{} in {}",
            plural(h, "high finding", "high findings"),
            plural(urgent_accounts.len(), "account", "accounts")
        ),
        (c, h) => format!(
            "{} critical and {} in {}",
            thousands(c),
            plural(h, "high finding", "high findings"),
            plural(urgent_accounts.len(), "account", "accounts")
        ),
    };
    let others = [Severity::Medium, Severity::Low, Severity::Info]
        .into_iter()
        .map(|s| format!("{} {s}", thousands(count(s))))
        .collect::<Vec<_>>()
        .join(", ");
    let findings = format!("{findings} ({others})");

    let total = report.accounts.len();
    let scanned = report.accounts.iter().filter(|a| a.scanned).count();
    let gaps: Vec<&Coverage> = report.gaps().collect();
    let accounts_where = |status: CoverageStatus| -> BTreeSet<&str> {
        gaps.iter()
            .filter(|c| is_account_level(c) && c.status == status)
            .map(|c| c.account_id.as_str())
            .collect()
    };
    let unassumable = accounts_where(CoverageStatus::Failed);
    let skipped_accounts = accounts_where(CoverageStatus::Skipped);
    let mut parts = vec![format!(
        "scanned {} of {} accounts",
        thousands(scanned),
        thousands(total)
    )];
    let mut unread = Vec::new();
    if !unassumable.is_empty() {
        unread.push(format!(
            "{} could not be read",
            plural(unassumable.len(), "account", "accounts")
        ));
    }
    if !skipped_accounts.is_empty() {
        unread.push(format!("{} skipped", skipped_accounts.len()));
    }
    if !unread.is_empty() {
        parts[0].push_str(&format!(" ({})", unread.join(", ")));
    }
    let region_gaps: BTreeSet<(&str, &str)> = gaps
        .iter()
        .filter(|c| c.check_id.is_none())
        .filter_map(|c| Some((c.account_id.as_str(), c.region.as_deref()?)))
        .collect();
    if !region_gaps.is_empty() {
        let accounts: BTreeSet<&str> = region_gaps.iter().map(|(a, _)| *a).collect();
        parts.push(format!(
            "{} not readable in {}",
            plural(region_gaps.len(), "region", "regions"),
            plural(accounts.len(), "account", "accounts")
        ));
    }
    let failed_checks: Vec<&&Coverage> = gaps
        .iter()
        .filter(|c| c.check_id.is_some() && c.status == CoverageStatus::Failed)
        .collect();
    if !failed_checks.is_empty() {
        let checks: BTreeSet<&str> = failed_checks
            .iter()
            .filter_map(|c| c.check_id.as_deref())
            .collect();
        let accounts: BTreeSet<&str> = failed_checks
            .iter()
            .map(|c| c.account_id.as_str())
            .collect();
        parts.push(format!(
            "{} failed in {} ({})",
            plural(checks.len(), "check", "checks"),
            plural(accounts.len(), "account", "accounts"),
            plural(failed_checks.len(), "scope", "scopes")
        ));
    }
    let skipped_checks: BTreeSet<&str> = gaps
        .iter()
        .filter(|c| c.status == CoverageStatus::Skipped)
        .filter_map(|c| c.check_id.as_deref())
        .collect();
    if !skipped_checks.is_empty() {
        parts.push(format!(
            "{} skipped (not configured)",
            plural(skipped_checks.len(), "check", "checks")
        ));
    }
    let complete = gaps.is_empty();
    if complete {
        parts.push("every account, region and check was read".to_owned());
    }
    let mut scope = parts.join("; ");
    if let Some(first) = scope.get(..1) {
        scope = format!("{}{}", first.to_uppercase(), &scope[1..]);
    }
    let level = if critical > 0 {
        "fire"
    } else if high > 0 || !complete {
        "warn"
    } else {
        "ok"
    };
    Verdict {
        level,
        findings,
        scope,
        complete,
    }
}

/// The customers table of a multi-target report (empty for one organization). Findings
/// count for the customer of their account, muted ones not at all (as everywhere on the
/// page); a finding in an account the report does not list counts for "no customer".
fn customer_rows<'a>(report: &'a Report, active: &[&'a Finding]) -> Vec<CustomerRow<'a>> {
    let list = customers(report);
    let slot: HashMap<Option<&str>, usize> =
        list.iter().enumerate().map(|(i, c)| (c.name, i)).collect();
    let account_slot: HashMap<&str, usize> = report
        .accounts
        .iter()
        .filter_map(|a| Some((a.account_id.as_str(), *slot.get(&a.customer.as_deref())?)))
        .collect();
    let mut rows: Vec<CustomerRow<'a>> = list
        .iter()
        .map(|c| CustomerRow {
            name: c.name.map(v),
            targets: c
                .targets
                .iter()
                .map(|t| TargetCell {
                    name: v(&t.name),
                    kind: kind_name(t.kind),
                    id: target_id(t).map(v),
                    error: t.error.as_deref().map(|e| visible(e, TEXT_CAP)),
                })
                .collect(),
            accounts: 0,
            counts: CUSTOMER_SEVERITIES
                .iter()
                .map(|s| (s.as_str(), 0))
                .collect(),
            gaps: c.targets.iter().filter(|t| t.error.is_some()).count(),
            unreachable: c.targets.iter().any(|t| t.error.is_some()),
        })
        .collect();
    for a in &report.accounts {
        if let Some(&i) = account_slot.get(a.account_id.as_str()) {
            rows[i].accounts += 1;
        }
    }
    for f in active {
        let i = account_slot
            .get(f.account_id.as_str())
            .or_else(|| slot.get(&None));
        let k = CUSTOMER_SEVERITIES.iter().position(|s| *s == f.severity);
        if let (Some(&i), Some(k)) = (i, k) {
            rows[i].counts[k].1 += 1;
        }
    }
    // An unreachable target's own gap names no listed account: it is counted with its target.
    for c in report.gaps().filter(|c| c.status == CoverageStatus::Failed) {
        if let Some(&i) = account_slot.get(c.account_id.as_str()) {
            rows[i].gaps += 1;
        }
    }
    rows
}

fn scope_row<'a>(c: &'a Coverage, names: &Names<'a>) -> ScopeRow<'a> {
    ScopeRow {
        account_id: v(&c.account_id),
        account_name: names.get(&c.account_id),
        region: match (&c.region, &c.check_id) {
            (Some(region), _) => v(region),
            // No region and no check: the account itself could not be scanned.
            (None, None) => Cow::Borrowed("all regions"),
            (None, Some(_)) => Cow::Borrowed("account-wide"),
        },
        check: c.check_id.as_deref().map_or(Cow::Borrowed("all checks"), v),
        check_is_all: c.check_id.is_none(),
        error: visible(c.error.as_deref().unwrap_or(""), TEXT_CAP),
    }
}

/// Accounts that could not be read at all (the role could not be assumed): the one gap
/// that silently hides everything in an account, so it is shown above the findings.
fn blocked_accounts<'a>(report: &'a Report, names: &Names<'a>) -> (Vec<ScopeRow<'a>>, usize) {
    let all: Vec<&Coverage> = report
        .gaps()
        .filter(|c| is_account_level(c) && c.status == CoverageStatus::Failed)
        .collect();
    const SHOWN: usize = 20;
    let more = all.len().saturating_sub(SHOWN);
    (
        all.into_iter()
            .take(SHOWN)
            .map(|c| scope_row(c, names))
            .collect(),
        more,
    )
}

/// The same error in many accounts differs only by the account id in it (a role ARN, an
/// assumed-role name): without them, one cause is one row.
fn normalize_error(error: &str) -> String {
    let mut out = String::with_capacity(error.len());
    let bytes = error.as_bytes();
    let mut i = 0;
    while i < error.len() {
        let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_digit();
        if digits == 12 && starts_word {
            out.push_str("<account>");
            i += 12;
        } else if digits > 0 {
            out.push_str(&error[i..i + digits]);
            i += digits;
        } else {
            let len = error[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&error[i..i + len]);
            i += len;
        }
    }
    out
}

fn coverage_causes<'a>(report: &'a Report, names: &Names<'a>) -> Vec<Cause<'a>> {
    let scanned = report.accounts.iter().filter(|a| a.scanned).count();
    let total = report.accounts.len();
    // (order class, status, normalized error) → entries.
    let mut groups: BTreeMap<(u8, CoverageStatus, String), Vec<&Coverage>> = BTreeMap::new();
    for c in report.gaps() {
        let class = match (c.region.is_some(), c.check_id.is_some(), c.status) {
            (false, false, CoverageStatus::Failed) => 0,
            (false, false, _) => 1,
            (true, false, CoverageStatus::Failed) => 2,
            (_, true, CoverageStatus::Failed) => 3,
            (true, false, _) => 4,
            (_, true, _) => 5,
        };
        // Skipped checks share one cause: the settings file lacks what they need.
        let key = if class == 5 {
            String::new()
        } else {
            normalize_error(c.error.as_deref().unwrap_or("no reason given"))
        };
        groups.entry((class, c.status, key)).or_default().push(c);
    }
    let mut causes: Vec<(u8, usize, Cause<'a>)> = groups
        .into_iter()
        .map(|((class, status, error), entries)| {
            let accounts: BTreeSet<&str> = entries.iter().map(|c| c.account_id.as_str()).collect();
            let regions: BTreeSet<&str> =
                entries.iter().filter_map(|c| c.region.as_deref()).collect();
            let checks: BTreeSet<&str> = entries
                .iter()
                .filter_map(|c| c.check_id.as_deref())
                .collect();
            let in_accounts = if accounts.len() == total && total > 1 {
                format!("in all {total} accounts")
            } else if accounts.len() == scanned && scanned > 1 {
                format!("in all {scanned} scanned accounts")
            } else {
                format!("in {}", plural(accounts.len(), "account", "accounts"))
            };
            let what = if checks.len() == 1 {
                checks
                    .iter()
                    .next()
                    .map_or(String::new(), |c| (*c).to_owned())
            } else {
                plural(checks.len(), "check", "checks")
            };
            let where_ = if regions.is_empty() {
                in_accounts.clone()
            } else {
                format!(
                    "in {} of {}",
                    plural(regions.len(), "region", "regions"),
                    plural(accounts.len(), "account", "accounts")
                )
            };
            let status_word = match status {
                CoverageStatus::Failed => "failed",
                _ => "skipped",
            };
            let headline = match class {
                0 => format!(
                    "{} could not be read",
                    plural(accounts.len(), "account", "accounts")
                ),
                1 => format!(
                    "{} not scanned",
                    plural(accounts.len(), "account", "accounts")
                ),
                2 => format!(
                    "{} not readable in {}",
                    plural(regions.len(), "region", "regions"),
                    plural(accounts.len(), "account", "accounts")
                ),
                4 => format!(
                    "{} skipped in {}",
                    plural(regions.len(), "region", "regions"),
                    plural(accounts.len(), "account", "accounts")
                ),
                5 => format!("{what} skipped {in_accounts}: not configured"),
                _ => format!("{what} {status_word} {where_}"),
            };
            let how: BTreeMap<&str, &str> = if class == 5 {
                entries
                    .iter()
                    .filter_map(|c| Some((c.check_id.as_deref()?, c.error.as_deref()?)))
                    .collect()
            } else {
                BTreeMap::new()
            };
            let cause = Cause {
                status: coverage_status(status),
                blocking: class == 0,
                headline,
                error: if class == 5 {
                    Cow::Borrowed("")
                } else {
                    Cow::Owned(visible(&error, TEXT_CAP).into_owned())
                },
                how: how.into_iter().map(|(c, e)| (v(c), v(e))).collect(),
                more: entries.len().saturating_sub(SCOPES_PER_CAUSE),
                scopes: entries
                    .iter()
                    .take(SCOPES_PER_CAUSE)
                    .map(|c| scope_row(c, names))
                    .collect(),
            };
            (class, entries.len(), cause)
        })
        .collect();
    causes.sort_by_key(|(class, n, _)| (*class, std::cmp::Reverse(*n)));
    causes.into_iter().map(|(_, _, c)| c).collect()
}

type ResourceKey<'a> = (&'a str, &'a str, &'a str, &'a str);

fn resource_key(f: &Finding) -> ResourceKey<'_> {
    (&f.account_id, &f.region, &f.resource_type, &f.resource_id)
}

/// The critical and high findings in the plan's order, one line per resource, grouped by
/// account (accounts in the order of their first step). Returns the lines, the ids they
/// link to (the findings table must show those), and how many lines the cap left out.
fn triage<'a>(
    active: &[&'a Finding],
    names: &Names<'a>,
) -> (Vec<TriageAccount<'a>>, BTreeSet<&'a str>, usize) {
    let mut urgent: Vec<&Finding> = active
        .iter()
        .copied()
        .filter(|f| f.severity >= Severity::High)
        .collect();
    urgent.sort_by(|a, b| plan_key(a).cmp(&plan_key(b)));
    let mut lines: Vec<(&Finding, Vec<&Finding>)> = Vec::new();
    let mut by_resource: HashMap<ResourceKey<'_>, usize> = HashMap::new();
    for f in urgent {
        match by_resource.get(&resource_key(f)) {
            Some(&i) => lines[i].1.push(f),
            None => {
                by_resource.insert(resource_key(f), lines.len());
                lines.push((f, Vec::new()));
            }
        }
    }
    let more = lines.len().saturating_sub(TRIAGE_CAP);
    let mut ids = BTreeSet::new();
    let mut accounts: Vec<TriageAccount<'a>> = Vec::new();
    let mut account_index: HashMap<&str, usize> = HashMap::new();
    for (n, (first, also)) in lines.into_iter().take(TRIAGE_CAP).enumerate() {
        ids.insert(first.id.as_str());
        let item = TriageItem {
            severity: first.severity.as_str(),
            phase: phase_name(phase_of(&first.check_id)),
            id: &first.id,
            title: visible(&first.title, TITLE_CAP),
            also: also.iter().map(|f| visible(&f.title, TITLE_CAP)).collect(),
            check_id: v(&first.check_id),
            region: v(&first.region),
            resource: breakable(&first.resource_id),
            own: first.scanner_identity,
        };
        let i = *account_index
            .entry(first.account_id.as_str())
            .or_insert_with(|| {
                accounts.push(TriageAccount {
                    account_id: v(&first.account_id),
                    account_name: names.get(&first.account_id),
                    customer: names.customer(&first.account_id),
                    items: Vec::new(),
                    later: Vec::new(),
                });
                accounts.len() - 1
            });
        if n < TRIAGE_OPEN || first.severity == Severity::Critical {
            accounts[i].items.push(item);
        } else {
            accounts[i].later.push(item);
        }
    }
    (accounts, ids, more)
}

fn matrix<'a>(
    report: &'a Report,
    active: &[&'a Finding],
    names: &Names<'a>,
) -> (Vec<MatrixRow<'a>>, usize) {
    let mut counts: HashMap<&str, [usize; 5]> = HashMap::new();
    for f in active {
        counts.entry(&f.account_id).or_default()[sev_index(f.severity)] += 1;
    }
    let mut coverage: HashMap<&str, (u8, Vec<String>)> = HashMap::new();
    for c in report.gaps() {
        let entry = coverage.entry(&c.account_id).or_insert((1, Vec::new()));
        if is_account_level(c) {
            entry.0 = 2;
        }
        if entry.1.len() < 3 {
            let what = match (&c.region, &c.check_id) {
                (None, None) => "account".to_owned(),
                (Some(r), None) => format!("region {r}"),
                (None, Some(check)) => check.clone(),
                (Some(r), Some(check)) => format!("{check} in {r}"),
            };
            entry
                .1
                .push(format!("{what}: {}", coverage_status(c.status)));
        }
    }
    // Accounts with findings but missing from `accounts` (a hand-edited report) still count.
    let mut ids: Vec<&str> = report
        .accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    let known: BTreeSet<&str> = ids.iter().copied().collect();
    let mut extra: Vec<&str> = counts
        .keys()
        .copied()
        .filter(|id| !known.contains(id))
        .collect();
    extra.sort_unstable();
    ids.extend(extra);
    let scanned: HashMap<&str, bool> = report
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.scanned))
        .collect();
    let mut rows: Vec<(([usize; 5], u8), MatrixRow<'a>)> = ids
        .into_iter()
        .map(|id| {
            let c = counts.get(id).copied().unwrap_or_default();
            let (mut rank, notes) = coverage.get(id).cloned().unwrap_or((0, Vec::new()));
            if scanned.get(id) == Some(&false) {
                rank = 2;
            }
            let (class, note) = match rank {
                0 => ("complete", "every region and check read".to_owned()),
                1 => ("partial", notes.join("; ")),
                _ => ("not-scanned", notes.join("; ")),
            };
            let row = MatrixRow {
                account_id: v(id),
                account_name: names.get(id),
                customer: names.customer(id),
                counts: Severity::ALL
                    .iter()
                    .zip(c)
                    .map(|(s, n)| (s.as_str(), n))
                    .collect(),
                total: c.iter().sum(),
                coverage: class,
                coverage_rank: rank,
                coverage_note: visible(&note, VALUE_CAP).into_owned(),
            };
            ((c, rank), row)
        })
        .collect();
    // Worst first: most critical, then high…, then the least covered.
    rows.sort_by(|(a, ra), (b, rb)| b.cmp(a).then(ra.account_id.cmp(&rb.account_id)));
    let more = rows.len().saturating_sub(MATRIX_CAP);
    (
        rows.into_iter()
            .take(MATRIX_CAP)
            .map(|(_, row)| row)
            .collect(),
        more,
    )
}

/// The instance a volume is attached to, when the evidence says so. No collector records it
/// today; the shapes accepted are the obvious ones (`instance_id`, `attached_to`, EC2's
/// `attachments[].instance_id`).
fn attached_instance(f: &Finding) -> Option<&str> {
    let e = &f.evidence;
    let direct = ["attached_instance_id", "instance_id", "attached_to"]
        .iter()
        .find_map(|k| e.get(*k).and_then(serde_json::Value::as_str));
    direct.or_else(|| {
        e.get("attachments")?.as_array()?.iter().find_map(|a| {
            a.get("instance_id")
                .or_else(|| a.get("InstanceId"))
                .and_then(serde_json::Value::as_str)
        })
    })
}

fn reason<'a>(f: &'a Finding, via: Option<Text<'a>>, detailed: bool) -> Reason<'a> {
    Reason {
        id: &f.id,
        severity: f.severity.as_str(),
        check_id: v(&f.check_id),
        title: visible(&f.title, TITLE_CAP),
        change: change_str(f.change),
        own: f.scanner_identity,
        via,
        detail: if detailed {
            visible(&f.detail, TEXT_CAP)
        } else {
            Cow::Borrowed("")
        },
        remediation: if detailed {
            f.remediation.iter().map(|s| visible(s, TEXT_CAP)).collect()
        } else {
            Vec::new()
        },
        evidence: (detailed && !f.evidence.is_empty()).then(|| {
            // A Map of JSON values always serializes; the fallback only keeps this total.
            let text = serde_json::to_string_pretty(&f.evidence)
                .unwrap_or_else(|e| format!("evidence could not be shown: {e}"));
            visible(&text, EVIDENCE_CAP).into_owned()
        }),
    }
}

/// One row per resource (every finding about it, worst first), volumes under the instance
/// they are attached to when the evidence links them, capped for very large reports with
/// the triage's findings always kept.
fn findings_table<'a>(
    active: &[&'a Finding],
    names: &Names<'a>,
    keep: &BTreeSet<&str>,
) -> Findings<'a> {
    let mut groups: Vec<Vec<&'a Finding>> = Vec::new();
    let mut index: HashMap<ResourceKey<'a>, usize> = HashMap::new();
    for f in active {
        match index.get(&resource_key(f)) {
            Some(&i) => groups[i].push(f),
            None => {
                index.insert(resource_key(f), groups.len());
                groups.push(vec![f]);
            }
        }
    }
    // Volumes under their instance, when the evidence says which.
    let mut attached: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut moved: BTreeSet<usize> = BTreeSet::new();
    let mut volumes = 0;
    let mut linked_volumes = 0;
    for (i, group) in groups.iter().enumerate() {
        let first = group[0];
        if first.resource_type != "ec2_volume" {
            continue;
        }
        volumes += 1;
        let Some(instance) = group.iter().find_map(|f| attached_instance(f)) else {
            continue;
        };
        linked_volumes += 1;
        let key = (
            first.account_id.as_str(),
            first.region.as_str(),
            "ec2_instance",
            instance,
        );
        if let Some(&target) = index.get(&key) {
            attached.entry(target).or_default().push(i);
            moved.insert(i);
        }
    }
    let instances = groups
        .iter()
        .filter(|g| g[0].resource_type == "ec2_instance")
        .count();
    let volume_note = (volumes > 0 && instances > 0 && linked_volumes == 0).then_some(
        "Volumes are listed on their own: the report's evidence does not say which instance a volume is attached to.",
    );

    let worst = |g: &[&Finding]| g.iter().map(|f| f.severity).max().unwrap_or_default();
    let mut order: Vec<usize> = (0..groups.len()).filter(|i| !moved.contains(i)).collect();
    let sort_key = |i: &usize| {
        let g = &groups[*i];
        let first = g
            .iter()
            .min_by_key(|f| plan_key(f))
            .copied()
            .unwrap_or(g[0]);
        (
            std::cmp::Reverse(worst(g)),
            phase_of(&first.check_id),
            first.account_id.as_str(),
            first.region.as_str(),
            first.resource_type.as_str(),
            first.resource_id.as_str(),
        )
    };
    order.sort_by_key(sort_key);
    let rows_total = order.len();
    if order.len() > FINDINGS_CAP {
        // The triage links into this table: its rows stay, the rest fill by severity.
        let (mut kept, rest): (Vec<usize>, Vec<usize>) = order
            .iter()
            .partition(|i| groups[**i].iter().any(|f| keep.contains(f.id.as_str())));
        kept.truncate(FINDINGS_CAP);
        let room = FINDINGS_CAP - kept.len();
        kept.extend(rest.into_iter().take(room));
        kept.sort_by_key(sort_key);
        order = kept;
    }
    let mut shown_findings = 0;
    let mut main = Vec::new();
    let mut low = Vec::new();
    for i in order {
        let mut members: Vec<(&Finding, Option<&str>)> =
            groups[i].iter().map(|f| (*f, None)).collect();
        for &vol in attached.get(&i).into_iter().flatten() {
            members.extend(
                groups[vol]
                    .iter()
                    .map(|f| (*f, Some(f.resource_id.as_str()))),
            );
        }
        members.sort_by(|(a, _), (b, _)| plan_key(a).cmp(&plan_key(b)));
        members.sort_by_key(|(f, _)| std::cmp::Reverse(f.severity));
        shown_findings += members.len();
        let first = members[0].0;
        let severity = first.severity;
        let change = members
            .iter()
            .filter_map(|(f, _)| f.change)
            .min_by_key(|c| match c {
                Change::New => 0,
                Change::Changed => 1,
                Change::Unchanged => 2,
            });
        let mut checks: Vec<&str> = members.iter().map(|(f, _)| f.check_id.as_str()).collect();
        checks.sort_unstable();
        checks.dedup();
        let head = groups[i][0];
        let row = GroupRow {
            severity: severity.as_str(),
            account_id: v(&head.account_id),
            account_name: names.get(&head.account_id),
            customer: names.customer(&head.account_id),
            region: v(&head.region),
            resource_type: v(&head.resource_type),
            resource: breakable(&head.resource_id),
            checks: checks
                .iter()
                .map(|c| c.replace(char::is_whitespace, "_"))
                .collect::<Vec<_>>()
                .join(" "),
            change: change_str(change),
            own: members.iter().any(|(f, _)| f.scanner_identity),
            reasons: members
                .into_iter()
                .map(|(f, via)| reason(f, via.map(v), true))
                .collect(),
        };
        if severity >= Severity::Medium {
            main.push(row);
        } else {
            low.push(row);
        }
    }
    Findings {
        main,
        low,
        total: active.len(),
        more_rows: rows_total - rows_total.min(FINDINGS_CAP),
        more_findings: active.len().saturating_sub(shown_findings),
        volume_note,
    }
}

fn changed<'a>(
    report: &'a Report,
    previous: &'a orgsweep_model::diff::Previous,
) -> Result<Changed<'a>, RenderError> {
    let line = |f: &'a Finding| FindingLine {
        id: &f.id,
        severity: f.severity.as_str(),
        title: visible(&f.title, TITLE_CAP),
        account_id: v(&f.account_id),
        region: v(&f.region),
    };
    let item = |i: &'a InventoryItem| ItemLine {
        resource_type: v(&i.resource_type),
        resource_id: v(&i.resource_id),
        account_id: v(&i.account_id),
        region: v(&i.region),
    };
    let with = |change: Change| {
        report
            .findings
            .iter()
            .filter(move |f| f.change == Some(change))
    };
    Ok(Changed {
        since: utc_time(previous.started_at)?,
        new_findings: with(Change::New).take(CHANGED_CAP).map(line).collect(),
        new_total: with(Change::New).count(),
        changed_findings: with(Change::Changed).take(CHANGED_CAP).map(line).collect(),
        changed_total: with(Change::Changed).count(),
        resolved_findings: previous
            .resolved_findings
            .iter()
            .take(CHANGED_CAP)
            .map(line)
            .collect(),
        resolved_total: previous.resolved_findings.len(),
        not_rechecked_findings: previous
            .not_rechecked_findings
            .iter()
            .take(CHANGED_CAP)
            .map(line)
            .collect(),
        not_rechecked_findings_total: previous.not_rechecked_findings.len(),
        appeared: previous
            .appeared
            .iter()
            .take(CHANGED_CAP)
            .map(item)
            .collect(),
        appeared_total: previous.appeared.len(),
        disappeared: previous
            .disappeared
            .iter()
            .take(CHANGED_CAP)
            .map(item)
            .collect(),
        disappeared_total: previous.disappeared.len(),
        not_rechecked_resources: previous
            .not_rechecked_resources
            .iter()
            .take(CHANGED_CAP)
            .map(item)
            .collect(),
        not_rechecked_resources_total: previous.not_rechecked_resources.len(),
    })
}

fn inventory(
    report: &Report,
) -> Result<(Vec<InventoryType<'_>>, Vec<InventoryRow<'_>>), RenderError> {
    let mut types: BTreeMap<&str, (usize, usize, BTreeSet<&str>)> = BTreeMap::new();
    for item in &report.inventory {
        let t = types.entry(&item.resource_type).or_default();
        t.0 += 1;
        if !item.known {
            t.1 += 1;
        }
        t.2.insert(&item.account_id);
    }
    let summary = types
        .into_iter()
        .map(|(t, (count, unknown, accounts))| InventoryType {
            resource_type: v(t),
            count,
            unknown,
            accounts: accounts.len(),
        })
        .collect();
    // A large inventory lists what nobody vouches for first.
    let rows: Vec<&InventoryItem> = if report.inventory.len() <= INVENTORY_ALL {
        report.inventory.iter().collect()
    } else {
        let mut unknown_first: Vec<&InventoryItem> =
            report.inventory.iter().filter(|i| !i.known).collect();
        unknown_first.truncate(INVENTORY_ROWS);
        let room = INVENTORY_ROWS - unknown_first.len();
        unknown_first.extend(report.inventory.iter().filter(|i| i.known).take(room));
        unknown_first
    };
    let rows = rows
        .into_iter()
        .map(|item| {
            Ok(InventoryRow {
                account_id: v(&item.account_id),
                region: v(&item.region),
                resource_type: v(&item.resource_type),
                resource_id: breakable(&item.resource_id),
                created_at: match item.created_at {
                    Some(at) => utc_time(at)?,
                    None => String::new(),
                },
                state: v(item.state.as_deref().unwrap_or("")),
                tags: item.tags.iter().map(|(k, val)| (v(k), v(val))).collect(),
                known: item.known,
            })
        })
        .collect::<Result<_, RenderError>>()?;
    Ok((summary, rows))
}

/// The suspicious events in the findings' evidence: (account, region, principal, event).
fn suspicious_events(report: &Report) -> impl Iterator<Item = (&Finding, &serde_json::Value)> {
    report
        .findings
        .iter()
        .filter(|f| f.check_id == "cloudtrail.suspicious_event")
        .flat_map(|f| {
            f.evidence
                .get("events")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .map(move |e| (f, e))
        })
}

fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v.get(key).and_then(serde_json::Value::as_str).unwrap_or("")
}

fn timeline<'a>(report: &'a Report, names: &Names<'a>) -> (Vec<TimelineAccount<'a>>, usize) {
    let mut by_account: BTreeMap<&str, Vec<(&str, &str, &Finding, &serde_json::Value)>> =
        BTreeMap::new();
    let mut total = 0;
    for (f, e) in suspicious_events(report) {
        total += 1;
        by_account.entry(&f.account_id).or_default().push((
            str_of(e, "time"),
            str_of(e, "event"),
            f,
            e,
        ));
    }
    let mut shown = 0;
    let accounts = by_account
        .into_iter()
        .map(|(account_id, mut events)| {
            // RFC 3339 UTC strings sort in time order.
            events.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            let room = TIMELINE_CAP.saturating_sub(shown);
            events.truncate(room);
            shown += events.len();
            TimelineAccount {
                account_id: v(account_id),
                account_name: names.get(account_id),
                events: events
                    .into_iter()
                    .map(|(time, event, f, e)| TimelineEvent {
                        time: event_time(time),
                        region: v(&f.region),
                        principal: v(&f.resource_id),
                        event: v(event),
                        source_ip: v(str_of(e, "source_ip")),
                        group: v(str_of(e, "group")),
                    })
                    .collect(),
            }
        })
        .filter(|a| !a.events.is_empty())
        .collect();
    (accounts, total - shown)
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Event times from the evidence in the page's one format, or as given when unparseable.
fn event_time(s: &str) -> Text<'_> {
    match parse_time(s).and_then(|t| utc_time(t).ok()) {
        Some(t) => Cow::Owned(t),
        None => v(s),
    }
}

fn chart_label<'a>(id: &'a str, names: &Names<'a>) -> Text<'a> {
    let name = names.get(id);
    let label = if name.is_empty() {
        id.to_owned()
    } else {
        format!("{id} {name}")
    };
    Cow::Owned(visible(&label, 34).into_owned())
}

fn scale(n: usize, max: usize, width: u32) -> u32 {
    if max == 0 {
        return 0;
    }
    let w = (n as f64 / max as f64 * f64::from(width)).round();
    // Bounded by `width` above; a visible sliver for any non-zero count.
    (w as u32).max(u32::from(n > 0))
}

fn by_account_chart<'a>(active: &[&'a Finding], names: &Names<'a>) -> Option<BarChart<'a>> {
    let mut counts: HashMap<&str, [usize; 5]> = HashMap::new();
    for f in active {
        counts.entry(&f.account_id).or_default()[sev_index(f.severity)] += 1;
    }
    if counts.is_empty() {
        return None;
    }
    let mut ranked: Vec<(&str, [usize; 5])> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let others = (ranked.len() > CHART_ACCOUNTS).then(|| {
        let rest = &ranked[CHART_ACCOUNTS..];
        format!(
            "{} more accounts with {} findings (see the matrix)",
            rest.len(),
            rest.iter()
                .map(|(_, c)| c.iter().sum::<usize>())
                .sum::<usize>()
        )
    });
    ranked.truncate(CHART_ACCOUNTS);
    let max = ranked
        .iter()
        .map(|(_, c)| c.iter().sum::<usize>())
        .max()
        .unwrap_or(0);
    let bar_width = CHART_WIDTH - LABEL_WIDTH - 50;
    let rows: Vec<BarRow<'a>> = ranked
        .into_iter()
        .zip(0u32..)
        .map(|((id, c), i)| {
            let y = i * ROW_HEIGHT;
            let mut x = LABEL_WIDTH;
            let mut running = 0;
            let segments = Severity::ALL
                .iter()
                .zip(c)
                .filter(|(_, n)| *n > 0)
                .map(|(s, n)| {
                    // Cumulative scaling, so rounding never makes the bar longer than its total.
                    running += n;
                    let end = LABEL_WIDTH + scale(running, max, bar_width);
                    let seg = BarSegment {
                        severity: s.as_str(),
                        x,
                        width: end.saturating_sub(x).max(1),
                        count: n,
                    };
                    x = end.max(x + 1);
                    seg
                })
                .collect();
            BarRow {
                y: y + 3,
                text_y: y + 14,
                label: chart_label(id, names),
                total: c.iter().sum(),
                total_x: x + 4,
                segments,
            }
        })
        .collect();
    Some(BarChart {
        height: u32::try_from(rows.len()).unwrap_or(0) * ROW_HEIGHT + 4,
        rows,
        max,
        others,
    })
}

/// Events per day per account over the window: the suspicious events from the findings'
/// evidence, on top of all events per day where a check records them (`events_per_day`,
/// a map of `YYYY-MM-DD` to a count; no check does yet).
fn activity_chart<'a>(report: &'a Report, names: &Names<'a>) -> Option<ActivityChart<'a>> {
    let end = report.run.finished_at.to_offset(UtcOffset::UTC).date();
    let days = i64::from(report.run.window_days.clamp(1, 90));
    let start = end - time::Duration::days(days - 1);
    let day_index = |d: Date| -> Option<usize> {
        let i = (d - start).whole_days();
        (0..days)
            .contains(&i)
            .then(|| usize::try_from(i).ok())
            .flatten()
    };
    let n_days = usize::try_from(days).unwrap_or(1);
    let mut suspicious: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut events = 0;
    let mut sampled = false;
    for f in report
        .findings
        .iter()
        .filter(|f| f.check_id == "cloudtrail.suspicious_event")
    {
        let listed = f
            .evidence
            .get("events")
            .and_then(serde_json::Value::as_array)
            .map_or(0, Vec::len);
        let count = f
            .evidence
            .get("count")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        sampled |= count > listed as u64;
    }
    for (f, e) in suspicious_events(report) {
        let Some(i) = parse_time(str_of(e, "time")).and_then(|t| day_index(t.date())) else {
            continue;
        };
        events += 1;
        suspicious
            .entry(&f.account_id)
            .or_insert_with(|| vec![0; n_days])[i] += 1;
    }
    let mut totals: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for f in &report.findings {
        let Some(per_day) = f
            .evidence
            .get("events_per_day")
            .and_then(serde_json::Value::as_object)
        else {
            continue;
        };
        for (day, n) in per_day {
            let parsed = Date::parse(day, format_description!("[year]-[month]-[day]")).ok();
            if let (Some(i), Some(n)) = (parsed.and_then(day_index), n.as_u64()) {
                totals
                    .entry(&f.account_id)
                    .or_insert_with(|| vec![0; n_days])[i] += n;
            }
        }
    }
    if suspicious.is_empty() && totals.is_empty() {
        return None;
    }
    let mut accounts: Vec<&str> = suspicious.keys().chain(totals.keys()).copied().collect();
    accounts.sort_unstable();
    accounts.dedup();
    let sum = |m: &BTreeMap<&str, Vec<u64>>, a: &str| m.get(a).map_or(0, |d| d.iter().sum::<u64>());
    accounts.sort_by_key(|a| {
        (
            std::cmp::Reverse(sum(&suspicious, a)),
            std::cmp::Reverse(sum(&totals, a)),
        )
    });
    let others = accounts.len().saturating_sub(ACTIVITY_ACCOUNTS);
    accounts.truncate(ACTIVITY_ACCOUNTS);
    let max = accounts
        .iter()
        .flat_map(|a| {
            let s = suspicious.get(a).cloned().unwrap_or_default();
            let t = totals.get(a).cloned().unwrap_or_default();
            (0..n_days).map(move |i| {
                s.get(i)
                    .copied()
                    .unwrap_or(0)
                    .max(t.get(i).copied().unwrap_or(0))
            })
        })
        .max()
        .unwrap_or(0);
    let plot = CHART_WIDTH - LABEL_WIDTH - 10;
    let day_width = (plot / u32::try_from(n_days).unwrap_or(1)).max(2);
    const ROW: u32 = 34;
    const BAR_MAX: u32 = 26;
    let label_every = n_days.div_ceil(10);
    let ticks = (0..n_days)
        .zip(0u32..)
        .map(|(i, k)| {
            let date = start + time::Duration::days(i64::try_from(i).unwrap_or(0));
            DayTick {
                x: LABEL_WIDTH + k * day_width,
                label_x: LABEL_WIDTH + k * day_width + day_width / 2,
                label: format!("{:02}-{:02}", u8::from(date.month()), date.day()),
                show_label: i % label_every == 0,
            }
        })
        .collect();
    let rows = accounts
        .iter()
        .zip(0u32..)
        .map(|(a, r)| {
            let base_y = r * ROW + ROW - 4;
            let mut bars = Vec::new();
            for (series, kind) in [(&totals, "total"), (&suspicious, "suspicious")] {
                let Some(per_day) = series.get(a) else {
                    continue;
                };
                for ((i, n), k) in per_day.iter().enumerate().zip(0u32..) {
                    if *n == 0 {
                        continue;
                    }
                    let height = scale(
                        usize::try_from(*n).unwrap_or(usize::MAX),
                        usize::try_from(max).unwrap_or(1),
                        BAR_MAX,
                    )
                    .max(2);
                    let inset = if kind == "total" { 1 } else { 3 };
                    bars.push(ActivityBar {
                        x: LABEL_WIDTH + k * day_width + inset,
                        y: base_y - height,
                        height,
                        width: day_width.saturating_sub(2 * inset).max(1),
                        count: *n,
                        day: (start + time::Duration::days(i64::try_from(i).unwrap_or(0)))
                            .to_string(),
                        kind,
                    });
                }
            }
            ActivityRow {
                label: chart_label(a, names),
                text_y: base_y - 6,
                base_y,
                bars,
            }
        })
        .collect();
    Some(ActivityChart {
        height: u32::try_from(accounts.len()).unwrap_or(0) * ROW + 18,
        day_width,
        days: ticks,
        rows,
        events,
        sampled,
        others,
    })
}

/// One billing finding's figures: (this month, last month), as daily rates when both months
/// have them (this month is partial, so its total is not comparable), else as amounts.
fn spend_of(f: &Finding) -> Option<(f64, f64, bool)> {
    let e = &f.evidence;
    let field = |month: &str, key: &str| {
        e.get(month)
            .and_then(|m| m.get(key))
            .and_then(serde_json::Value::as_f64)
    };
    if let (Some(this), Some(last)) = (
        field("current_month", "daily_rate_usd"),
        field("previous_month", "daily_rate_usd"),
    ) {
        return Some((this, last, true));
    }
    if let (Some(this), Some(last)) = (
        field("current_month", "amount_usd"),
        field("previous_month", "amount_usd"),
    ) {
        return Some((this, last, false));
    }
    let num = |k: &str| e.get(k).and_then(serde_json::Value::as_f64);
    Some((num("this_month")?, num("last_month")?, false))
}

/// Spend this month against last month for what the `billing.*` checks flagged, per account
/// and service (or region). Nothing is drawn when no billing finding carries figures.
fn spend_chart<'a>(report: &'a Report, names: &Names<'a>) -> Option<SpendChart<'a>> {
    let mut items: BTreeMap<(&str, String), (f64, f64, bool)> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.check_id.starts_with("billing.") && !f.muted)
    {
        let Some(figures) = spend_of(f) else { continue };
        let what = ["service", "region"]
            .iter()
            .find_map(|k| f.evidence.get(*k).and_then(serde_json::Value::as_str))
            .unwrap_or("");
        items
            .entry((&f.account_id, what.to_owned()))
            .or_insert(figures);
    }
    if items.is_empty() {
        return None;
    }
    let mut ranked: Vec<_> = items.into_iter().collect();
    ranked.sort_by(|a, b| (b.1.0 - b.1.1).total_cmp(&(a.1.0 - a.1.1)));
    let more = ranked.len().saturating_sub(CHART_ACCOUNTS);
    ranked.truncate(CHART_ACCOUNTS);
    let daily = ranked.iter().all(|(_, (_, _, d))| *d);
    let max = ranked
        .iter()
        .map(|(_, (t, l, _))| t.max(*l))
        .fold(0.0f64, f64::max);
    let width = f64::from(CHART_WIDTH - LABEL_WIDTH - 150);
    let w = |x: f64| -> u32 {
        if max <= 0.0 || !x.is_finite() || x <= 0.0 {
            0
        } else {
            // Between 0 and `width`.
            (x / max * width).round() as u32
        }
    };
    let rows = ranked
        .into_iter()
        .zip(0u32..)
        .map(|(((id, what), (this, last, _)), i)| {
            let y = i * 26;
            let account = chart_label(id, names);
            let label = if what.is_empty() {
                account
            } else {
                Cow::Owned(visible(&format!("{account} · {what}"), 40).into_owned())
            };
            SpendRow {
                label,
                text_y: y + 16,
                y_last: y + 3,
                y_this: y + 12,
                last_width: w(last),
                this_width: w(this),
                value_x: LABEL_WIDTH + 4 + w(last).max(w(this)),
                last: format!("{last:.2}"),
                this: format!("{this:.2}"),
            }
        })
        .collect::<Vec<_>>();
    Some(SpendChart {
        height: u32::try_from(rows.len()).unwrap_or(0) * 26 + 4,
        unit: if daily { "USD per day" } else { "USD" },
        rows,
        more,
    })
}

/// `$1,234.50`, `-$12.00`: whole cents, so no rounding.
fn usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!(
        "{sign}${}.{:02}",
        group_digits(&(abs / 100).to_string()),
        abs % 100
    )
}

/// How this month's daily rate compares with last month's: `×5.0`, `new` when last month
/// cost nothing and this month does, `–` when it cannot be said. The sort key goes with it,
/// at the precision shown (two rows that read `×15.0` tie, and the amount decides): new
/// spend ranks above any ratio, unknown below.
fn spend_change(spend: &Spend) -> (String, f64) {
    match spend.daily_ratio() {
        Some(ratio) if ratio.is_finite() => (format!("×{ratio:.1}"), (ratio * 10.0).round()),
        _ if spend.previous_month_cents == 0
            && spend.current_month_cents > 0
            && spend.current_month_days > 0 =>
        {
            ("new".to_owned(), f64::INFINITY)
        }
        _ => ("–".to_owned(), f64::NEG_INFINITY),
    }
}

/// The per-account spend table, from the charges Cost Explorer gave for every scanned
/// account; the billing checks' findings mark (and link) the rows they flag. `None` when no
/// account has charges, so older reports render as they did.
fn spend_table<'a>(
    report: &'a Report,
    active: &[&'a Finding],
    findings: &Findings<'a>,
) -> Option<SpendTable<'a>> {
    let with_spend: Vec<(&Account, &Spend)> = report
        .accounts
        .iter()
        .filter_map(|a| Some((a, a.spend.as_ref()?)))
        .collect();
    if with_spend.is_empty() {
        return None;
    }
    let shown: HashSet<&str> = findings
        .main
        .iter()
        .chain(&findings.low)
        .flat_map(|g| g.reasons.iter().map(|r| r.id))
        .collect();
    let mut billing: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in active.iter().filter(|f| f.check_id.starts_with("billing.")) {
        billing.entry(f.account_id.as_str()).or_default().push(f);
    }
    for flags in billing.values_mut() {
        flags.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(plan_key(a).cmp(&plan_key(b)))
        });
    }

    let mut ranked: Vec<(&Account, &Spend, bool, String, f64)> = with_spend
        .iter()
        .map(|&(a, s)| {
            let (change, ratio) = spend_change(s);
            let flagged = billing.contains_key(a.account_id.as_str());
            (a, s, flagged, change, ratio)
        })
        .collect();
    ranked.sort_by(|x, y| {
        y.2.cmp(&x.2)
            .then(y.4.total_cmp(&x.4))
            .then(y.1.current_month_cents.cmp(&x.1.current_month_cents))
            .then(x.0.account_id.cmp(&y.0.account_id))
    });

    let sum = |cents: fn(&Spend) -> i64| {
        with_spend
            .iter()
            .fold(0i64, |total, (_, s)| total.saturating_add(cents(s)))
    };
    let same_days = |days: fn(&Spend) -> u32| {
        let first = days(with_spend[0].1);
        with_spend
            .iter()
            .all(|(_, s)| days(s) == first)
            .then_some(first)
    };
    let previous_days = same_days(|s| s.previous_month_days);
    let current_days = same_days(|s| s.current_month_days);
    let total = Spend {
        previous_month_cents: sum(|s| s.previous_month_cents),
        previous_month_days: previous_days.unwrap_or(0),
        current_month_cents: sum(|s| s.current_month_cents),
        current_month_days: current_days.unwrap_or(0),
    };

    let accounts = ranked.len();
    let flagged = ranked.iter().filter(|r| r.2).count();
    let rows = ranked
        .into_iter()
        .take(SPEND_CAP)
        .map(|(a, s, _, change, _)| {
            let flags = billing
                .get(a.account_id.as_str())
                .map_or(&[][..], Vec::as_slice);
            SpendAccount {
                account_id: v(&a.account_id),
                account_name: v(&a.name),
                customer: a.customer.as_deref().map(v),
                previous: usd(s.previous_month_cents),
                current: usd(s.current_month_cents),
                change,
                flags: flags
                    .iter()
                    .take(SPEND_FLAGS)
                    .map(|f| SpendFlag {
                        id: shown.contains(f.id.as_str()).then_some(f.id.as_str()),
                        severity: f.severity.as_str(),
                        check_id: v(&f.check_id),
                    })
                    .collect(),
                flags_more: flags.len().saturating_sub(SPEND_FLAGS),
            }
        })
        .collect();
    Some(SpendTable {
        rows,
        more: accounts.saturating_sub(SPEND_CAP),
        accounts,
        flagged,
        previous_days,
        current_days,
        total_previous: usd(total.previous_month_cents),
        total_current: usd(total.current_month_cents),
        total_change: spend_change(&total).0,
    })
}

fn heatmap<'a>(report: &'a Report, names: &Names<'a>) -> Heatmap<'a> {
    let expected = &report.run.expected_regions;
    let unexpected = |r: &str| !expected.is_empty() && !expected.iter().any(|e| e == r);
    let mut counts: HashMap<(&str, &str), usize> = HashMap::new();
    let mut per_account: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut regions: BTreeSet<&str> = report.run.regions.iter().map(String::as_str).collect();
    for item in report
        .inventory
        .iter()
        .filter(|i| i.region != GLOBAL_REGION)
    {
        *counts.entry((&item.account_id, &item.region)).or_default() += 1;
        let a = per_account.entry(&item.account_id).or_default();
        a.0 += usize::from(unexpected(&item.region));
        a.1 += 1;
        regions.insert(&item.region);
    }
    let max = counts.values().copied().max().unwrap_or(0);
    // Four shades between one resource and the busiest cell; zero stays blank.
    let shade = |n: usize| -> u8 {
        if n == 0 || max == 0 {
            0
        } else {
            u8::try_from((n * 4).div_ceil(max).clamp(1, 4)).unwrap_or(4)
        }
    };
    let columns: Vec<(&str, bool)> = regions.iter().map(|r| (*r, unexpected(r))).collect();
    let mut accounts: Vec<&Account> = report.accounts.iter().filter(|a| a.scanned).collect();
    let more = accounts.len().saturating_sub(HEATMAP_ROWS);
    if more > 0 {
        // Too many to list: the accounts with resources in unexpected regions, then the busiest.
        accounts.sort_by_key(|a| {
            let (odd, all) = per_account
                .get(a.account_id.as_str())
                .copied()
                .unwrap_or_default();
            (std::cmp::Reverse(odd), std::cmp::Reverse(all))
        });
        accounts.truncate(HEATMAP_ROWS);
        accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    }
    let rows = accounts
        .into_iter()
        .map(|a| HeatRow {
            account_id: v(&a.account_id),
            account_name: names.get(&a.account_id),
            cells: columns
                .iter()
                .map(|(region, odd)| {
                    let n = counts
                        .get(&(a.account_id.as_str(), *region))
                        .copied()
                        .unwrap_or(0);
                    (n, shade(n), *odd)
                })
                .collect(),
        })
        .collect();
    Heatmap {
        columns: columns
            .into_iter()
            .map(|(region, unexpected)| HeatColumn {
                region: v(region),
                unexpected,
            })
            .collect(),
        rows,
        more,
    }
}

fn coverage_status(status: CoverageStatus) -> &'static str {
    match status {
        CoverageStatus::Ok => "ok",
        CoverageStatus::Skipped => "skipped",
        CoverageStatus::Failed => "failed",
    }
}

fn region_list<'a>(regions: &[String], when_empty: &'a str) -> Text<'a> {
    if regions.is_empty() {
        Cow::Borrowed(when_empty)
    } else {
        Cow::Owned(visible(&regions.join(", "), TEXT_CAP).into_owned())
    }
}

/// Characters that change how text reads without being seen: bidirectional overrides and
/// isolates (a name that reads backwards), zero-width characters (two ids that look equal),
/// and control characters. They are shown as their code point instead.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// A value as it may be shown: invisible characters made visible, and at most `max`
/// characters (the rest is in report.json). Borrowed when nothing had to change, which is
/// almost always.
pub(crate) fn visible(s: &str, max: usize) -> Cow<'_, str> {
    let cut = s.char_indices().nth(max).map(|(i, _)| i);
    let clean = !s.chars().any(is_invisible);
    if clean && cut.is_none() {
        return Cow::Borrowed(s);
    }
    let kept = &s[..cut.unwrap_or(s.len())];
    let mut out = String::with_capacity(kept.len() + 16);
    for c in kept.chars() {
        if is_invisible(c) {
            out.push_str(&format!("[U+{:04X}]", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    if cut.is_some() {
        let rest = s[kept.len()..].chars().count();
        out.push_str(&format!("… [{rest} more characters in report.json]"));
    }
    Cow::Owned(out)
}

/// A long id in pieces that end at a separator, so the template can put a `<wbr>` after
/// each: ARNs wrap at `/` and `:`, never in the middle of an account id.
fn breakable(s: &str) -> Vec<String> {
    let s = visible(s, 2048);
    let mut pieces = Vec::new();
    let mut start = 0;
    let separator = |c: char| matches!(c, '/' | ':' | '-' | '.' | '_' | '@' | ',' | '=');
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_is_separator = chars.peek().is_some_and(|(_, n)| separator(*n));
        if separator(c) && !next_is_separator && i + 1 - start >= 4 {
            pieces.push(s[start..=i].to_owned());
            start = i + 1;
        }
    }
    if start < s.len() || pieces.is_empty() {
        pieces.push(s[start..].to_owned());
    }
    pieces
}

/// Readers compare times across accounts and weeks: one zone (UTC), to the second, in one
/// format, avoids mistakes when a scan ran with a local offset.
fn utc_time(at: OffsetDateTime) -> Result<String, RenderError> {
    at.checked_to_offset(UtcOffset::UTC)
        .and_then(|utc| {
            utc.format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .ok_or_else(|| RenderError::Time(at.to_string()))
}

/// [`utc_time`] for text that has no error path (the Markdown plan).
pub(crate) fn human_time(at: OffsetDateTime) -> String {
    utc_time(at).unwrap_or_else(|_| at.to_string())
}

fn human_duration(ms: u64) -> String {
    let total_secs = ms / 1000;
    let (h, m, s, rest) = (
        total_secs / 3600,
        total_secs / 60 % 60,
        total_secs % 60,
        ms % 1000,
    );
    let human = if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}.{rest:03}s")
    } else {
        format!("{s}.{rest:03}s")
    };
    format!("{human} ({ms} ms)")
}

/// Nothing may load from the network (the page must work offline and must not leak that it
/// was opened), and only our own script and style, identified by their hashes, apply.
fn content_security_policy(script: &str, style: &str) -> String {
    let script = base64(&Sha256::digest(script.as_bytes()));
    let style = base64(&Sha256::digest(style.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{style}'; script-src 'sha256-{script}'; \
         base-uri 'none'; form-action 'none'"
    )
}

/// Standard base64 with padding, as CSP hash sources require; too small to need a crate.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use orgsweep_model::{Coverage, CoverageStatus, InventoryItem, Severity};
    use time::macros::datetime;

    use super::*;
    use crate::tests::sample_report;

    const XSS: &str = "<script>alert('orgsweep-xss')</script>";

    fn position(html: &str, needle: &str) -> usize {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in the page"))
    }

    fn sample_html() -> String {
        to_html(&sample_report()).unwrap()
    }

    #[test]
    fn escapes_every_value_that_came_from_aws() {
        let mut report = sample_report();
        report.accounts[0].name = XSS.into();
        report.accounts[0].email = XSS.into();
        report.accounts[0].ou_path = XSS.into();
        let finding = &mut report.findings[0];
        finding.title = XSS.into();
        finding.detail = XSS.into();
        finding.resource_id = XSS.into();
        finding.remediation = vec![XSS.into()];
        finding.evidence.insert(XSS.into(), XSS.into());
        report.inventory[0].tags.insert(XSS.into(), XSS.into());
        report.inventory[0].state = Some(XSS.into());
        report.coverage.push(Coverage {
            account_id: "111111111111".into(),
            region: Some(XSS.into()),
            check_id: Some(XSS.into()),
            status: CoverageStatus::Skipped,
            error: Some(XSS.into()),
        });

        let html = to_html(&report).unwrap();
        // askama writes numeric entities: `&#60;` is `&lt;`.
        assert!(html.contains("&#60;script&#62;alert(&#39;orgsweep-xss&#39;)"));
        assert!(!html.contains("<script>alert("), "raw payload in the page");
        assert!(
            !html.contains("orgsweep-xss')"),
            "unescaped quote in the page"
        );
        // The only script element is our own filter script.
        assert_eq!(html.matches("<script").count(), 1);
    }

    #[test]
    fn page_is_self_contained() {
        let html = sample_html();
        for forbidden in [
            "src=\"http",
            "href=\"http",
            "src='http",
            "href='http",
            "@import",
            "url(",
        ] {
            assert!(!html.contains(forbidden), "page contains {forbidden:?}");
        }
        assert!(!html.contains("<link"), "page links an external resource");
        assert!(html.contains("<style>"));
        assert!(html.contains("default-src &#39;none&#39;"), "no CSP");
        // Styles and scripts only through the hashed elements: no attribute the CSP would
        // have to allow.
        assert!(!html.contains(" style="), "inline style attribute");
        assert!(!html.contains(" onclick=") && !html.contains(" onload="));
    }

    #[test]
    fn csp_hash_matches_the_script_and_the_style_in_the_page() {
        let html = sample_html();
        let between = |open: &str, close: &str| {
            let start = position(&html, open) + open.len();
            let end = start + position(&html[start..], close);
            html[start..end].to_owned()
        };
        let script = between("<script>", "</script>");
        assert!(script.contains("addEventListener"), "{script}");
        let style = between("<style>", "</style>");
        assert!(style.contains("@media print"), "{style}");
        let expected = content_security_policy(&script, &style);
        // The CSP sits in an attribute, so its quotes are escaped there.
        let escaped = expected.replace('\'', "&#39;");
        assert!(
            html.contains(&escaped),
            "CSP for the page's script and style not found"
        );
        assert!(!expected.contains("unsafe-inline"));
    }

    #[test]
    fn first_screen_then_coverage_findings_accounts_inventory_stats() {
        let html = sample_html();
        let order = [
            "id=\"run\"",
            "id=\"verdict\"",
            "id=\"blocked\"",
            "id=\"triage\"",
            "id=\"matrix\"",
            "id=\"charts\"",
            "id=\"coverage\"",
            "id=\"findings\"",
            "id=\"accounts\"",
            "id=\"heatmap\"",
            "id=\"inventory\"",
            "id=\"stats\"",
        ]
        .map(|id| position(&html, id));
        assert!(order.is_sorted(), "sections out of order: {order:?}");
        // The unreadable account is named above the triage list, not only in coverage.
        let gap = position(&html, "AccessDenied: cannot assume");
        assert!(gap < position(&html, "id=\"triage\""));
        assert!(html.contains("all regions"));
        assert!(html.contains("all checks"));
    }

    #[test]
    fn says_everything_was_scanned_when_there_are_no_gaps() {
        let mut report = sample_report();
        report.coverage.retain(|c| c.status == CoverageStatus::Ok);
        report.accounts[1].scanned = true;
        let html = to_html(&report).unwrap();
        assert!(html.contains("Everything was scanned"));
        assert!(html.contains("every account, region and check was read"));
        assert!(!sample_html().contains("Everything was scanned"));
    }

    #[test]
    fn account_wide_gap_of_one_check() {
        let mut report = sample_report();
        report.coverage = vec![Coverage {
            account_id: "111111111111".into(),
            region: None,
            check_id: Some("iam.root_mfa_disabled".into()),
            status: CoverageStatus::Skipped,
            error: Some("no baseline".into()),
        }];
        let html = to_html(&report).unwrap();
        assert!(html.contains("account-wide"));
        assert!(html.contains("<code>iam.root_mfa_disabled</code>"));
        assert!(html.contains("status-skipped"));
        assert!(html.contains("iam.root_mfa_disabled skipped in 1 account: not configured"));
    }

    #[test]
    fn findings_are_one_table_most_urgent_first_with_collapsed_details() {
        let html = sample_html();
        let table = position(&html, "id=\"findings-table\"");
        let critical = position(
            &html,
            "id=\"finding-id-iam.quarantine_policy_attached-alice\"",
        );
        let high = position(
            &html,
            "id=\"finding-id-resources.unexpected_region-i-0123\"",
        );
        let low = position(&html, "id=\"finding-id-iam.access_key_unused-bob\"");
        assert!(table < critical && critical < high && high < low);
        // Low and info sit in their own collapsed table.
        let collapsed = position(&html, "<details id=\"findings-low\">");
        assert!(high < collapsed && collapsed < low);
        assert!(html.contains("<li>first step</li>"));
        assert!(html.contains("<details><summary>Evidence</summary>"));
        assert!(html.contains("<details><summary>Detail, evidence and remediation</summary>"));
        assert!(html.contains("class=\"badge sev-critical\""));
        assert!(html.contains("class=\"badge change-new\""));
        assert!(html.contains("data-severity=\"critical\" data-account=\"111111111111\""));
        assert!(html.contains("href=\"plan.html#step-id-iam.quarantine_policy_attached-alice\""));
    }

    #[test]
    fn counts_every_severity_even_when_zero() {
        let html = sample_html();
        let counts_start = position(&html, "id=\"severity-counts\"");
        let counts_end = position(&html, "id=\"toc\"");
        let counts = &html[counts_start..counts_end];
        let mut last = 0;
        for severity in Severity::ALL {
            let at = position(counts, &format!(">{severity}</span>"));
            assert!(at > last, "{severity} out of order");
            last = at;
        }
        assert!(counts.contains(">medium</span><span class=\"n\">0</span>"));
        assert!(counts.contains(">critical</span><span class=\"n\">1</span>"));
    }

    #[test]
    fn dates_are_utc_to_the_second() {
        let html = sample_html();
        // Started at 10:00 +01:00.
        assert!(html.contains("2026-03-02 09:00:00Z"));
        assert!(html.contains("2026-03-02 09:12:34Z"));
        assert!(html.contains("2026-03-01 08:00:00Z"));
    }

    #[test]
    fn empty_report_renders() {
        let mut report = sample_report();
        report.accounts.clear();
        report.coverage.clear();
        report.findings.clear();
        report.inventory.clear();
        report.stats = Default::default();
        report.run.expected_regions.clear();
        let html = to_html(&report).unwrap();
        assert!(html.contains("No findings."));
        assert!(html.contains("No critical or high findings"));
        assert!(html.contains("not configured"));
        assert!(html.contains("Everything was scanned"));
    }

    #[test]
    fn inventory_and_stats_are_shown() {
        let mut report = sample_report();
        report.inventory.push(InventoryItem {
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            resource_type: "ebs_snapshot".into(),
            resource_id: "snap-1".into(),
            created_at: None,
            state: None,
            tags: BTreeMap::new(),
            known: true,
        });
        let html = to_html(&report).unwrap();
        assert!(html.contains("<code>Name</code> = <code>web</code>"));
        assert!(html.contains("<code>snap-<wbr>1</code>"));
        assert!(html.contains("12m 34.321s (754321 ms)"));
        assert!(html.contains("<code>ec2.DescribeInstances</code></td><td class=\"num\">40</td>"));
        assert!(html.contains("<dt>API calls</dt><dd>42</dd>"));
    }

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn human_duration_formats() {
        assert_eq!(human_duration(1_234), "1.234s (1234 ms)");
        assert_eq!(human_duration(3_723_000), "1h 02m 03s (3723000 ms)");
    }

    #[test]
    fn out_of_range_dates_are_an_error_not_a_panic() {
        let at = datetime!(9999-12-31 23:30:00 -01:00);
        assert!(matches!(utc_time(at), Err(RenderError::Time(_))));
    }

    #[test]
    fn invisible_characters_are_shown_and_long_values_cut() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(19_896), "19,896");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(visible("plain", 10), "plain");
        assert!(matches!(visible("plain", 10), Cow::Borrowed(_)));
        assert_eq!(visible("a\u{202E}b\u{200B}c", 10), "a[U+202E]b[U+200B]c");
        assert_eq!(
            visible("abcdef", 3),
            "abc… [3 more characters in report.json]"
        );
        assert_eq!(
            breakable("arn:aws:iam::123456789012:user/a-b"),
            ["arn:", "aws:", "iam::", "123456789012:", "user/", "a-b"]
        );
    }

    #[test]
    fn dollars_and_rate_changes() {
        assert_eq!(usd(0), "$0.00");
        assert_eq!(usd(5), "$0.05");
        assert_eq!(usd(123_450), "$1,234.50");
        assert_eq!(usd(-1_200), "-$12.00");
        assert_eq!(usd(i64::MIN), "-$92,233,720,368,547,758.08");
        let spend = |previous, current, current_days| Spend {
            previous_month_cents: previous,
            previous_month_days: 30,
            current_month_cents: current,
            current_month_days: current_days,
        };
        assert_eq!(spend_change(&spend(3_000, 5_000, 10)).0, "×5.0");
        assert_eq!(spend_change(&spend(0, 5_000, 10)).0, "new");
        assert_eq!(spend_change(&spend(0, 0, 10)).0, "–");
        assert_eq!(spend_change(&spend(3_000, 0, 0)).0, "–");
    }

    #[test]
    fn coverage_errors_differ_only_by_account_id_group_together() {
        assert_eq!(
            normalize_error("cannot assume arn:aws:iam::123456789012:role/R: 4030"),
            "cannot assume arn:aws:iam::<account>:role/R: 4030"
        );
    }

    #[test]
    fn changed_section_and_heatmap_mark_what_matters_and_escape_it() {
        let old = sample_report();
        let mut report = sample_report();
        report.run.expected_regions = vec!["us-east-1".to_owned()];
        let mut far = report.inventory[0].clone();
        far.region = "ap-south-1".to_owned();
        far.resource_id = "<script>alert('heat')</script>".to_owned();
        report.inventory.push(far);
        report.findings.remove(0);
        orgsweep_model::diff::attach_previous(&mut report, &old);
        let html = to_html(&report).expect("renders");
        assert!(html.contains("Changed since"));
        assert!(position(&html, "id=\"changed\"") < position(&html, "id=\"findings\""));
        assert!(position(&html, "id=\"heatmap\"") < position(&html, "id=\"inventory\""));
        assert!(html.contains("Resolved findings") && html.contains("Resources that appeared"));
        assert!(
            html.contains("<th class=\"unexpected\">ap-south-1</th>"),
            "unexpected region not marked"
        );
        assert!(html.contains("unexpected-cell"));
        assert!(!html.contains("<script>alert('heat')"), "raw payload");
    }

    #[test]
    fn timeline_and_contacts_are_shown_and_escaped() {
        let mut report = sample_report();
        let mut finding = report.findings[0].clone();
        finding.check_id = "cloudtrail.suspicious_event".to_owned();
        finding.evidence.insert(
            "events".into(),
            serde_json::json!([
                {"time": "2026-11-20T10:00:00Z", "event": "StopLogging", "source_ip": "<img src=x>", "group": "defense evasion"},
                {"time": "2026-11-19T10:00:00Z", "event": "CreateAccessKey", "source_ip": "203.0.113.7", "group": "credentials"}
            ]),
        );
        report.findings.push(finding);
        let html = to_html(&report).expect("renders");
        assert!(html.contains("Activity timeline"));
        assert!(
            position(&html, "CreateAccessKey</code>") < position(&html, "StopLogging</code>"),
            "oldest first"
        );
        assert!(html.contains("2026-11-19 10:00:00Z"));
        assert!(!html.contains("<img src=x>"));
        assert!(html.contains("Alternate contacts") && html.contains("sec@example.com"));
        assert!(!html.contains("<b>Sec</b>"));
    }
}
