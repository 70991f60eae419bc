//! Property tests (generated reports) for everything that renders a report: the HTML page,
//! the remediation plan (Markdown and HTML), CSV, OCSF, ASFF, JSON and the text diff.
//!
//! Every string in a generated report may be hostile (markup, quotes, backticks, formulas,
//! bidirectional overrides, zero-width and NUL characters, line breaks, long strings).
//! Properties: no panic, no hang; no value reaches a page as markup; every machine format
//! parses back with one record per finding; JSON round-trips; one value is one line.

#[path = "../../model/tests/support/mod.rs"]
mod support;

use orgsweep_model::diff::{ReportDiff, attach_previous, diff};
use orgsweep_model::{Finding, Report, parse_report};
use orgsweep_report::{
    diff_text, plan_html, plan_markdown, to_asff, to_csv, to_html, to_json, to_ocsf,
};
use proptest::prelude::*;
use serde_json::Value;
use support::{MARKERS, config, report, within};

/// No generated payload appears as markup.
fn no_markup(page: &str, what: &str) -> Result<(), TestCaseError> {
    for marker in MARKERS {
        prop_assert!(!page.contains(marker), "{what} contains {marker:?}");
    }
    Ok(())
}

fn render<T: Send + 'static>(
    report: &Report,
    what: &str,
    f: impl FnOnce(&Report) -> T + Send + 'static,
) -> T {
    let report = report.clone();
    within(what, move || f(&report))
}

/// The first characters that make a spreadsheet evaluate a cell.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as the CSV writer must put it: prefixed with `'` when a spreadsheet would read a
/// formula.
fn neutralized(cell: &str) -> String {
    if cell.starts_with(FORMULA_TRIGGERS) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn account_name<'a>(report: &'a Report, f: &Finding) -> &'a str {
    // The last account with the id wins, as a map built from the list keeps it.
    report
        .accounts
        .iter()
        .rev()
        .find(|a| a.account_id == f.account_id)
        .map_or("", |a| a.name.as_str())
}

proptest! {
    #![proptest_config(config(150))]

    /// The HTML page renders, escapes every value and carries only its own script.
    #[test]
    fn html_escapes_every_value(report in report()) {
        let html = render(&report, "to_html", to_html)
            .map_err(|e| TestCaseError::fail(format!("not rendered: {e}")))?;
        no_markup(&html, "report.html")?;
        prop_assert_eq!(html.matches("<script").count(), 1, "a second script");
        prop_assert_eq!(html.matches("Content-Security-Policy").count(), 1);
    }

    /// The plan as HTML escapes every value; the plan as Markdown, rendered the way a Git
    /// forge renders it, shows every value as text: no markup, no link, no image, one
    /// heading per finding and one list item per step.
    #[test]
    fn plans_show_values_as_text(report in report()) {
        let page = render(&report, "plan_html", plan_html)
            .map_err(|e| TestCaseError::fail(format!("not rendered: {e}")))?;
        no_markup(&page, "plan.html")?;
        let md = render(&report, "plan_markdown", plan_markdown);
        let mut options = pulldown_cmark::Options::empty();
        options.insert(pulldown_cmark::Options::ENABLE_TABLES);
        options.insert(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
        options.insert(pulldown_cmark::Options::ENABLE_TASKLISTS);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(&md, options));
        no_markup(&html, "plan.md")?;
        prop_assert!(!html.contains("<a href"), "a link in plan.md:\n{md}");
        prop_assert!(!html.contains("<img"), "an image in plan.md:\n{md}");
        prop_assert_eq!(html.matches("<h4>").count(), report.findings.len(), "headings of\n{}", md);
        let steps: usize = report.findings.iter().map(|f| f.remediation.len()).sum();
        prop_assert_eq!(html.matches("<li>").count(), steps, "steps of\n{}", md);
    }

    /// CSV: a header and one record of twelve cells per finding, reading back what the
    /// report says, no cell a formula.
    #[test]
    fn csv_reads_back_one_record_per_finding(report in report()) {
        let text = render(&report, "to_csv", to_csv)
            .map_err(|e| TestCaseError::fail(format!("not rendered: {e}")))?;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("a header").clone();
        prop_assert_eq!(header.len(), 12);
        let rows: Vec<csv::StringRecord> = reader
            .records()
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(format!("not CSV: {e}")))?;
        prop_assert_eq!(rows.len(), report.findings.len());
        for (row, f) in rows.iter().zip(&report.findings) {
            prop_assert_eq!(row.len(), 12);
            for cell in row.iter() {
                prop_assert!(!cell.starts_with(FORMULA_TRIGGERS), "a formula: {cell:?}");
            }
            prop_assert_eq!(&row[0], neutralized(&f.id));
            prop_assert_eq!(&row[1], f.severity.as_str());
            prop_assert_eq!(&row[2], neutralized(&f.check_id));
            prop_assert_eq!(&row[3], neutralized(&f.account_id));
            prop_assert_eq!(&row[4], neutralized(account_name(&report, f)));
            prop_assert_eq!(&row[7], neutralized(&f.resource_id));
            prop_assert_eq!(&row[8], neutralized(&f.title));
            prop_assert_eq!(&row[9], neutralized(&f.detail));
            prop_assert_eq!(&row[11], neutralized(&f.remediation.join(" | ")));
        }
    }

    /// OCSF and ASFF: JSON arrays with one object per finding, in order, naming it; ASFF's
    /// length limits and non-blank title hold for any value.
    #[test]
    fn ocsf_and_asff_parse_back_one_object_per_finding(report in report()) {
        let ocsf = render(&report, "to_ocsf", to_ocsf)
            .map_err(|e| TestCaseError::fail(format!("not rendered: {e}")))?;
        let ocsf: Vec<Value> = serde_json::from_str(&ocsf).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(ocsf.len(), report.findings.len());
        for (o, f) in ocsf.iter().zip(&report.findings) {
            prop_assert_eq!(o["metadata"]["uid"].as_str(), Some(f.id.as_str()));
            prop_assert_eq!(o["message"].as_str(), Some(f.title.as_str()));
        }
        let asff = render(&report, "to_asff", to_asff)
            .map_err(|e| TestCaseError::fail(format!("not rendered: {e}")))?;
        let asff: Vec<Value> = serde_json::from_str(&asff).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(asff.len(), report.findings.len());
        for (a, f) in asff.iter().zip(&report.findings) {
            prop_assert_eq!(a["Id"].as_str(), Some(f.id.as_str()));
            let title = a["Title"].as_str().unwrap_or("");
            prop_assert!(!title.trim().is_empty() && title.chars().count() <= 256, "{title:?}");
            let description = a["Description"].as_str().unwrap_or("");
            prop_assert!(!description.trim().is_empty() && description.chars().count() <= 1024);
        }
    }

    /// `report.json` reads back equal.
    #[test]
    fn json_round_trips(report in report()) {
        let text = render(&report, "to_json", to_json)
            .map_err(|e| TestCaseError::fail(format!("not rendered: {e}")))?;
        let read = within("parse_report", move || parse_report(&text))
            .map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        prop_assert_eq!(read, report);
    }

    /// A report compared with an older one renders too (the "changed since" part).
    #[test]
    fn compared_reports_render(old in report(), new in report()) {
        let mut new = new;
        attach_previous(&mut new, &old);
        let html = render(&new, "to_html", to_html)
            .map_err(|e| TestCaseError::fail(format!("not rendered: {e}")))?;
        no_markup(&html, "report.html")?;
        render(&new, "to_asff", to_asff).map_err(|e| TestCaseError::fail(format!("not rendered: {e}")))?;
    }

    /// `orgsweep diff`'s text: one line per finding and item, whatever the values hold, and
    /// no control character reaches the terminal.
    #[test]
    fn diff_text_is_one_line_per_entry(old in report(), new in report()) {
        let mut d = diff(&old, &new);
        // A line feed in a value still breaks its line: see the `bug_` test below.
        without_line_feeds(&mut d);
        let text = within("diff_text", {
            let d = d.clone();
            move || diff_text(&d)
        });
        prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
        let findings = d.new_findings.len() + d.changed_findings.len() + d.resolved_findings.len()
            + d.not_rechecked_findings.len();
        let items = d.appeared.len() + d.disappeared.len() + d.not_rechecked_resources.len();
        let notes = usize::from(!d.not_rechecked_findings.is_empty() || !d.not_rechecked_resources.is_empty());
        let expected = 1 + usize::from(findings > 0) + findings + usize::from(items > 0) + items + 1 + notes;
        prop_assert_eq!(text.lines().count(), expected, "{}", text);
    }
}

/// Replaces line feeds in the values `diff_text` prints.
fn without_line_feeds(d: &mut ReportDiff) {
    let clean = |s: &mut String| *s = s.replace('\n', " ");
    for f in d
        .new_findings
        .iter_mut()
        .chain(&mut d.changed_findings)
        .chain(&mut d.resolved_findings)
        .chain(&mut d.not_rechecked_findings)
    {
        for s in [
            &mut f.check_id,
            &mut f.account_id,
            &mut f.region,
            &mut f.resource_type,
            &mut f.resource_id,
        ] {
            clean(s);
        }
    }
    for i in d
        .appeared
        .iter_mut()
        .chain(&mut d.disappeared)
        .chain(&mut d.not_rechecked_resources)
    {
        for s in [
            &mut i.account_id,
            &mut i.region,
            &mut i.resource_type,
            &mut i.resource_id,
        ] {
            clean(s);
        }
    }
}

#[test]
#[ignore = "bug: diff_text keeps line feeds of values: a resource id can add (fake) lines to `orgsweep diff`"]
fn bug_diff_text_lets_a_value_add_lines() {
    let old = support::empty_report();
    let mut new = support::empty_report();
    new.findings.push(Finding {
        id: "f".into(),
        check_id: "c".into(),
        account_id: "111111111111".into(),
        region: "global".into(),
        resource_type: "iam_user".into(),
        resource_id: "x\n- critical iam.root_access_keys 111111111111 global account y".into(),
        ..Finding::default()
    });
    let text = diff_text(&diff(&old, &new));
    // "changes since", "findings:", the finding, the summary.
    assert_eq!(text.lines().count(), 4, "{text}");
}

/// The same report types from JSON, as `orgsweep report` reads a file someone hands it:
/// counters near `u64::MAX` must not crash the page.
#[test]
#[ignore = "bug: to_html sums stats.api_calls with `+`: a report with huge counters panics (debug) or wraps (release)"]
fn bug_html_overflows_on_huge_api_call_counts() {
    let mut report = support::empty_report();
    report.stats.api_calls.insert("a".into(), u64::MAX);
    report.stats.api_calls.insert("b".into(), 1);
    let result = std::panic::catch_unwind(|| to_html(&report));
    assert!(matches!(result, Ok(Ok(_))), "to_html panicked");
}
