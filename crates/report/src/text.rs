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

/// The diff as lines: `+` new, `~` changed (new evidence), `-` resolved or disappeared,
/// `?` not re-checked (this scan could not see the scope, so nothing is known to be gone),
/// then a summary line. Headings appear only above lines. Values from AWS are printed as
/// they are; control characters are replaced so a hostile tag cannot rewrite the terminal.
pub fn diff_text(diff: &ReportDiff) -> String {
    let mut out = String::new();
    let since = diff
        .previous_started_at
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.to_offset(time::UtcOffset::UTC)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "the previous report".to_owned());
    let _ = writeln!(out, "changes since {since}");
    let findings: [(char, &[Finding]); 4] = [
        ('+', &diff.new_findings),
        ('~', &diff.changed_findings),
        ('-', &diff.resolved_findings),
        ('?', &diff.not_rechecked_findings),
    ];
    if findings.iter().any(|(_, list)| !list.is_empty()) {
        let _ = writeln!(out, "findings:");
        for (mark, list) in findings {
            for f in list {
                finding_line(&mut out, mark, f);
            }
        }
    }
    let items: [(char, &[InventoryItem]); 3] = [
        ('+', &diff.appeared),
        ('-', &diff.disappeared),
        ('?', &diff.not_rechecked_resources),
    ];
    if items.iter().any(|(_, list)| !list.is_empty()) {
        let _ = writeln!(out, "resources:");
        for (mark, list) in items {
            for i in list {
                item_line(&mut out, mark, i);
            }
        }
    }
    let _ = writeln!(
        out,
        "{} new, {} changed, {} resolved, {} not re-checked, {} unchanged findings; {} resources appeared, {} disappeared, {} not re-checked",
        diff.new_findings.len(),
        diff.changed_findings.len(),
        diff.resolved_findings.len(),
        diff.not_rechecked_findings.len(),
        diff.unchanged_findings,
        diff.appeared.len(),
        diff.disappeared.len(),
        diff.not_rechecked_resources.len()
    );
    if !diff.not_rechecked_findings.is_empty() || !diff.not_rechecked_resources.is_empty() {
        let _ = writeln!(
            out,
            "? = not re-checked: the newer scan could not read that account, region or check, so these are not known to be gone"
        );
    }
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
