//! Intruders use what the organization does not: an account that never paid for SageMaker,
//! Lightsail or GPU instances in one region suddenly does. A service with spend this month
//! and none last month is reported once it passes the minimum.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::spend_common::{
    NEGLIGIBLE_USD, cost_explorer_command, is_judged, month_evidence, usd,
};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct NewServiceSpend;

static META: CheckMeta = CheckMeta {
    id: "billing.new_service_spend",
    title: "Spend on a service the account did not pay for last month",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::CostAndUsage],
    rationale: "Intruders run their workloads on whatever service the stolen credentials \
                allow, often one the account has never used; its first charges are visible \
                in Cost Explorer long before anyone opens that service's console.",
    remediation: &[
        "Confirm with the account owner whether the service was adopted on purpose.",
        "If not, find its resources in Cost Explorer (by region and usage type) and contain them.",
    ],
};

impl Check for NewServiceSpend {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let spend = ctx.account_spend()?;
        let (previous, current) = (&spend.previous_month, &spend.current_month);
        let min = ctx.settings.spend_min_usd;
        let account = ctx.account_id;
        Ok(current
            .services
            .iter()
            .filter(|(service, amount)| {
                let before = previous.services.get(*service).copied().unwrap_or(0.0);
                is_judged(service) && **amount > min && before < NEGLIGIBLE_USD
            })
            .map(|(service, &amount)| {
                let before = previous.services.get(service).copied().unwrap_or(0.0);
                FindingDraft::new(
                    "billing_service",
                    service,
                    format!(
                        "New spend on {service}: {} this month, none last month",
                        usd(amount)
                    ),
                    format!(
                        "In account {account}, {service} cost {} over the {} day(s) of this month so far, and nothing over the {} day(s) of last month.",
                        usd(amount),
                        current.days,
                        previous.days
                    ),
                )
                .evidence("service", service.as_str())
                .evidence("previous_month", month_evidence(previous, before))
                .evidence("current_month", month_evidence(current, amount))
                .evidence("spend_min_usd", min)
                .remediation(vec![
                    format!(
                        "Confirm with the owner of account {account} whether {service} was adopted on purpose this month."
                    ),
                    cost_explorer_command(ctx, current, "SERVICE", service, "REGION"),
                    "If nobody adopted it, contain its resources in those regions (this report's resources.* findings for the account) and treat the credentials that created them as compromised.".to_owned(),
                    format!(
                        "If it should never be used, deny it in a service control policy for the account's OU (a statement denying the service's actions for {account})."
                    ),
                ])
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{evaluate, month, spend};

    #[test]
    fn fires_for_services_absent_or_negligible_last_month() {
        let october = month(
            "2026-10-01",
            31,
            &[
                ("Amazon Elastic Compute Cloud - Compute", 310.0),
                ("AWS Key Management Service", 0.001),
            ],
            &[],
        );
        let november = month(
            "2026-11-01",
            23,
            &[
                ("Amazon Elastic Compute Cloud - Compute", 230.0),
                ("AWS Key Management Service", 40.0),
                ("Amazon SageMaker", 812.5),
                ("Amazon Lightsail", 9.99),
                ("Tax", 120.0),
            ],
            &[],
        );
        let drafts =
            evaluate(&NewServiceSpend, &spend(october, november), "global", &[]).expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["AWS Key Management Service", "Amazon SageMaker"]);
        let sagemaker = &drafts[1];
        assert_eq!(
            sagemaker.title,
            "New spend on Amazon SageMaker: 812.50 USD this month, none last month"
        );
        assert_eq!(sagemaker.evidence["previous_month"]["amount_usd"], 0.0);
        assert_eq!(sagemaker.evidence["previous_month"]["days"], 31);
        assert_eq!(sagemaker.evidence["current_month"]["amount_usd"], 812.5);
        assert_eq!(sagemaker.evidence["current_month"]["daily_rate_usd"], 35.33);
        assert!(sagemaker.remediation[1].contains("\"Values\":[\"Amazon SageMaker\"]"));
    }

    #[test]
    fn without_the_charges_it_fails() {
        let err = evaluate(
            &NewServiceSpend,
            &orgsweep_model::facts::Facts::default(),
            "global",
            &[],
        )
        .unwrap_err();
        assert_eq!(err, CheckError::MissingSource(Source::CostAndUsage));
    }
}
