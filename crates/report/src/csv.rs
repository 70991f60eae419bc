//! `findings.csv`: one row per finding for spreadsheets, ticket imports and `grep`.
//!
//! Columns, in this order (stable: add new ones only at the end):
//!
//! | column          | content                                                          |
//! |-----------------|------------------------------------------------------------------|
//! | `id`            | the finding's stable id (same problem, same resource, same id)   |
//! | `severity`      | `critical`, `high`, `medium`, `low` or `info`                    |
//! | `check_id`      | the check that raised it, e.g. `iam.root_access_keys`            |
//! | `account_id`    | the 12-digit AWS account id                                      |
//! | `account_name`  | the account's name in AWS Organizations (empty when unknown)     |
//! | `region`        | an AWS region, or `global` for account-wide checks               |
//! | `resource_type` | e.g. `iam_user`, `ec2_instance`, `account`                       |
//! | `resource_id`   | the resource's ARN or id                                         |
//! | `title`         | one-line summary                                                 |
//! | `detail`        | full explanation                                                 |
//! | `change`        | `new` or `unchanged` against `--previous`; empty without one     |
//! | `remediation`   | the remediation steps, joined with ` \| `                        |
//!
//! The file is RFC 4180 CSV in UTF-8 with a header row: comma-separated, a field quoted with
//! `"` when it holds a comma, quote or line break (inner quotes doubled), records ended by
//! CRLF.
//!
//! Values come from AWS and so, through tags and names, from whoever controls a compromised
//! account. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
//! prefixed with a single quote `'` so that a spreadsheet shows it as text instead of
//! evaluating it as a formula (OWASP, "CSV Injection"). The quote is visible in the cell:
//! that is the price of opening the file safely.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

use orgsweep_model::{Finding, Report};

use crate::{Format, RenderError};

/// The header row; [`row`] returns the cells in the same order.
pub(crate) const COLUMNS: [&str; 12] = [
    "id",
    "severity",
    "check_id",
    "account_id",
    "account_name",
    "region",
    "resource_type",
    "resource_id",
    "title",
    "detail",
    "change",
    "remediation",
];

/// Separator of the remediation steps in one cell, shared with the other machine formats.
pub(crate) const STEP_SEPARATOR: &str = " | ";

/// Renders the findings as CSV, in the report's order (the caller sorts the report).
pub fn to_csv(report: &Report) -> Result<String, RenderError> {
    let names = account_names(report);
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let fail = |error: ::csv::Error| RenderError::Io {
        action: "render",
        path: PathBuf::from(Format::Csv.file_name()),
        error: io::Error::other(error),
    };
    writer.write_record(COLUMNS).map_err(fail)?;
    for finding in &report.findings {
        let name = names
            .get(finding.account_id.as_str())
            .copied()
            .unwrap_or("");
        writer
            .write_record(
                row(finding, name)
                    .iter()
                    .map(|cell| neutralize(cell).into_owned()),
            )
            .map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| RenderError::Io {
        action: "render",
        path: PathBuf::from(Format::Csv.file_name()),
        error: e.into_error(),
    })?;
    // Every cell is a `&str`, so the buffer is UTF-8; a lossy conversion keeps this
    // infallible without an `unwrap`.
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Account id to name, for the `account_name` column and the other machine formats.
pub(crate) fn account_names(report: &Report) -> HashMap<&str, &str> {
    report
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.name.as_str()))
        .collect()
}

/// The remediation steps as one line.
pub(crate) fn joined_steps(finding: &Finding) -> String {
    finding.remediation.join(STEP_SEPARATOR)
}

/// The `change` value as written in `report.json` (`new`, `unchanged`, ...), or empty.
pub(crate) fn change_name(finding: &Finding) -> String {
    finding
        .change
        .and_then(|change| serde_json::to_value(change).ok())
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn row(finding: &Finding, account_name: &str) -> [String; 12] {
    [
        finding.id.clone(),
        finding.severity.as_str().to_owned(),
        finding.check_id.clone(),
        finding.account_id.clone(),
        account_name.to_owned(),
        finding.region.clone(),
        finding.resource_type.clone(),
        finding.resource_id.clone(),
        finding.title.clone(),
        finding.detail.clone(),
        change_name(finding),
        joined_steps(finding),
    ]
}

/// The first characters that make Excel, LibreOffice or Google Sheets treat a cell as a
/// formula (or, for tab and carriage return, hide a formula behind a separator).
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Prefixes a cell that a spreadsheet would evaluate with `'`, which makes it text.
pub(crate) fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_TRIGGERS) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;

    fn read(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        (header, rows)
    }

    #[test]
    fn header_and_one_row_per_finding_in_report_order() {
        let report = sample_report();
        let text = to_csv(&report).unwrap();
        let (header, rows) = read(&text);
        assert_eq!(header, COLUMNS);
        assert_eq!(rows.len(), report.findings.len());
        for (row, finding) in rows.iter().zip(&report.findings) {
            assert_eq!(row.len(), COLUMNS.len());
            assert_eq!(row[0], finding.id);
            assert_eq!(row[2], finding.check_id);
        }
        let alice = rows.iter().find(|r| r[7] == "alice").unwrap();
        assert_eq!(alice[1], "critical");
        assert_eq!(alice[4], "management");
        assert_eq!(alice[5], "global");
        assert_eq!(alice[10], "new");
        assert_eq!(alice[11], "first step | second step");
        assert!(
            text.starts_with("id,severity,check_id,") && text.ends_with("\r\n"),
            "{text}"
        );
    }

    #[test]
    fn unknown_account_and_no_change_are_empty_cells() {
        let mut report = sample_report();
        report.accounts.clear();
        for finding in &mut report.findings {
            finding.change = None;
        }
        let (_, rows) = read(&to_csv(&report).unwrap());
        assert!(rows.iter().all(|r| r[4].is_empty() && r[10].is_empty()));
    }

    #[test]
    fn neutralize_prefixes_only_formula_triggers() {
        assert_eq!(neutralize("=1+1"), "'=1+1");
        assert_eq!(neutralize("-2"), "'-2");
        assert_eq!(neutralize("\tx"), "'\tx");
        assert_eq!(neutralize("a=b"), "a=b");
        assert_eq!(neutralize(""), "");
        assert_eq!(neutralize("'already"), "'already");
    }
}
