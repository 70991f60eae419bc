//! The checked-in example (`reports/example/`) is what the README points a new user at, so
//! it must be what today's orgsweep writes: its report.json parses at the current schema
//! version and validates against `report.schema.json`, and its HTML and plans are exactly a
//! fresh rendering of that JSON. After a template change, re-render it:
//! `orgsweep report reports/example/report.json --format html,csv,ocsf,asff`
//! (a scan of the demo organization with `--out reports/example --force` regenerates all).

mod page;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use orgsweep_model::{Coverage, CoverageStatus, Finding, Report, SCHEMA_VERSION, Severity};
use orgsweep_report::{plan_html, plan_markdown, plan_phase, to_html};

use page::{position, section};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(name: &str) -> String {
    let path = root().join("reports/example").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_example_report_is_current_valid_and_freshly_rendered() {
    let text = read("report.json");
    let report = orgsweep_model::parse_report(&text).expect("the example parses");
    assert_eq!(
        report.schema_version, SCHEMA_VERSION,
        "the example is of an older schema: regenerate it"
    );
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("report.schema.json")).expect("schema"),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let instance: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Something to look at: the demo's planted incidents and its gaps.
    assert!(report.findings.len() >= 10, "{}", report.findings.len());
    assert!(report.gaps().next().is_some());

    let stale = "is not a fresh rendering of report.json: re-render it (see this file's doc)";
    assert!(
        to_html(&report).expect("renders") == read("report.html"),
        "report.html {stale}"
    );
    assert!(
        plan_html(&report).expect("renders") == read("plan.html"),
        "plan.html {stale}"
    );
    assert!(plan_markdown(&report) == read("plan.md"), "plan.md {stale}");
    // The machine formats a pipeline ingests, so a reader can see each one.
    for (name, fresh) in [
        ("findings.csv", orgsweep_report::to_csv(&report)),
        ("findings.ocsf.json", orgsweep_report::to_ocsf(&report)),
        ("findings.asff.json", orgsweep_report::to_asff(&report)),
    ] {
        assert!(fresh.expect("renders") == read(name), "{name} {stale}");
    }
}

// ---------------------------------------------------------------------------------------
// The structure of the demo's first screen, on the demo's own data
// ---------------------------------------------------------------------------------------

/// Every value of `attr="…"` in `text`, in document order.
fn attr_values<'a>(text: &'a str, attr: &str) -> Vec<&'a str> {
    let open = format!("{attr}=\"");
    text.match_indices(&open)
        .map(|(i, _)| {
            let rest = &text[i + open.len()..];
            &rest[..position(rest, "\"")]
        })
        .collect()
}

/// The text between the first `start` and the following `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = position(text, start) + start.len();
    &text[from..from + position(&text[from..], end)]
}

/// `19,896`, as the renderer writes counts.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// The number a headline gives for `unit` ("4 accounts", "all 4 scanned accounts"), if any.
fn count_of(headline: &str, unit: &str) -> Option<usize> {
    let words: Vec<&str> = headline
        .split_whitespace()
        .map(|w| w.trim_end_matches([':', ',', ';']))
        .collect();
    let at = words
        .iter()
        .position(|w| *w == unit || *w == format!("{unit}s"))?;
    let number = words[..at].iter().rev().find(|w| **w != "scanned")?;
    Some(
        number
            .replace(',', "")
            .parse()
            .unwrap_or_else(|_| panic!("no count before {unit:?} in {headline:?}")),
    )
}

/// What the report calls one cause of a coverage gap: the same status, at the same level
/// (a whole account, a region, a check), with the same error once account ids are taken
/// out of it; every skipped check shares one cause (the settings lack what it needs).
fn cause_of(c: &Coverage) -> (CoverageStatus, u8, String) {
    let level = match (&c.region, &c.check_id) {
        (None, None) => 0,
        (Some(_), None) => 1,
        (_, Some(_)) => 2,
    };
    if level == 2 && c.status == CoverageStatus::Skipped {
        return (c.status, level, String::new());
    }
    let error = c.error.as_deref().unwrap_or("");
    let mut normalized = String::new();
    let mut digits = String::new();
    for ch in error.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        if digits.len() == 12 {
            normalized.push_str("<account>");
        } else {
            normalized.push_str(&digits);
        }
        digits.clear();
        normalized.push(ch);
    }
    (c.status, level, normalized)
}

/// A scope as the coverage table shows it: (status, account, region, check).
type Scope = (String, String, String, String);

fn scope_of(c: &Coverage) -> Scope {
    let status = match c.status {
        CoverageStatus::Ok => "ok",
        CoverageStatus::Skipped => "skipped",
        CoverageStatus::Failed => "failed",
    };
    let region = match (&c.region, &c.check_id) {
        (Some(region), _) => region.clone(),
        (None, None) => "all regions".to_owned(),
        (None, Some(_)) => "account-wide".to_owned(),
    };
    let check = c
        .check_id
        .clone()
        .unwrap_or_else(|| "all checks".to_owned());
    (status.to_owned(), c.account_id.clone(), region, check)
}

/// The triage list as the page lays it out: the open part and the folded part, each a
/// list of (account, finding ids in page order).
type TriageBlocks<'a> = Vec<(&'a str, Vec<&'a str>)>;

fn triage_blocks(part: &str) -> TriageBlocks<'_> {
    part.split("<div class=\"triage-account\" data-account=\"")
        .skip(1)
        .map(|block| {
            let account = &block[..position(block, "\"")];
            (account, attr_values(block, "data-finding"))
        })
        .collect()
}

/// The demo report a new user opens first, rendered by today's code, checked for what the
/// first screen must answer (issue 12): how bad and how complete (the verdict, first), what
/// to do first (the triage, in the plan's order), what could not be seen (coverage, one row
/// per cause with its counts) and where (the account × severity matrix, one row per
/// account). Every expected value comes from report.json, so a regenerated example keeps
/// passing as long as the page still tells the truth about it.
#[test]
fn the_demo_report_has_its_verdict_first_triage_in_plan_order_causes_and_matrix() {
    let report = orgsweep_model::parse_report(&read("report.json")).expect("the example parses");
    assert_first_screen_structure(&report, &to_html(&report).expect("renders"));
}

/// The checks above see a page that breaks the structure: the triage list reversed, an
/// account dropped from the matrix, a cause split in two, the verdict moved down.
#[test]
fn the_structure_checks_catch_a_broken_demo_page() {
    let report = orgsweep_model::parse_report(&read("report.json")).expect("the example parses");
    let html = to_html(&report).expect("renders");
    let fails = |page: &str| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_first_screen_structure(&report, page)
        }))
        .is_err()
    };
    assert!(!fails(&html), "the intact page passes");

    // The triage lines in reverse order (each line moved, the markup around them kept).
    let triage = section(&html, "triage");
    let start = html.find(triage).expect("the triage is in the page");
    let items: Vec<(usize, usize)> = triage
        .match_indices("<li class=\"triage-item\"")
        .map(|(i, _)| (i, i + position(&triage[i..], "</li>") + "</li>".len()))
        .collect();
    assert!(items.len() > 1, "the demo has more than one triage line");
    let mut reversed = html[..start].to_owned();
    let mut at = 0;
    for (slot, item) in items.iter().zip(items.iter().rev()) {
        reversed.push_str(&triage[at..slot.0]);
        reversed.push_str(&triage[item.0..item.1]);
        at = slot.1;
    }
    reversed.push_str(&html[start + at..]);
    assert!(fails(&reversed), "a reversed triage passes");

    // The matrix without its last account.
    let matrix = section(&html, "matrix");
    let last = matrix.rfind("<tr data-account=").expect("a matrix row");
    let row = &matrix[last..last + position(&matrix[last..], "</tr>") + "</tr>".len()];
    assert!(
        fails(&html.replacen(row, "", 1)),
        "a matrix without {row} passes"
    );

    // A cause split in two: its row repeated.
    let coverage = section(&html, "coverage");
    let cause = &coverage[position(coverage, "<tr class=\"cause")..];
    let cause =
        &cause[..position(cause, "</details></td>\n</tr>") + "</details></td>\n</tr>".len()];
    assert!(
        fails(&html.replacen(cause, &format!("{cause}\n{cause}"), 1)),
        "a repeated cause row passes"
    );

    // The verdict after the triage list.
    let verdict = &html[position(&html, "<section id=\"verdict\"")..];
    let verdict = &verdict[..position(verdict, "</section>") + "</section>".len()];
    let moved = html.replacen(verdict, "", 1).replacen(
        "<section id=\"matrix\">",
        &format!("{verdict}\n<section id=\"matrix\">"),
        1,
    );
    assert!(fails(&moved), "a verdict below the triage passes");
}

/// The first screen's structure, checked against `report` itself.
fn assert_first_screen_structure(report: &Report, html: &str) {
    let active: Vec<&Finding> = report.findings.iter().filter(|f| !f.muted).collect();
    let count = |s: Severity| active.iter().filter(|f| f.severity == s).count();
    let gaps: Vec<&Coverage> = report.gaps().collect();

    // --- The verdict, before anything else.
    let first_section = position(html, "<section ");
    assert_eq!(
        first_section,
        position(html, "<section id=\"verdict\""),
        "the verdict is the page's first section"
    );
    for later in [
        "blocked", "triage", "matrix", "charts", "coverage", "findings",
    ] {
        if let Some(at) = html.find(&format!("<section id=\"{later}\"")) {
            assert!(first_section < at, "#{later} comes before the verdict");
        }
    }
    let verdict = section(html, "verdict");
    let (critical, high) = (count(Severity::Critical), count(Severity::High));
    let urgent_accounts: BTreeSet<&str> = active
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .map(|f| f.account_id.as_str())
        .collect();
    let in_accounts = plural(urgent_accounts.len(), "account", "accounts");
    let how_bad = match (critical, high) {
        (0, 0) => "No critical or high findings".to_owned(),
        (0, h) => format!(
            "{} in {in_accounts}",
            plural(h, "high finding", "high findings")
        ),
        (c, h) => format!(
            "{} critical and {} in {in_accounts}",
            thousands(c),
            plural(h, "high finding", "high findings")
        ),
    };
    let how_bad = format!(
        "{how_bad} ({} medium, {} low, {} info)",
        thousands(count(Severity::Medium)),
        thousands(count(Severity::Low)),
        thousands(count(Severity::Info))
    );
    assert!(
        between(verdict, "<p class=\"verdict-findings\">", "</p>").contains(&how_bad),
        "{how_bad:?} not in {verdict}"
    );
    for s in Severity::ALL {
        let badge = format!(
            "<span class=\"badge sev-{s}\">{s}</span><span class=\"n\">{}</span>",
            thousands(count(s))
        );
        assert!(verdict.contains(&badge), "{badge:?} not in {verdict}");
    }
    let scope = between(verdict, "<p class=\"verdict-scope\">", "</p>");
    let scanned = report.accounts.iter().filter(|a| a.scanned).count();
    let completeness = format!(
        "Scanned {} of {} accounts",
        thousands(scanned),
        thousands(report.accounts.len())
    );
    assert!(
        scope.starts_with(&completeness),
        "{completeness:?} does not open {scope:?}"
    );
    let unreadable: BTreeSet<&str> = gaps
        .iter()
        .filter(|c| c.region.is_none() && c.check_id.is_none())
        .filter(|c| c.status == CoverageStatus::Failed)
        .map(|c| c.account_id.as_str())
        .collect();
    if !unreadable.is_empty() {
        let said = format!(
            "{} could not be read",
            plural(unreadable.len(), "account", "accounts")
        );
        assert!(scope.contains(&said), "{said:?} not in {scope:?}");
    }
    if gaps.is_empty() {
        assert!(scope.contains("every account, region and check was read"));
    } else {
        assert!(verdict.contains("data-complete=\"false\""));
        assert!(scope.contains("<a href=\"#coverage\">"), "{scope}");
    }
    let level = if critical > 0 {
        "fire"
    } else if high > 0 || !gaps.is_empty() {
        "warn"
    } else {
        "ok"
    };
    assert!(verdict.contains(&format!("class=\"verdict verdict-{level}\"")));

    // --- The triage list: the critical and high findings, one line per resource, in the
    // plan's order (the order of the steps in plan.md), grouped by account, the accounts
    // in the order of their first step.
    let plan = plan_markdown(report);
    let plan_order: Vec<&str> = plan
        .match_indices("<a id=\"step-")
        .map(|(i, m)| {
            let rest = &plan[i + m.len()..];
            &rest[..position(rest, "\"")]
        })
        .collect();
    let rank: HashMap<&str, usize> = plan_order
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let by_id: HashMap<&str, &Finding> = active.iter().map(|f| (f.id.as_str(), *f)).collect();
    let mut resources = HashSet::new();
    let expected: Vec<&Finding> = plan_order
        .iter()
        .filter_map(|id| by_id.get(id).copied())
        .filter(|f| f.severity >= Severity::High)
        .filter(|f| {
            resources.insert((
                f.account_id.as_str(),
                f.region.as_str(),
                f.resource_type.as_str(),
                f.resource_id.as_str(),
            ))
        })
        .collect();
    assert_eq!(
        expected.len(),
        active
            .iter()
            .filter(|f| f.severity >= Severity::High)
            .map(|f| (&f.account_id, &f.region, &f.resource_type, &f.resource_id))
            .collect::<HashSet<_>>()
            .len(),
        "every critical and high finding has a step in plan.md"
    );
    let triage = section(html, "triage");
    let (open, folded) = match triage.find("<details id=\"triage-later\"") {
        Some(at) => (&triage[..at], &triage[at..]),
        None => (triage, ""),
    };
    let (open, folded) = (triage_blocks(open), triage_blocks(folded));
    let shown: Vec<&str> = open
        .iter()
        .chain(&folded)
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect();
    let shown_set: BTreeSet<&str> = shown.iter().copied().collect();
    assert_eq!(shown.len(), shown_set.len(), "a triage line is repeated");
    assert_eq!(
        shown_set,
        expected
            .iter()
            .map(|f| f.id.as_str())
            .collect::<BTreeSet<_>>(),
        "the triage lines are not the critical and high resources"
    );
    assert_eq!(
        triage.matches("class=\"triage-item\"").count(),
        expected.len()
    );
    // What to do first is the plan's first step (a critical containment in the demo).
    let first = expected
        .first()
        .expect("the demo has critical or high findings");
    assert_eq!(
        open[0].1[0], first.id,
        "the triage does not start with the plan"
    );
    if let Some(top) = active.iter().map(|f| f.severity).max() {
        assert_eq!(
            first.severity, top,
            "the plan does not start with the worst"
        );
    }
    let account_order: Vec<&str> = expected.iter().fold(Vec::new(), |mut order, f| {
        if !order.contains(&f.account_id.as_str()) {
            order.push(f.account_id.as_str());
        }
        order
    });
    for (part, blocks) in [("open", &open), ("folded", &folded)] {
        let accounts: Vec<usize> = blocks
            .iter()
            .map(|(account, _)| position_of(&account_order, account))
            .collect();
        assert!(
            accounts.windows(2).all(|w| w[0] < w[1]),
            "the {part} triage's accounts are not in the order of their first step: {blocks:?}"
        );
        for (account, ids) in blocks.iter() {
            let ranks: Vec<usize> = ids.iter().map(|id| rank[id]).collect();
            assert!(
                ranks.windows(2).all(|w| w[0] < w[1]),
                "account {account}'s triage lines are not in the plan's order: {ids:?}"
            );
            for id in ids {
                let f = by_id[id];
                assert_eq!(f.account_id, **account, "{id} is under the wrong account");
                let line = &triage[position(triage, &format!("data-finding=\"{id}\""))..];
                let line = &line[..position(line, "</li>")];
                assert!(line.contains(&format!("href=\"#finding-{id}\"")), "{line}");
                assert!(
                    line.contains(&format!("href=\"plan.html#step-{id}\"")),
                    "{line}"
                );
                assert!(
                    line.contains(&format!(
                        "<span class=\"phase\">{}</span>",
                        plan_phase(&f.check_id)
                    )),
                    "{line}"
                );
                assert!(
                    html.contains(&format!("id=\"finding-{id}\"")),
                    "no details for {id}"
                );
            }
        }
    }
    // The open part is the head of the plan (plus every critical); the rest is folded.
    let folded_ids: Vec<&str> = folded
        .iter()
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect();
    if let Some(first_folded) = folded_ids.iter().map(|id| rank[id]).min() {
        for (_, ids) in &open {
            for id in ids {
                assert!(
                    by_id[id].severity == Severity::Critical || rank[id] < first_folded,
                    "{id} is open though an earlier step is folded"
                );
            }
        }
    }
    for id in &folded_ids {
        assert_ne!(
            by_id[id].severity,
            Severity::Critical,
            "a critical is folded: {id}"
        );
    }

    // --- Coverage: one row per cause, with its counts, and every gap inside one of them.
    let coverage = section(html, "coverage");
    let causes: BTreeSet<(CoverageStatus, u8, String)> = gaps.iter().map(|c| cause_of(c)).collect();
    let rows: Vec<&str> = coverage.split("<tr class=\"cause").skip(1).collect();
    assert_eq!(rows.len(), causes.len(), "{coverage}");
    assert!(
        coverage.contains(&format!(
            "{} part(s) of the organization were not fully scanned, from {} cause(s)",
            gaps.len(),
            causes.len()
        )),
        "{coverage}"
    );
    let mut shown_scopes: Vec<Scope> = Vec::new();
    let mut summaries = BTreeSet::new();
    for row in &rows {
        let status = between(row, "data-status=\"", "\"");
        let summary = between(row, "<summary>", "</summary>");
        assert!(
            summaries.insert(summary),
            "two rows for one cause: {summary}"
        );
        let headline = between(summary, "<strong>", "</strong>");
        let body = between(row, "<table class=\"scopes\">", "</table>");
        let scopes: Vec<Scope> = body
            .split("<tr>")
            .skip(2) // the text before the head, and the head
            .map(|tr| {
                let cells: Vec<&str> = tr
                    .split("<td>")
                    .skip(1)
                    .map(|td| &td[..position(td, "</td>")])
                    .collect();
                assert_eq!(cells.len(), 4, "{tr}");
                let check = cells[2]
                    .strip_prefix("<code>")
                    .and_then(|c| c.strip_suffix("</code>"))
                    .unwrap_or(cells[2]);
                (
                    status.to_owned(),
                    between(cells[0], "<code>", "</code>").to_owned(),
                    cells[1].to_owned(),
                    check.to_owned(),
                )
            })
            .collect();
        assert!(!scopes.is_empty(), "{row}");
        assert!(
            !row.contains("more scopes with this cause"),
            "the demo's causes fit their tables: {headline}"
        );
        let distinct = |pick: fn(&Scope) -> &str| -> usize {
            scopes
                .iter()
                .map(pick)
                .filter(|v| !["all regions", "account-wide", "all checks"].contains(v))
                .collect::<BTreeSet<_>>()
                .len()
        };
        assert_eq!(
            count_of(headline, "account"),
            Some(distinct(|s| s.1.as_str())),
            "the accounts of {headline:?}"
        );
        if let Some(regions) = count_of(headline, "region") {
            assert_eq!(
                regions,
                distinct(|s| s.2.as_str()),
                "the regions of {headline:?}"
            );
        }
        match count_of(headline, "check") {
            Some(checks) => assert_eq!(
                checks,
                distinct(|s| s.3.as_str()),
                "the checks of {headline:?}"
            ),
            None if distinct(|s| s.3.as_str()) > 0 => {
                assert_eq!(distinct(|s| s.3.as_str()), 1, "{headline:?}");
                assert!(headline.contains(&scopes[0].3), "{headline:?}");
            }
            None => {}
        }
        shown_scopes.extend(scopes);
    }
    let mut in_json: Vec<Scope> = gaps.iter().map(|c| scope_of(c)).collect();
    in_json.sort();
    shown_scopes.sort();
    assert_eq!(
        shown_scopes, in_json,
        "the coverage table is not the report's gaps"
    );
    // The accounts that could not be read at all come first, open.
    if !unreadable.is_empty() {
        assert!(rows[0].starts_with(" blocking\""), "{}", rows[0]);
        assert!(rows[0].contains("<details open>"));
    }
    // Skipped checks say how to configure them.
    for c in gaps.iter().filter(|c| c.status == CoverageStatus::Skipped) {
        if let Some(check) = &c.check_id {
            assert!(
                coverage.contains(&format!("<li><code>{check}</code>: ")),
                "no how-to for {check}"
            );
        }
    }

    // --- The matrix: one row per account of the report, the counts of report.json.
    let matrix = section(html, "matrix");
    let head: Vec<&str> = between(matrix, "<thead>", "</thead>")
        .split("<button")
        .skip(1)
        .map(|b| between(b, ">", "</button>"))
        .collect();
    let mut columns = vec!["Account"];
    columns.extend(Severity::ALL.iter().map(|s| s.as_str()));
    columns.extend(["total", "coverage"]);
    assert_eq!(head, columns);
    let mut counts: BTreeMap<&str, [usize; 5]> = report
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), [0; 5]))
        .collect();
    for f in &active {
        let i = position_of(&Severity::ALL, &f.severity);
        counts.entry(f.account_id.as_str()).or_default()[i] += 1;
    }
    let matrix_rows: Vec<(&str, Vec<&str>)> = matrix
        .split("<tr data-account=\"")
        .skip(1)
        .map(|tr| {
            (
                &tr[..position(tr, "\"")],
                attr_values(&tr[..position(tr, "</tr>")], "data-v"),
            )
        })
        .collect();
    assert_eq!(
        matrix_rows.iter().map(|(a, _)| *a).collect::<BTreeSet<_>>(),
        counts.keys().copied().collect::<BTreeSet<_>>(),
        "the matrix's accounts are not the report's"
    );
    assert_eq!(matrix_rows.len(), counts.len(), "an account has two rows");
    let mut previous: Option<[usize; 5]> = None;
    for (account, values) in &matrix_rows {
        let expected = counts[account];
        assert_eq!(values.len(), 8, "{account}: {values:?}");
        assert_eq!(values[0], *account);
        let shown: Vec<usize> = values[1..7]
            .iter()
            .map(|v| v.parse().expect("a count"))
            .collect();
        assert_eq!(shown[..5], expected, "the counts of {account}");
        assert_eq!(
            shown[5],
            expected.iter().sum::<usize>(),
            "the total of {account}"
        );
        let row = between(matrix, &format!("<tr data-account=\"{account}\""), "</tr>");
        let scanned = report
            .accounts
            .iter()
            .find(|a| a.account_id == *account)
            .is_none_or(|a| a.scanned);
        let coverage = if !scanned {
            "not-scanned"
        } else if gaps.iter().any(|c| c.account_id == *account) {
            "partial"
        } else {
            "complete"
        };
        assert!(
            row.contains(&format!("badge cov-{coverage}")),
            "{account}: {row}"
        );
        // Worst first.
        if let Some(before) = previous {
            assert!(before >= expected, "{account} is above a worse account");
        }
        previous = Some(expected);
    }

    // And in that order down the page.
    let at = |id: &str| position(html, &format!("<section id=\"{id}\""));
    assert!(at("verdict") < at("triage"));
    assert!(at("triage") < at("matrix"));
    assert!(at("matrix") < at("coverage"));
    assert!(at("coverage") < at("findings"));
}

fn position_of<T: PartialEq>(items: &[T], item: &T) -> usize {
    items
        .iter()
        .position(|i| i == item)
        .expect("an item of the list")
}
