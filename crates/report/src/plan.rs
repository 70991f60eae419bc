//! The remediation runbook (`orgsweep plan`): every finding's steps, grouped by account and
//! ordered the way AWS's incident guidance works through a compromise — contain credentials,
//! review activity, deal with resources, fix account details, secure root last — each step
//! a checkbox, steps that need a person marked as such.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use askama::Template;
use orgsweep_model::{Finding, Report};

use crate::RenderError;

/// The guidance's order; a check belongs to the first phase whose prefix matches.
const PHASES: &[(&str, &[&str])] = &[
    (
        "Contain credentials",
        &[
            "iam.quarantine_policy_attached",
            "iam.root_access_keys",
            "iam.access_key_recently_created",
            "iam.unknown_principal",
            "iam.role_trusts_external_account",
            "iam.principal_recently_created",
            "iam.console_user_without_mfa",
            "iam.access_key_not_rotated",
            "iam.access_key_unused",
        ],
    ),
    (
        "Review activity",
        &["cloudtrail.", "iam.root_recently_used"],
    ),
    ("Resources", &["resources.", "config."]),
    ("Account details", &["account."]),
    ("Root MFA", &["iam.root_mfa_disabled"]),
];
const OTHER_PHASE: &str = "Other";

fn phase_of(check_id: &str) -> usize {
    PHASES
        .iter()
        .position(|(_, ids)| ids.iter().any(|id| check_id.starts_with(id)))
        .unwrap_or(PHASES.len())
}

fn phase_name(index: usize) -> &'static str {
    PHASES.get(index).map_or(OTHER_PHASE, |(name, _)| name)
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

struct Phase<'a> {
    name: &'static str,
    findings: Vec<&'a Finding>,
}

struct AccountPlan<'a> {
    account_id: &'a str,
    name: &'a str,
    phases: Vec<Phase<'a>>,
}

fn accounts<'a>(report: &'a Report) -> Vec<AccountPlan<'a>> {
    let names: BTreeMap<&str, &str> = report
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.name.as_str()))
        .collect();
    let mut by_account: BTreeMap<&str, BTreeMap<usize, Vec<&Finding>>> = BTreeMap::new();
    for f in &report.findings {
        by_account
            .entry(&f.account_id)
            .or_default()
            .entry(phase_of(&f.check_id))
            .or_default()
            .push(f);
    }
    by_account
        .into_iter()
        .map(|(account_id, phases)| AccountPlan {
            account_id,
            name: names.get(account_id).copied().unwrap_or(""),
            phases: phases
                .into_iter()
                .map(|(i, findings)| Phase {
                    name: phase_name(i),
                    findings,
                })
                .collect(),
        })
        .collect()
}

/// The plan as Markdown with `- [ ]` checkboxes. Values from AWS are put in code spans
/// with backticks removed, so they cannot turn into links or markup.
pub fn plan_markdown(report: &Report) -> String {
    let code = |s: &str| format!("`{}`", s.replace('`', "'").replace('\n', " "));
    let text = |s: &str| {
        s.replace(['\n', '\r'], " ")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Remediation plan for organization {}\n\nFrom the scan started {}. Work through each account top to bottom; steps marked **[person]** need a human decision or sign-in.\n",
        report.run.management_account_id,
        report
            .run
            .started_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    );
    for account in accounts(report) {
        let _ = writeln!(
            out,
            "## Account {} {}\n",
            code(account.account_id),
            text(account.name)
        );
        for phase in account.phases {
            let _ = writeln!(out, "### {}\n", phase.name);
            for f in phase.findings {
                let _ = writeln!(
                    out,
                    "<a id=\"{}\"></a>\n#### [{}] {} ({}, {})\n",
                    step_anchor(f),
                    f.severity.as_str(),
                    text(&f.title),
                    code(&f.check_id),
                    code(&f.region)
                );
                for step in &f.remediation {
                    let person = if needs_person(step) {
                        "**[person]** "
                    } else {
                        ""
                    };
                    let _ = writeln!(out, "- [ ] {person}{}", text(step));
                }
                let _ = writeln!(out);
            }
        }
    }
    out
}

#[derive(Template)]
#[template(path = "plan.html", whitespace = "minimize")]
struct PlanPage<'a> {
    management_account_id: &'a str,
    accounts: Vec<AccountPlan<'a>>,
}

/// The same plan as one self-contained HTML page (escaped like the report).
pub fn plan_html(report: &Report) -> Result<String, RenderError> {
    PlanPage {
        management_account_id: &report.run.management_account_id,
        accounts: accounts(report),
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
    }
}
