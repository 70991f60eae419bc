//! The remediation runbook (`orgsweep plan`): every finding's steps, ordered across the
//! whole organization the way AWS's incident guidance works through a compromise — contain
//! credentials, review activity, deal with resources, fix account details, secure root
//! last — with every account's critical and high work before anyone's hygiene, each step a
//! checkbox, steps that need a person marked as such.
//!
//! An incident is organization-wide: a member account's exposed key must not wait behind the
//! management account's missing security contact just because the management account sorts
//! first. So the plan is ordered by urgency tier, then phase, then severity, and each finding
//! says which account (and role) its commands run in.
//!
//! `plan.md` is read raw in terminals and rendered by Git forges, so it must be safe
//! Markdown: account names, user names, tags and every other value from AWS are either in
//! code spans (fenced with enough backticks for any value) or backslash-escaped, and
//! commands are always in code spans. A user called `a_b*c*` or a tag `[x](http://evil)`
//! renders as text, never as emphasis or a link.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use askama::Template;
use orgsweep_model::{Finding, Report, Severity};
use sha2::{Digest, Sha256};

use crate::RenderError;
use crate::customers::{
    Customer, Reach, RunIn, customer_of_accounts, customers, kind_name, run_scope, target_id,
};
use crate::html::{base64, human_time, visible};

/// The guidance's order; a check belongs to the first phase whose prefix matches.
const PHASES: &[(&str, &[&str])] = &[
    (
        "Contain credentials",
        &[
            // AWS itself saying a key is exposed or the account is abused comes first.
            "health.risk_notification",
            "iam.quarantine_policy_attached",
            "iam.root_access_keys",
            "iam.access_key_recently_created",
            "iam.unknown_principal",
            "iam.role_trusts_external_account",
            "iam.principal_recently_created",
            "iam.console_user_without_mfa",
            "iam.access_key_not_rotated",
            "iam.access_key_unused",
            "iam.dormant_principal_reactivated",
        ],
    ),
    (
        "Review activity",
        &[
            "cloudtrail.",
            "iam.root_recently_used",
            "guardduty.high_severity_finding",
        ],
    ),
    // Charges point at the resources that cause them; the detective controls (Config,
    // GuardDuty) are switched back on once the resources are dealt with.
    (
        "Resources",
        &["resources.", "billing.", "config.", "guardduty.disabled"],
    ),
    ("Account details", &["account."]),
    ("Root MFA", &["iam.root_mfa_disabled"]),
];
const OTHER_PHASE: &str = "Other";

/// The role the plan tells people to use in a member account: the one Organizations creates,
/// or whatever the organization uses for remediation. The report does not record the role
/// the scan used, and the scan's role is read-only anyway.
pub(crate) const MEMBER_ROLE: &str = "OrganizationAccountAccessRole";

pub(crate) fn phase_of(check_id: &str) -> usize {
    PHASES
        .iter()
        .position(|(_, ids)| ids.iter().any(|id| check_id.starts_with(id)))
        .unwrap_or(PHASES.len())
}

pub(crate) fn phase_name(index: usize) -> &'static str {
    PHASES.get(index).map_or(OTHER_PHASE, |(name, _)| name)
}

/// The plan phase a check's findings are listed under ("Other" for a check no phase
/// names, which sinks to the end of its tier).
pub fn plan_phase(check_id: &str) -> &'static str {
    phase_name(phase_of(check_id))
}

/// Urgency tiers: a low-severity unused key (phase 1) must not push a critical miner
/// (phase 3) down the page, so severity tiers come before phases.
const TIERS: [&str; 3] = ["Critical and high", "Medium", "Low and info"];

pub(crate) fn tier_of(severity: Severity) -> usize {
    match severity {
        Severity::Critical | Severity::High => 0,
        Severity::Medium => 1,
        Severity::Low | Severity::Info => 2,
    }
}

/// The order of work across the organization: tier, phase, most severe first, then a stable
/// tie-break so two runs print the same plan.
pub(crate) fn plan_key(
    f: &Finding,
) -> (
    usize,
    usize,
    std::cmp::Reverse<Severity>,
    &str,
    &str,
    &str,
    &str,
) {
    (
        tier_of(f.severity),
        phase_of(&f.check_id),
        std::cmp::Reverse(f.severity),
        &f.account_id,
        &f.check_id,
        &f.resource_id,
        &f.id,
    )
}

/// Steps only a person can do: deciding, asking, signing in as root, talking to Support.
pub fn needs_person(step: &str) -> bool {
    const MARKERS: &[&str] = &[
        "Confirm",
        "confirm with",
        "Sign in as the root user",
        "Reply",
        "AWS Support",
        "owner",
    ];
    MARKERS.iter().any(|m| step.contains(m))
}

/// The anchor of a finding's entry in the plan; the report's HTML links to it.
pub fn step_anchor(finding: &Finding) -> String {
    format!("step-{}", finding.id)
}

/// A piece of prose or of code (a command, or a value from AWS) in a title or a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) text: String,
    pub(crate) code: bool,
}

struct StepLine {
    person: bool,
    segments: Vec<Segment>,
}

struct PlanItem<'a> {
    finding: &'a Finding,
    title: Vec<Segment>,
    account_name: String,
    /// Commands run in a management or standalone account with its own credentials (this
    /// says which, as the plan words it), in a member account through a role.
    admin: Option<&'static str>,
    /// The management account a member account's role is assumed from; empty when unknown.
    from: String,
    account_id: String,
    check_id: String,
    region: String,
    resource_id: String,
    mute_reason: Option<String>,
    /// What IAM's last-accessed data says the principal did, when the finding carries it.
    last_use: Option<String>,
    steps: Vec<StepLine>,
}

struct PlanPhase<'a> {
    name: &'static str,
    items: Vec<PlanItem<'a>>,
}

struct PlanTier<'a> {
    name: &'static str,
    count: usize,
    phases: Vec<PlanPhase<'a>>,
}

/// The work of one customer, or of the whole organization when the report is of one.
struct PlanSection<'a> {
    /// `None` for a single organization: its plan is one section, without a heading.
    customer: Option<PlanCustomer>,
    /// Findings to act on, muted ones excepted.
    count: usize,
    tiers: Vec<PlanTier<'a>>,
    /// Accepted risk: listed so the report's links land somewhere, not planned.
    muted: Vec<PlanItem<'a>>,
}

/// A customer's heading: who it is and what of theirs was (and was not) scanned, so the
/// section can be handed over on its own.
struct PlanCustomer {
    /// `None` for accounts no customer claims (a hand-edited report).
    name: Option<String>,
    targets: Vec<PlanTarget>,
}

struct PlanTarget {
    name: String,
    kind: &'static str,
    id: Option<String>,
    /// Why it could not be scanned: none of its accounts is in the plan.
    error: Option<String>,
}

impl PlanSection<'_> {
    /// What an empty section says: nothing to do, or, when part of the customer was not
    /// scanned, only that nothing was found in the part that was.
    fn nothing_to_do(&self) -> &'static str {
        let unreached = self
            .customer
            .as_ref()
            .is_some_and(|c| c.targets.iter().any(|t| t.error.is_some()));
        if unreached {
            "No findings in what was scanned; the targets above that were not scanned still need a look."
        } else {
            "Nothing to do: the report has no findings to act on."
        }
    }
}

struct Plan<'a> {
    management_account_id: &'a str,
    /// "3 targets · 2 customers" for a multi-target report, which has no one management
    /// account to name.
    scope: Option<String>,
    started_at: String,
    sections: Vec<PlanSection<'a>>,
    /// The heading level of a tier: 2, or 3 under a customer's heading.
    tier_level: usize,
}

impl Plan<'_> {
    fn count(&self) -> usize {
        self.sections.iter().map(|s| s.count).sum()
    }

    fn muted(&self) -> usize {
        self.sections.iter().map(|s| s.muted.len()).sum()
    }
}

fn build<'a>(report: &'a Report) -> Plan<'a> {
    let names: BTreeMap<&str, &str> = report
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.name.as_str()))
        .collect();
    let management = report.run.management_account_id.as_str();
    let reach = Reach::of(report);
    let item = |f: &'a Finding| plan_item(f, &names, reach.run_in(&f.account_id, management));

    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| plan_key(a).cmp(&plan_key(b)));
    let customers = customers(report);
    let sections = if customers.is_empty() {
        vec![section(None, &findings, &item)]
    } else {
        // Each customer's findings in the plan's order: the same work, handed out per customer.
        let of = customer_of_accounts(report);
        let slot: HashMap<Option<&str>, usize> = customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name, i))
            .collect();
        let mut buckets: Vec<Vec<&Finding>> = vec![Vec::new(); customers.len()];
        for f in findings {
            let customer = of.get(f.account_id.as_str()).copied();
            if let Some(&i) = slot.get(&customer) {
                buckets[i].push(f);
            }
        }
        customers
            .iter()
            .zip(buckets)
            .map(|(c, mine)| section(Some(plan_customer(c)), &mine, &item))
            .collect()
    };
    Plan {
        management_account_id: management,
        scope: run_scope(report),
        started_at: human_time(report.run.started_at),
        tier_level: if customers.is_empty() { 2 } else { 3 },
        sections,
    }
}

fn plan_customer(c: &Customer<'_>) -> PlanCustomer {
    PlanCustomer {
        name: c.name.map(|n| visible(n, 200).into_owned()),
        targets: c
            .targets
            .iter()
            .map(|t| PlanTarget {
                name: visible(&t.name, 200).into_owned(),
                kind: kind_name(t.kind),
                id: target_id(t).map(|id| visible(id, 64).into_owned()),
                error: t.error.as_deref().map(|e| visible(e, 1024).into_owned()),
            })
            .collect(),
    }
}

/// One section of the plan from findings already in the plan's order: tiers, then phases.
fn section<'a>(
    customer: Option<PlanCustomer>,
    findings: &[&'a Finding],
    item: &dyn Fn(&'a Finding) -> PlanItem<'a>,
) -> PlanSection<'a> {
    let mut tiers: Vec<PlanTier<'a>> = Vec::new();
    for &f in findings.iter().filter(|f| !f.muted) {
        let (tier, phase) = (tier_of(f.severity), phase_name(phase_of(&f.check_id)));
        if tiers.last().is_none_or(|t| t.name != TIERS[tier]) {
            tiers.push(PlanTier {
                name: TIERS[tier],
                count: 0,
                phases: Vec::new(),
            });
        }
        let Some(current) = tiers.last_mut() else {
            continue;
        };
        current.count += 1;
        if current.phases.last().is_none_or(|p| p.name != phase) {
            current.phases.push(PlanPhase {
                name: phase,
                items: Vec::new(),
            });
        }
        if let Some(p) = current.phases.last_mut() {
            p.items.push(item(f));
        }
    }
    PlanSection {
        customer,
        count: tiers.iter().map(|t| t.count).sum(),
        tiers,
        muted: findings
            .iter()
            .filter(|f| f.muted)
            .map(|f| item(f))
            .collect(),
    }
}

/// "Last use …; services used inside the window: ec2, iam." from the evidence the IAM
/// checks add from IAM's last-accessed data (`last_used`, `services_used_in_window`), so the
/// responder sees from the plan what the principal was doing. `None` without that evidence:
/// no data is not "unused".
fn last_use(f: &Finding) -> Option<String> {
    let services = f.evidence.get("services_used_in_window")?.as_array()?;
    let names: Vec<String> = services
        .iter()
        .filter_map(|s| s.get("namespace").and_then(serde_json::Value::as_str))
        .map(|n| visible(n, 64).into_owned())
        .collect();
    let more = f
        .evidence
        .get("services_used_in_window_more")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    let last = f
        .evidence
        .get("last_used")
        .and_then(serde_json::Value::as_str)
        .map_or_else(
            || "none recorded".to_owned(),
            |t| visible(t, 64).into_owned(),
        );
    let used = match (names.is_empty(), more) {
        (true, _) => "none".to_owned(),
        (false, 0) => names.join(", "),
        (false, n) => format!("{} and {n} more", names.join(", ")),
    };
    Some(format!(
        "Last use (IAM's last-accessed data): {last}; services used inside the window: {used}."
    ))
}

fn plan_item<'a>(f: &'a Finding, names: &BTreeMap<&str, &str>, run_in: RunIn<'_>) -> PlanItem<'a> {
    let tokens = value_tokens(f);
    PlanItem {
        finding: f,
        title: prose_segments(&f.title, &tokens),
        account_name: visible(names.get(f.account_id.as_str()).copied().unwrap_or(""), 200)
            .into_owned(),
        admin: match run_in {
            RunIn::Management => Some("the management account"),
            RunIn::Standalone => Some("a standalone account"),
            RunIn::Member { .. } => None,
        },
        from: match run_in {
            RunIn::Member { from } => visible(from, 64).into_owned(),
            _ => String::new(),
        },
        account_id: visible(&f.account_id, 64).into_owned(),
        check_id: visible(&f.check_id, 128).into_owned(),
        region: visible(&f.region, 64).into_owned(),
        resource_id: visible(&f.resource_id, 2048).into_owned(),
        mute_reason: f
            .mute_reason
            .as_deref()
            .map(|r| visible(r, 1024).into_owned()),
        last_use: last_use(f),
        steps: f
            .remediation
            .iter()
            .map(|step| StepLine {
                person: needs_person(step),
                segments: step_segments(step, &tokens),
            })
            .collect(),
    }
}

/// Values of the finding that may appear inside its prose (the user in "Confirm with the
/// owner of alice"), so they can be set in code rather than trusted as prose.
fn value_tokens(f: &Finding) -> Vec<String> {
    const KEYS: &[&str] = &[
        "user",
        "user_arn",
        "user_name",
        "name",
        "principal",
        "access_key_id",
        "key_name",
        "image_id",
        "instance_profile_arn",
        "accounts",
        "role",
        "role_name",
    ];
    let mut tokens = vec![f.resource_id.clone(), f.account_id.clone()];
    if let Some(last) = f.resource_id.rsplit(['/', ':']).next() {
        tokens.push(last.to_owned());
    }
    for key in KEYS {
        match f.evidence.get(*key) {
            Some(serde_json::Value::String(s)) => tokens.push(s.clone()),
            Some(serde_json::Value::Array(values)) => tokens.extend(
                values
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .map(str::to_owned),
            ),
            _ => {}
        }
    }
    // Short values ("ci", "a") would mark ordinary words; very long ones cannot be prose.
    tokens.retain(|t| (3..=512).contains(&t.chars().count()) && t.trim() == t);
    // Longest first, so an ARN wins over the user name at its end.
    tokens.sort_by_key(|t| std::cmp::Reverse(t.len()));
    tokens.dedup();
    tokens
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Splits prose into text and the finding's values (and any 12-digit account id), the values
/// becoming code.
fn prose_segments(text: &str, tokens: &[String]) -> Vec<Segment> {
    let text = visible(text, 4096);
    let mut out: Vec<Segment> = Vec::new();
    let mut push = |s: &str, code: bool| {
        if s.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.code == code && !code => last.text.push_str(s),
            _ => out.push(Segment {
                text: s.to_owned(),
                code,
            }),
        }
    };
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        let at_boundary = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !is_word_char(c));
        let found = at_boundary
            .then(|| {
                tokens
                    .iter()
                    .map(String::as_str)
                    .filter(|t| text[i..].starts_with(t))
                    .chain(account_id_at(&text[i..]))
                    .find(|t| {
                        text[i + t.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !is_word_char(c))
                    })
            })
            .flatten();
        if let Some(token) = found {
            push(&text[start..i], false);
            push(&text[i..i + token.len()], true);
            i += token.len();
            start = i;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    push(&text[start..], false);
    out
}

fn account_id_at(s: &str) -> Option<&str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    (digits == 12).then(|| &s[..12])
}

/// Splits a remediation step into prose and commands: a command starts at `aws <service>`
/// and runs to the end of the step, or to where the prose resumes (", then", " (", an
/// unmatched closing parenthesis) outside quotes.
fn step_segments(step: &str, tokens: &[String]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = step;
    while !rest.is_empty() {
        let Some(start) = command_start(rest) else {
            out.extend(prose_segments(rest, tokens));
            break;
        };
        out.extend(prose_segments(&rest[..start], tokens));
        let end = start + command_len(&rest[start..]);
        out.push(Segment {
            text: visible(&rest[start..end], 8192).into_owned(),
            code: true,
        });
        rest = &rest[end..];
    }
    out
}

fn command_start(s: &str) -> Option<usize> {
    s.match_indices("aws ").map(|(i, _)| i).find(|&i| {
        let before_ok = s[..i]
            .chars()
            .next_back()
            .is_none_or(|c| c == ' ' || c == '(' || c == '"' || c == '\'');
        let after_ok = s[i + 4..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase());
        before_ok && after_ok
    })
}

fn command_len(s: &str) -> usize {
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return i,
            (None, ')') => depth -= 1,
            (None, ',') if s[i..].starts_with(", then ") => return i,
            (None, ' ') if depth == 0 && s[i..].starts_with(" (") => return i,
            (None, ';') => return i,
            _ => {}
        }
    }
    s.len()
}

/// Markdown-escapes prose. Lines are our own (values never bring a newline), so only inline
/// constructs matter: emphasis, code, links and images (no `[`, so no `](`), raw HTML and
/// entities, GFM's strikethrough and bare-URL and e-mail autolinks, and math. Parentheses,
/// colons in times and the like stay as they are, so the raw file reads as prose.
pub(crate) fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    let mut word_start = true;
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '@' | '$' | '#' => {
                out.push('\\');
                out.push(c);
            }
            // `scheme://` starts a GFM autolink; an escaped colon does not.
            ':' if chars.peek() == Some(&'/') => out.push_str("\\:"),
            // `www.` starts a GFM autolink even without a scheme.
            'w' | 'W' if word_start => {
                out.push(c);
                let mut rest = String::new();
                while let Some(&n) = chars.peek() {
                    if rest.len() < 3 && (n == 'w' || n == 'W' || n == '.') {
                        rest.push(n);
                        chars.next();
                        if n == '.' {
                            break;
                        }
                    } else {
                        break;
                    }
                }
                if rest.ends_with('.') {
                    out.push_str(&rest[..rest.len() - 1]);
                    out.push_str("\\.");
                } else {
                    out.push_str(&rest);
                }
            }
            c => out.push(c),
        }
        word_start = !out.chars().next_back().is_some_and(char::is_alphanumeric);
    }
    out
}

/// A code span that holds any value: a fence longer than any backtick run inside, padded
/// when the value starts or ends with a backtick or a space (CommonMark strips one space on
/// each side), newlines flattened (a newline would let a value start a block).
pub(crate) fn md_code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.is_empty() {
        return "(empty)".to_owned();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = s.starts_with('`')
        || s.ends_with('`')
        || (s.starts_with(' ') && s.ends_with(' ') && s.trim() != "");
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{s}{space}{fence}")
}

fn md_segments(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| {
            if s.code {
                md_code(&s.text)
            } else {
                md_text(&s.text)
            }
        })
        .collect()
}

/// Only hash-like characters may go into the raw `<a id>` of the Markdown.
fn md_anchor(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `## ` for `level` 2.
fn md_heading(level: usize) -> String {
    format!("{} ", "#".repeat(level))
}

fn md_item(out: &mut String, item: &PlanItem<'_>, level: usize) {
    let f = item.finding;
    let _ = writeln!(
        out,
        "<a id=\"{}\"></a>\n{}\\[{}\\] {}\n",
        md_anchor(&step_anchor(f)),
        md_heading(level),
        f.severity.as_str(),
        md_segments(&item.title)
    );
    let name = if item.account_name.is_empty() {
        String::new()
    } else {
        format!(" {}", md_code(&item.account_name))
    };
    let role = match item.admin {
        Some(what) => format!("{what}: use its administrator credentials"),
        None if item.from.is_empty() => format!(
            "assume {} or your remediation role in it, from its organization's management account",
            md_code(MEMBER_ROLE)
        ),
        None => format!(
            "assume {} or your remediation role in it, from the management account {}",
            md_code(MEMBER_ROLE),
            md_code(&item.from)
        ),
    };
    let _ = writeln!(
        out,
        "Run in account {}{name} ({role}). Check {}, region {}, resource {}.",
        md_code(&item.account_id),
        md_code(&item.check_id),
        md_code(&item.region),
        md_code(&item.resource_id)
    );
    if f.scanner_identity {
        let _ = writeln!(
            out,
            "\n**orgsweep's own identity**: `orgsweep remediate` never contains it; change it deliberately."
        );
    }
    if let Some(reason) = &item.mute_reason {
        let _ = writeln!(out, "\nMuted (accepted risk): {}", md_text(reason));
    }
    if let Some(used) = &item.last_use {
        let _ = writeln!(out, "\n{}", md_text(used));
    }
    let _ = writeln!(out);
    for step in &item.steps {
        let person = if step.person { "**\\[person\\]** " } else { "" };
        let _ = writeln!(out, "- [ ] {person}{}", md_segments(&step.segments));
    }
    let _ = writeln!(out);
}

/// The plan as Markdown with `- [ ]` checkboxes, ordered across the organization; for a
/// multi-target report, one section per customer, each in that order.
pub fn plan_markdown(report: &Report) -> String {
    let plan = build(report);
    let mut out = String::new();
    let muted = if plan.muted() == 0 {
        String::new()
    } else {
        format!(" ({} more muted as accepted risk)", plan.muted())
    };
    if let Some(scope) = &plan.scope {
        let _ = writeln!(
            out,
            "# Remediation plan for {}\n\n\
             From the scan started {}: {} findings to work through{muted}. \
             Each customer has its own section, to hand over as it is. Within it, critical and \
             high findings in every account come first, in the guidance's phases (contain \
             credentials, review activity, resources, account details, root MFA), then medium, \
             then low and info. Each finding says which account its commands run in: an \
             organization's management account or a standalone account with its administrator \
             credentials, a member account by assuming {} or your remediation role in it from \
             its organization's management account. Steps marked **\\[person\\]** need a \
             human decision or sign-in.\n",
            md_text(scope),
            md_text(&plan.started_at),
            plan.count(),
            md_code(MEMBER_ROLE),
        );
    } else {
        let management = visible(plan.management_account_id, 64);
        let _ = writeln!(
            out,
            "# Remediation plan for organization {}\n\n\
             From the scan started {}: {} findings to work through{muted}. \
             The order is for the whole organization: critical and high findings in every account \
             first, in the guidance's phases (contain credentials, review activity, resources, \
             account details, root MFA), then medium, then low and info. Each finding says which \
             account its commands run in: the management account {} with its administrator \
             credentials, a member account by assuming {} or your remediation role in it. Steps \
             marked **\\[person\\]** need a human decision or sign-in.\n",
            md_code(&management),
            md_text(&plan.started_at),
            plan.count(),
            md_code(&management),
            md_code(MEMBER_ROLE),
        );
    }
    let level = plan.tier_level;
    for section in &plan.sections {
        if let Some(customer) = &section.customer {
            md_customer(&mut out, customer, section.count, level - 1);
        }
        if section.tiers.is_empty() {
            let _ = writeln!(out, "{}\n", section.nothing_to_do());
        }
        for tier in &section.tiers {
            let _ = writeln!(out, "{}{} ({})\n", md_heading(level), tier.name, tier.count);
            for phase in &tier.phases {
                let _ = writeln!(out, "{}{}\n", md_heading(level + 1), phase.name);
                for item in &phase.items {
                    md_item(&mut out, item, level + 2);
                }
            }
        }
        if !section.muted.is_empty() {
            let _ = writeln!(
                out,
                "{}Muted (accepted risk)\n\nNot planned: a mute rule accepted these. Listed so nothing is silently missing.\n",
                md_heading(level)
            );
            for item in &section.muted {
                md_item(&mut out, item, level + 2);
            }
        }
    }
    out
}

/// A customer's heading, its targets, and any target that could not be scanned, stated
/// where the customer's reader cannot miss it: no step for it means nothing was seen.
fn md_customer(out: &mut String, customer: &PlanCustomer, count: usize, level: usize) {
    let heading = match &customer.name {
        Some(name) => format!("Customer {}", md_code(name)),
        None => "Accounts of no customer".to_owned(),
    };
    let _ = writeln!(
        out,
        "{}{heading} ({count} {})\n",
        md_heading(level),
        if count == 1 { "finding" } else { "findings" }
    );
    if !customer.targets.is_empty() {
        let targets: Vec<String> = customer
            .targets
            .iter()
            .map(|t| match &t.id {
                Some(id) => format!("{} ({} {})", md_code(&t.name), t.kind, md_code(id)),
                None => format!("{} ({})", md_code(&t.name), t.kind),
            })
            .collect();
        let _ = writeln!(out, "Targets: {}.\n", targets.join(", "));
    }
    for t in &customer.targets {
        if let Some(error) = &t.error {
            let _ = writeln!(
                out,
                "**Not scanned**: target {} could not be scanned: {}. Nothing in it was looked \
                 at: no step for it means nothing was seen, not that nothing is wrong.\n",
                md_code(&t.name),
                md_text(error)
            );
        }
    }
}

/// The plan page's only style; its hash goes into the CSP like the report's.
const PLAN_STYLE_SOURCE: &str = include_str!("../templates/plan.css");

fn plan_style() -> &'static str {
    PLAN_STYLE_SOURCE
        .strip_suffix('\n')
        .unwrap_or(PLAN_STYLE_SOURCE)
}

#[derive(Template)]
#[template(path = "plan.html", whitespace = "minimize")]
struct PlanPage<'a> {
    csp: String,
    plan: Plan<'a>,
    member_role: &'static str,
}

/// The same plan as one self-contained HTML page (escaped like the report).
pub fn plan_html(report: &Report) -> Result<String, RenderError> {
    let hash = base64(&Sha256::digest(plan_style().as_bytes()));
    PlanPage {
        csp: format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'"
        ),
        plan: build(report),
        member_role: MEMBER_ROLE,
    }
    .render()
    .map_err(RenderError::Html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;

    #[test]
    fn phases_follow_the_guidance_and_steps_are_checkboxes() {
        assert!(
            phase_of("iam.quarantine_policy_attached") < phase_of("cloudtrail.suspicious_event")
        );
        assert!(phase_of("cloudtrail.no_active_trail") < phase_of("resources.unexpected_region"));
        assert!(
            phase_of("resources.shared_outside_org") < phase_of("account.security_contact_missing")
        );
        assert!(phase_of("account.security_contact_missing") < phase_of("iam.root_mfa_disabled"));
        assert_eq!(phase_name(phase_of("new.check")), OTHER_PHASE);
        assert_eq!(phase_of("health.risk_notification"), 0);
        assert!(phase_of("guardduty.high_severity_finding") < phase_of("billing.spend_spike"));

        let report = sample_report();
        let md = plan_markdown(&report);
        assert!(md.contains("- [ ] "));
        for f in &report.findings {
            assert!(md.contains(&step_anchor(f)), "no step for {}", f.id);
        }
        assert!(!md.contains("<script"), "{md}");
    }

    #[test]
    fn the_html_plan_escapes_and_marks_person_steps() {
        let mut report = sample_report();
        report.findings[0].remediation = vec![
            "Confirm with the owner <script>x</script>".to_owned(),
            "aws iam update-access-key --status Inactive".to_owned(),
        ];
        let html = plan_html(&report).expect("renders");
        assert!(!html.contains("<script>x"));
        assert!(html.contains("person"));
        assert!(html.contains("type=\"checkbox\""));
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
        assert!(html.contains("<code>aws iam update-access-key --status Inactive</code>"));
    }

    #[test]
    fn a_principal_s_last_use_is_in_both_plans_and_absent_without_data() {
        let mut report = sample_report();
        let plain_md = plan_markdown(&report);
        assert!(!plain_md.contains("Last use"), "no data is not \"unused\"");
        report.findings[0].evidence.insert(
            "services_used_in_window".to_owned(),
            serde_json::json!([
                {"namespace": "ec2", "last_authenticated": "2026-11-23T12:00:00Z"},
                {"namespace": "<b>iam</b>", "last_authenticated": "2026-11-22T12:00:00Z"}
            ]),
        );
        report.findings[0].evidence.insert(
            "services_used_in_window_more".to_owned(),
            serde_json::json!(2),
        );
        report.findings[0].evidence.insert(
            "last_used".to_owned(),
            serde_json::json!("2026-11-23T12:00:00Z"),
        );
        let md = plan_markdown(&report);
        assert!(
            md.contains("Last use (IAM's last-accessed data): 2026-11-23T12:00:00Z; services used inside the window: ec2, \\<b\\>iam\\</b\\> and 2 more."),
            "{md}"
        );
        let html = plan_html(&report).expect("renders");
        assert!(html.contains("<p class=\"last-use\">Last use (IAM&#39;s last-accessed data): 2026-11-23T12:00:00Z; services used inside the window: ec2, &#60;b&#62;iam&#60;/b&#62; and 2 more.</p>"), "{html}");
    }

    #[test]
    fn the_html_plan_allows_only_its_own_style() {
        let html = plan_html(&sample_report()).expect("renders");
        let start = html.find("<style>").expect("a style") + "<style>".len();
        let end = start + html[start..].find("</style>").expect("closed");
        let hash = base64(&Sha256::digest(&html.as_bytes()[start..end]));
        assert!(html.contains(&format!("style-src &#39;sha256-{hash}&#39;")));
        assert!(html.contains("default-src &#39;none&#39;"));
        assert!(!html.contains("<script") && !html.contains(" style="));
    }

    #[test]
    fn commands_are_split_from_prose() {
        let seg = |s: &str| step_segments(s, &[]);
        let code = |v: &[Segment]| -> Vec<String> {
            v.iter()
                .filter(|s| s.code)
                .map(|s| s.text.clone())
                .collect()
        };
        assert_eq!(
            code(&seg(
                "If not, keep evidence: aws ec2 create-snapshot --volume-id vol-1 --description \"a (b), then c\""
            )),
            ["aws ec2 create-snapshot --volume-id vol-1 --description \"a (b), then c\""]
        );
        let two = seg(
            "If known: enable MFA (aws iam create-virtual-mfa-device --name x, then aws iam enable-mfa-device --user-name alice).",
        );
        assert_eq!(
            code(&two),
            [
                "aws iam create-virtual-mfa-device --name x",
                "aws iam enable-mfa-device --user-name alice"
            ]
        );
        assert_eq!(two.last().map(|s| s.text.as_str()), Some(")."));
        assert_eq!(
            code(&seg(
                "If shared: aws ec2 modify-snapshot-attribute --snapshot-id snap-1 (and --user-ids for each account)"
            )),
            ["aws ec2 modify-snapshot-attribute --snapshot-id snap-1"]
        );
        assert!(code(&seg("Review it in the console (aws:TokenIssueTime).")).is_empty());
    }

    #[test]
    fn code_spans_hold_any_value() {
        assert_eq!(md_code("a"), "`a`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x``"), "``` `x`` ```");
        assert_eq!(md_code(" a "), "`  a  `");
        assert_eq!(md_code("a\nb"), "`a b`");
        assert_eq!(md_text("a_b*c*"), "a\\_b\\*c\\*");
        assert_eq!(md_text("[x](http://evil)"), "\\[x\\](http\\://evil)");
        assert_eq!(md_text("Then: at 10:20 (ok)"), "Then: at 10:20 (ok)");
        assert_eq!(md_text("see www.evil.com"), "see www\\.evil.com");
    }
}
