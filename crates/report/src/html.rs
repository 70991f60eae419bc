//! The HTML page: a view of the report prepared in Rust, so the template only loops and
//! prints, and askama's auto-escaping covers every value that came from AWS.
//!
//! Account names, tags, resource ids and error strings are attacker-controlled (anyone who
//! can tag a resource in a compromised account writes into this page), so nothing here
//! bypasses escaping, and a Content-Security-Policy forbids any script but our own and any
//! network load as a second line of defence.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use orgsweep_model::{
    Change, CoverageStatus, Finding, GLOBAL_REGION, InventoryItem, Report, Severity,
};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::RenderError;

/// The page's only script, included verbatim by the template; its hash goes into the CSP so
/// that the browser runs it and nothing else. Askama drops one trailing newline of an
/// included file, and the hash must cover exactly the bytes in the page.
const FILTER_SCRIPT_SOURCE: &str = include_str!("../templates/filter.js");

fn filter_script() -> &'static str {
    FILTER_SCRIPT_SOURCE
        .strip_suffix('\n')
        .unwrap_or(FILTER_SCRIPT_SOURCE)
}

/// Renders the report as one self-contained page that can be mailed, archived or opened
/// offline: inline style and script, no network load.
pub fn to_html(report: &Report) -> Result<String, RenderError> {
    Page::new(report)?.render().map_err(RenderError::Html)
}

#[derive(Template)]
#[template(path = "report.html", whitespace = "minimize")]
struct Page<'a> {
    csp: String,
    tool_name: &'a str,
    tool_version: &'a str,
    schema_version: u32,
    management_account_id: &'a str,
    started_at: String,
    finished_at: String,
    window_days: u32,
    regions: String,
    expected_regions: String,
    gaps: Vec<GapRow<'a>>,
    counts: Vec<SeverityCount>,
    total_findings: usize,
    groups: Vec<AccountGroup<'a>>,
    accounts: Vec<AccountRow<'a>>,
    inventory: Vec<InventoryRow<'a>>,
    changed: Option<Changed<'a>>,
    timeline: Vec<TimelineAccount<'a>>,
    heatmap: Heatmap<'a>,
    duration: String,
    total_api_calls: u64,
    api_calls: Vec<(&'a str, u64)>,
    throttled: u64,
    retries: u64,
}

struct GapRow<'a> {
    account_id: &'a str,
    account_name: &'a str,
    region: &'a str,
    check: &'a str,
    /// "all checks" is prose, a check id is code: they are styled differently.
    check_is_all: bool,
    status: &'static str,
    error: &'a str,
}

struct SeverityCount {
    severity: &'static str,
    count: usize,
}

struct AccountGroup<'a> {
    account_id: &'a str,
    account_name: &'a str,
    summary: String,
    findings: Vec<FindingView<'a>>,
}

struct FindingView<'a> {
    id: &'a str,
    severity: &'static str,
    check_id: &'a str,
    region: &'a str,
    resource_type: &'a str,
    resource_id: &'a str,
    title: &'a str,
    detail: &'a str,
    remediation: &'a [String],
    /// Pretty JSON text, escaped like any other value when printed.
    evidence: Option<String>,
    change: Option<&'static str>,
}

struct AccountRow<'a> {
    /// (type, contact) for a person to verify, as the guidance asks.
    contacts: Vec<(&'a str, &'a orgsweep_model::facts::Contact)>,
    account_id: &'a str,
    name: &'a str,
    email: &'a str,
    status: &'a str,
    ou_path: &'a str,
    scanned: bool,
}

/// Suspicious events of one account, oldest first, from the findings' evidence.
struct TimelineAccount<'a> {
    account_id: &'a str,
    account_name: &'a str,
    events: Vec<TimelineEvent<'a>>,
}

struct TimelineEvent<'a> {
    time: &'a str,
    region: &'a str,
    principal: &'a str,
    event: &'a str,
    source_ip: &'a str,
    group: &'a str,
}

/// "Changed since": what the embedded comparison with the previous report says.
struct Changed<'a> {
    since: String,
    new_findings: Vec<&'a Finding>,
    changed_findings: Vec<&'a Finding>,
    resolved_findings: &'a [Finding],
    /// In the previous report, in scopes this scan could not read: not known to be gone.
    not_rechecked_findings: &'a [Finding],
    appeared: &'a [InventoryItem],
    disappeared: &'a [InventoryItem],
    not_rechecked_resources: &'a [InventoryItem],
}

/// Resource counts per account and region; regions outside the expected ones stand out,
/// because that is where intruders mine.
struct Heatmap<'a> {
    columns: Vec<HeatColumn<'a>>,
    rows: Vec<HeatRow<'a>>,
}

struct HeatColumn<'a> {
    region: &'a str,
    unexpected: bool,
}

struct HeatRow<'a> {
    account_id: &'a str,
    account_name: &'a str,
    /// (count, shade 0–4, region unexpected)
    cells: Vec<(usize, u8, bool)>,
}

struct InventoryRow<'a> {
    account_id: &'a str,
    region: &'a str,
    resource_type: &'a str,
    resource_id: &'a str,
    created_at: String,
    state: &'a str,
    tags: Vec<(&'a str, &'a str)>,
    known: bool,
}

impl<'a> Page<'a> {
    fn new(report: &'a Report) -> Result<Self, RenderError> {
        let names: BTreeMap<&str, &str> = report
            .accounts
            .iter()
            .map(|a| (a.account_id.as_str(), a.name.as_str()))
            .collect();
        let name_of = |id: &str| names.get(id).copied().unwrap_or("");
        let run = &report.run;

        let gaps = report
            .gaps()
            .map(|gap| GapRow {
                account_id: &gap.account_id,
                account_name: name_of(&gap.account_id),
                region: match (&gap.region, &gap.check_id) {
                    (Some(region), _) => region,
                    // No region and no check: the account itself could not be scanned.
                    (None, None) => "all regions",
                    (None, Some(_)) => "account-wide",
                },
                check: gap.check_id.as_deref().unwrap_or("all checks"),
                check_is_all: gap.check_id.is_none(),
                status: coverage_status(gap.status),
                error: gap.error.as_deref().unwrap_or(""),
            })
            .collect();

        let counts = Severity::ALL
            .into_iter()
            .map(|severity| SeverityCount {
                severity: severity.as_str(),
                count: report.count_by_severity(severity),
            })
            .collect();

        let groups = group_findings(&report.findings, &name_of);

        let accounts = report
            .accounts
            .iter()
            .map(|a| AccountRow {
                contacts: a.contacts.iter().map(|(k, c)| (k.as_str(), c)).collect(),
                account_id: &a.account_id,
                name: &a.name,
                email: &a.email,
                status: &a.status,
                ou_path: &a.ou_path,
                scanned: a.scanned,
            })
            .collect();

        let inventory = report
            .inventory
            .iter()
            .map(|item| {
                Ok(InventoryRow {
                    account_id: &item.account_id,
                    region: &item.region,
                    resource_type: &item.resource_type,
                    resource_id: &item.resource_id,
                    created_at: match item.created_at {
                        Some(at) => rfc3339_utc(at)?,
                        None => String::new(),
                    },
                    state: item.state.as_deref().unwrap_or(""),
                    tags: item
                        .tags
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect(),
                    known: item.known,
                })
            })
            .collect::<Result<_, RenderError>>()?;

        let changed = match &report.previous {
            Some(previous) => Some(Changed {
                since: rfc3339_utc(previous.started_at)?,
                new_findings: report
                    .findings
                    .iter()
                    .filter(|f| f.change == Some(Change::New))
                    .collect(),
                changed_findings: report
                    .findings
                    .iter()
                    .filter(|f| f.change == Some(Change::Changed))
                    .collect(),
                resolved_findings: &previous.resolved_findings,
                not_rechecked_findings: &previous.not_rechecked_findings,
                appeared: &previous.appeared,
                disappeared: &previous.disappeared,
                not_rechecked_resources: &previous.not_rechecked_resources,
            }),
            None => None,
        };

        let stats = &report.stats;
        Ok(Page {
            csp: content_security_policy(filter_script()),
            tool_name: &report.tool.name,
            tool_version: &report.tool.version,
            schema_version: report.schema_version,
            management_account_id: &run.management_account_id,
            started_at: rfc3339_utc(run.started_at)?,
            finished_at: rfc3339_utc(run.finished_at)?,
            window_days: run.window_days,
            regions: region_list(&run.regions, "none"),
            expected_regions: region_list(&run.expected_regions, "not configured"),
            gaps,
            counts,
            total_findings: report.findings.len(),
            groups,
            accounts,
            inventory,
            changed,
            timeline: timeline(report, &name_of),
            heatmap: heatmap(report, &name_of),
            duration: human_duration(stats.duration_ms),
            total_api_calls: stats.api_calls.values().sum(),
            api_calls: stats
                .api_calls
                .iter()
                .map(|(op, n)| (op.as_str(), *n))
                .collect(),
            throttled: stats.throttled,
            retries: stats.retries,
        })
    }
}

fn timeline<'a>(report: &'a Report, name_of: &dyn Fn(&str) -> &'a str) -> Vec<TimelineAccount<'a>> {
    let str_of = |v: &'a serde_json::Value, key: &str| {
        v.get(key).and_then(serde_json::Value::as_str).unwrap_or("")
    };
    let mut by_account: BTreeMap<&str, Vec<TimelineEvent<'a>>> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.check_id == "cloudtrail.suspicious_event")
    {
        let events = f
            .evidence
            .get("events")
            .and_then(serde_json::Value::as_array);
        for e in events.into_iter().flatten() {
            by_account
                .entry(&f.account_id)
                .or_default()
                .push(TimelineEvent {
                    time: str_of(e, "time"),
                    region: &f.region,
                    principal: &f.resource_id,
                    event: str_of(e, "event"),
                    source_ip: str_of(e, "source_ip"),
                    group: str_of(e, "group"),
                });
        }
    }
    by_account
        .into_iter()
        .map(|(account_id, mut events)| {
            // RFC 3339 UTC strings sort in time order.
            events.sort_by(|a, b| (a.time, a.event).cmp(&(b.time, b.event)));
            TimelineAccount {
                account_id,
                account_name: name_of(account_id),
                events,
            }
        })
        .collect()
}

fn heatmap<'a>(report: &'a Report, name_of: &dyn Fn(&str) -> &'a str) -> Heatmap<'a> {
    let expected = &report.run.expected_regions;
    let unexpected = |r: &str| !expected.is_empty() && !expected.iter().any(|e| e == r);
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut regions: BTreeSet<&str> = report.run.regions.iter().map(String::as_str).collect();
    for item in report
        .inventory
        .iter()
        .filter(|i| i.region != GLOBAL_REGION)
    {
        *counts.entry((&item.account_id, &item.region)).or_default() += 1;
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
    let columns: Vec<HeatColumn<'a>> = regions
        .iter()
        .map(|r| HeatColumn {
            region: r,
            unexpected: unexpected(r),
        })
        .collect();
    let rows = report
        .accounts
        .iter()
        .filter(|a| a.scanned)
        .map(|a| HeatRow {
            account_id: &a.account_id,
            account_name: name_of(&a.account_id),
            cells: columns
                .iter()
                .map(|c| {
                    let n = counts
                        .get(&(a.account_id.as_str(), c.region))
                        .copied()
                        .unwrap_or(0);
                    (n, shade(n), c.unexpected)
                })
                .collect(),
        })
        .collect();
    Heatmap { columns, rows }
}

/// Groups findings by account, most urgent account first (then by id), keeping the report's
/// order inside each group, so the reader starts with the account that needs action.
fn group_findings<'a>(
    findings: &'a [Finding],
    name_of: &dyn Fn(&str) -> &'a str,
) -> Vec<AccountGroup<'a>> {
    let mut by_account: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        by_account
            .entry(finding.account_id.as_str())
            .or_default()
            .push(finding);
    }
    let mut groups: Vec<(Option<Severity>, AccountGroup<'a>)> = by_account
        .into_iter()
        .map(|(account_id, findings)| {
            let worst = findings.iter().map(|f| f.severity).max();
            let group = AccountGroup {
                account_id,
                account_name: name_of(account_id),
                summary: group_summary(&findings),
                findings: findings.into_iter().map(finding_view).collect(),
            };
            (worst, group)
        })
        .collect();
    // Stable sort: accounts with the same worst severity stay in account-id order.
    groups.sort_by_key(|(worst, _)| std::cmp::Reverse(*worst));
    groups.into_iter().map(|(_, group)| group).collect()
}

fn group_summary(findings: &[&Finding]) -> String {
    let parts: Vec<String> = Severity::ALL
        .into_iter()
        .filter_map(|severity| {
            let n = findings.iter().filter(|f| f.severity == severity).count();
            (n > 0).then(|| format!("{n} {severity}"))
        })
        .collect();
    let total = findings.len();
    let noun = if total == 1 { "finding" } else { "findings" };
    format!("{total} {noun}: {}", parts.join(", "))
}

fn finding_view(finding: &Finding) -> FindingView<'_> {
    FindingView {
        id: &finding.id,
        severity: finding.severity.as_str(),
        check_id: &finding.check_id,
        region: &finding.region,
        resource_type: &finding.resource_type,
        resource_id: &finding.resource_id,
        title: &finding.title,
        detail: &finding.detail,
        remediation: &finding.remediation,
        evidence: (!finding.evidence.is_empty()).then(|| {
            // A Map of JSON values always serializes; the fallback only keeps this total.
            serde_json::to_string_pretty(&finding.evidence)
                .unwrap_or_else(|e| format!("evidence could not be shown: {e}"))
        }),
        change: finding.change.map(|change| match change {
            Change::New => "new",
            Change::Unchanged => "unchanged",
            Change::Changed => "changed",
        }),
    }
}

fn coverage_status(status: CoverageStatus) -> &'static str {
    match status {
        CoverageStatus::Ok => "ok",
        CoverageStatus::Skipped => "skipped",
        CoverageStatus::Failed => "failed",
    }
}

fn region_list(regions: &[String], when_empty: &str) -> String {
    if regions.is_empty() {
        when_empty.to_string()
    } else {
        regions.join(", ")
    }
}

/// Readers compare times across accounts and weeks; one zone (UTC) and one format avoid
/// mistakes when a scan ran with a local offset.
fn rfc3339_utc(at: OffsetDateTime) -> Result<String, RenderError> {
    at.checked_to_offset(UtcOffset::UTC)
        .and_then(|utc| utc.format(&Rfc3339).ok())
        .ok_or_else(|| RenderError::Time(at.to_string()))
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
/// was opened), and only our own script, identified by its hash, may run.
fn content_security_policy(script: &str) -> String {
    let hash = base64(&Sha256::digest(script.as_bytes()));
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; \
         base-uri 'none'; form-action 'none'"
    )
}

/// Standard base64 with padding, as CSP hash sources require; too small to need a crate.
fn base64(bytes: &[u8]) -> String {
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
        let html = to_html(&sample_report()).unwrap();
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
    }

    #[test]
    fn csp_hash_matches_the_script_in_the_page() {
        let html = to_html(&sample_report()).unwrap();
        let start = position(&html, "<script>") + "<script>".len();
        let end = start + position(&html[start..], "</script>");
        let script = &html[start..end];
        assert!(script.contains("beforeprint"), "{script}");
        let expected = content_security_policy(script);
        // The CSP sits in an attribute, so its quotes are escaped there.
        let escaped = expected.replace('\'', "&#39;");
        assert!(
            html.contains(&escaped),
            "CSP for {script:?} not found in page"
        );
    }

    #[test]
    fn coverage_gaps_come_first_then_counts_findings_accounts_inventory_stats() {
        let html = to_html(&sample_report()).unwrap();
        let order = [
            "id=\"run\"",
            "id=\"coverage-gaps\"",
            "id=\"severity-counts\"",
            "id=\"findings\"",
            "id=\"accounts\"",
            "id=\"inventory\"",
            "id=\"stats\"",
        ]
        .map(|id| position(&html, id));
        assert!(order.is_sorted(), "sections out of order: {order:?}");
        // The gap itself is listed inside its section, before any finding.
        let gap = position(&html, "AccessDenied: cannot assume");
        assert!(gap < position(&html, "id=\"findings\""));
        assert!(html.contains("all regions"));
        assert!(html.contains("all checks"));
    }

    #[test]
    fn says_everything_was_scanned_when_there_are_no_gaps() {
        let mut report = sample_report();
        report.coverage.retain(|c| c.status == CoverageStatus::Ok);
        let html = to_html(&report).unwrap();
        assert!(html.contains("Everything was scanned"));
        assert!(!sample_html().contains("Everything was scanned"));
    }

    fn sample_html() -> String {
        to_html(&sample_report()).unwrap()
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
    }

    #[test]
    fn findings_are_grouped_by_account_most_urgent_first() {
        let html = sample_html();
        let management = position(&html, "id=\"findings-111111111111\"");
        let workloads = position(&html, "id=\"findings-222222222222\"");
        assert!(management < workloads);
        // Inside the management account, critical before low.
        let critical = position(&html, "title of iam.quarantine_policy_attached");
        let low = position(&html, "title of iam.access_key_unused");
        assert!(management < critical && critical < low && low < workloads);
        assert!(html.contains("2 findings: 1 critical, 1 low"));
        assert!(html.contains("<li>first step</li>"));
        assert!(html.contains("<details><summary>Evidence</summary>"));
        assert!(html.contains("class=\"badge sev-critical\""));
        assert!(html.contains("class=\"badge change-new\""));
    }

    #[test]
    fn counts_every_severity_even_when_zero() {
        let html = sample_html();
        let counts_start = position(&html, "id=\"severity-counts\"");
        let counts_end = position(&html, "id=\"findings\"");
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
    fn dates_are_rfc3339_utc() {
        let html = sample_html();
        // Started at 10:00 +01:00.
        assert!(html.contains("2026-03-02T09:00:00Z"));
        assert!(html.contains("2026-03-02T09:12:34Z"));
        assert!(html.contains("2026-03-01T08:00:00Z"));
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
        assert!(html.contains("<code>snap-1</code>"));
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
        assert!(matches!(rfc3339_utc(at), Err(RenderError::Time(_))));
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
        assert!(!html.contains("<img src=x>"));
        assert!(html.contains("Alternate contacts") && html.contains("sec@example.com"));
        assert!(!html.contains("<b>Sec</b>"));
    }
}
