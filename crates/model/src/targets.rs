//! One report from the scans of several targets (`scan --targets`): organizations and
//! standalone accounts, each reached with its own credentials and belonging to a customer.
//! Every account is labelled with its customer and target, so the report can be read per
//! customer; a target that could not be scanned is a coverage gap, never a silently shorter
//! report.

use crate::merge::absorb;
use crate::{Coverage, CoverageStatus, Report, Run, Target};

/// What one target gave: its report, or why it has none (`target.error`).
#[derive(Debug, Clone)]
pub struct TargetPart {
    pub target: Target,
    pub report: Option<Report>,
}

/// Combines the targets' reports. `run` carries what every target shares (times, window,
/// expected regions, scope); the organization-specific fields stay empty, since each target
/// has its own (they are in `run.targets`).
pub fn combine(run: Run, parts: Vec<TargetPart>) -> Report {
    let mut combined = Report::new(Run {
        management_account_id: String::new(),
        caller_arn: None,
        organization_id: None,
        events_source: None,
        shard: None,
        targets: Vec::new(),
        ..run
    });
    for TargetPart { mut target, report } in parts {
        match report {
            Some(mut report) => {
                for account in &mut report.accounts {
                    account.customer = Some(target.customer.clone());
                    account.target = Some(target.name.clone());
                }
                target.accounts = report.accounts.len();
                target
                    .organization_id
                    .clone_from(&report.run.organization_id);
                if !report.run.management_account_id.is_empty() {
                    target.account_id = Some(report.run.management_account_id.clone());
                }
                target.caller_arn.clone_from(&report.run.caller_arn);
                absorb(&mut combined, report);
            }
            None => {
                let why = target.error.as_deref().unwrap_or("not scanned");
                combined.coverage.push(Coverage {
                    account_id: target.account_id.clone().unwrap_or_default(),
                    region: None,
                    check_id: None,
                    status: CoverageStatus::Failed,
                    error: Some(format!(
                        "target {} ({}) could not be scanned: {why}",
                        target.name, target.customer
                    )),
                });
            }
        }
        combined.run.targets.push(target);
    }
    combined.sort();
    combined
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{finding, report};
    use crate::{Account, TargetKind};

    fn target(name: &str, customer: &str, error: Option<&str>) -> Target {
        Target {
            name: name.to_owned(),
            customer: customer.to_owned(),
            kind: TargetKind::Organization,
            organization_id: None,
            account_id: None,
            caller_arn: None,
            accounts: 0,
            error: error.map(str::to_owned),
        }
    }

    fn scanned(management: &str, member: &str) -> Report {
        let mut r = report(vec![finding(member)], Vec::new());
        r.run.management_account_id = management.to_owned();
        r.run.organization_id = Some(format!("o-{management}"));
        r.run.events_source = Some("cloudtrail:LookupEvents".to_owned());
        r.accounts = [management, member]
            .iter()
            .map(|id| Account {
                account_id: (*id).to_owned(),
                scanned: true,
                ..Account::default()
            })
            .collect();
        r.coverage.clear();
        r.stats.api_calls.insert("sts.AssumeRole".to_owned(), 2);
        r
    }

    #[test]
    fn accounts_carry_their_customer_and_an_unreachable_target_is_a_gap() {
        let combined = combine(
            Run::default(),
            vec![
                TargetPart {
                    target: target("acme", "ACME Corp", None),
                    report: Some(scanned("111111111111", "111111111112")),
                },
                TargetPart {
                    target: target("globex", "Globex", None),
                    report: Some(scanned("222222222222", "222222222223")),
                },
                TargetPart {
                    target: target(
                        "initech",
                        "Initech",
                        Some("profile 'initech' gives no credentials"),
                    ),
                    report: None,
                },
            ],
        );
        assert_eq!(combined.accounts.len(), 4);
        let customer_of = |id: &str| {
            combined
                .accounts
                .iter()
                .find(|a| a.account_id == id)
                .and_then(|a| a.customer.clone())
        };
        assert_eq!(customer_of("111111111112").as_deref(), Some("ACME Corp"));
        assert_eq!(customer_of("222222222222").as_deref(), Some("Globex"));
        assert_eq!(combined.findings.len(), 2);
        assert_eq!(combined.stats.api_calls.get("sts.AssumeRole"), Some(&4));
        assert_eq!(combined.run.targets.len(), 3);
        let acme = &combined.run.targets[0];
        assert_eq!(acme.accounts, 2);
        assert_eq!(acme.organization_id.as_deref(), Some("o-111111111111"));
        assert_eq!(acme.account_id.as_deref(), Some("111111111111"));
        assert!(combined.run.management_account_id.is_empty());
        assert_eq!(
            combined.run.events_source.as_deref(),
            Some("cloudtrail:LookupEvents"),
            "one source named once"
        );
        let gaps: Vec<&Coverage> = combined
            .coverage
            .iter()
            .filter(|c| c.status == CoverageStatus::Failed)
            .collect();
        assert_eq!(gaps.len(), 1);
        let gap = gaps[0].error.as_deref().unwrap_or_default();
        assert!(
            gap.contains("initech (Initech)") && gap.contains("no credentials"),
            "{gap}"
        );
    }
}
