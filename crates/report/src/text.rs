//! Plain text for terminals and CI logs: `orgsweep diff`.

use std::fmt::Write as _;

use orgsweep_model::diff::ReportDiff;
use orgsweep_model::{Finding, InventoryItem};

fn finding_line(out: &mut String, mark: char, f: &Finding) {
    let _ = writeln!(
        out,
        "{mark} {:<8} {:<36} {} {:<14} {} {}",
        f.severity.as_str(),
        f.check_id,
        f.account_id,
        f.region,
        f.resource_type,
        f.resource_id
    );
}

fn item_line(out: &mut String, mark: char, i: &InventoryItem) {
    let _ = writeln!(
        out,
        "{mark} {} {:<14} {} {}",
        i.account_id, i.region, i.resource_type, i.resource_id
    );
}

/// The diff as lines: `+` new, `-` resolved or disappeared, then a summary line. Values
/// from AWS are printed as they are; control characters are replaced so a hostile tag
/// cannot rewrite the terminal.
pub fn diff_text(diff: &ReportDiff) -> String {
    let mut out = String::new();
    let since = diff
        .previous_started_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "the previous report".to_owned());
    let _ = writeln!(out, "changes since {since}");
    let _ = writeln!(out, "findings:");
    for f in &diff.new_findings {
        finding_line(&mut out, '+', f);
    }
    for f in &diff.resolved_findings {
        finding_line(&mut out, '-', f);
    }
    let _ = writeln!(out, "resources:");
    for i in &diff.appeared {
        item_line(&mut out, '+', i);
    }
    for i in &diff.disappeared {
        item_line(&mut out, '-', i);
    }
    let _ = writeln!(
        out,
        "{} new, {} resolved, {} unchanged findings; {} resources appeared, {} disappeared",
        diff.new_findings.len(),
        diff.resolved_findings.len(),
        diff.unchanged_findings,
        diff.appeared.len(),
        diff.disappeared.len()
    );
    out.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;

    #[test]
    fn lists_changes_and_neutralises_control_characters() {
        let old = sample_report();
        let mut new = sample_report();
        let resolved = new.findings.remove(0);
        new.inventory[0].resource_id = "i-\u{1b}[2Jnew".to_owned();
        let text = diff_text(&orgsweep_model::diff::diff(&old, &new));
        assert!(
            text.contains(&format!("- {}", resolved.severity.as_str())),
            "{text}"
        );
        assert!(text.contains("+ "), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(
            text.lines()
                .last()
                .is_some_and(|l| l.contains("1 resolved")
                    && l.contains("1 resources appeared, 1 disappeared")),
            "{text}"
        );
    }
}
