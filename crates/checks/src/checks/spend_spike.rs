//! Mining and other abuse shows up on the bill before anyone looks at a console: a service
//! suddenly costing several times more per day than last month is the clearest sign.
//! Daily rates are compared, not amounts, because this month is only partly over.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::spend_common::{
    NEGLIGIBLE_USD, cost_explorer_command, is_judged, month_evidence, round, usd,
};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct SpendSpike;

static META: CheckMeta = CheckMeta {
    id: "billing.spend_spike",
    title: "A service's daily spend rose sharply this month",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::CostAndUsage],
    rationale: "Intruders run up compute, GPU and data transfer charges; a service whose \
                daily cost multiplies from one month to the next is often the first sign \
                of an intrusion that nothing else reported.",
    remediation: &[
        "Confirm with the account owner whether the rise is expected (a launch, a migration, a load test).",
        "If not, find the resources behind it in Cost Explorer (by region and usage type) and contain them.",
    ],
};

impl Check for SpendSpike {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    /// A service with no spend last month is `billing.new_service_spend`'s, not a spike of
    /// an infinite ratio.
    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let spend = ctx.account_spend()?;
        let (previous, current) = (&spend.previous_month, &spend.current_month);
        let (ratio, min) = (ctx.settings.spend_spike_ratio, ctx.settings.spend_min_usd);
        let mut drafts = Vec::new();
        for (service, &amount) in &current.services {
            let before = previous.services.get(service).copied().unwrap_or(0.0);
            if !is_judged(service) || amount <= min || before < NEGLIGIBLE_USD {
                continue;
            }
            let (Some(rate), Some(before_rate)) =
                (current.daily_rate(amount), previous.daily_rate(before))
            else {
                continue;
            };
            if rate < ratio * before_rate {
                continue;
            }
            let times = rate / before_rate;
            let account = ctx.account_id;
            drafts.push(
                FindingDraft::new(
                    "billing_service",
                    service,
                    format!(
                        "{service} costs {times:.1}× more per day this month ({}/day, was {}/day)",
                        usd(rate),
                        usd(before_rate)
                    ),
                    format!(
                        "In account {account}, {service} cost {} over the {} day(s) of this month so far ({}/day), against {} over the {} day(s) of last month ({}/day): {times:.1} times the daily rate, at least {ratio} times being a spike.",
                        usd(amount),
                        current.days,
                        usd(rate),
                        usd(before),
                        previous.days,
                        usd(before_rate)
                    ),
                )
                .evidence("service", service.as_str())
                .evidence("previous_month", month_evidence(previous, before))
                .evidence("current_month", month_evidence(current, amount))
                .evidence("rate_ratio", round(times))
                .evidence("spend_spike_ratio", ratio)
                .evidence("spend_min_usd", min)
                .remediation(vec![
                    format!(
                        "Confirm with the owner of account {account} whether the rise in {service} is expected (a launch, a migration, a load test)."
                    ),
                    cost_explorer_command(ctx, current, "SERVICE", service, "REGION"),
                    "Then look for the resources behind it in those regions (this report's resources.* findings for the account) and contain what nobody vouches for.".to_owned(),
                    "Treat the credentials that created them as compromised: see this report's iam.* and cloudtrail.* findings for the account.".to_owned(),
                ]),
            );
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;
    use crate::checks::fixtures::{evaluate, evaluate_with, month, spend};

    const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
    const S3: &str = "Amazon Simple Storage Service";

    #[test]
    fn compares_daily_rates_not_partial_amounts() {
        // October: 310 USD of EC2 over 31 days = 10/day. November to date: 230 over 23 days
        // = 10/day is normal although it is less than October's total; 460 = 20/day is a
        // spike at ratio 2.
        let october = month("2026-10-01", 31, &[(EC2, 310.0), (S3, 31.0)], &[]);
        let normal = month("2026-11-01", 23, &[(EC2, 230.0), (S3, 23.0)], &[]);
        assert!(
            evaluate(&SpendSpike, &spend(october.clone(), normal), "global", &[])
                .expect("runs")
                .is_empty()
        );
        let spiked = month("2026-11-01", 23, &[(EC2, 460.0), (S3, 23.0)], &[]);
        let drafts = evaluate(&SpendSpike, &spend(october, spiked), "global", &[]).expect("runs");
        assert_eq!(drafts.len(), 1);
        let d = &drafts[0];
        assert_eq!(
            (d.resource_type.as_str(), d.resource_id.as_str()),
            ("billing_service", EC2)
        );
        assert!(d.title.contains("2.0× more per day"), "{}", d.title);
        assert_eq!(d.evidence["previous_month"]["daily_rate_usd"], 10.0);
        assert_eq!(d.evidence["current_month"]["daily_rate_usd"], 20.0);
        assert_eq!(d.evidence["current_month"]["days"], 23);
        assert_eq!(d.evidence["previous_month"]["amount_usd"], 310.0);
        assert!(d.remediation.iter().any(|s| s.contains(
            "aws ce get-cost-and-usage --time-period Start=2026-11-01,End=2026-11-25 --granularity DAILY"
        ) && s.contains("\"Values\":[\"111111111111\"]")
            && s.contains("Key=REGION")));
    }

    #[test]
    fn small_amounts_new_services_fees_and_empty_months_are_left_alone() {
        let october = month(
            "2026-10-01",
            31,
            &[
                ("AWS Key Management Service", 0.31),
                ("AWS Support (Business)", 100.0),
                ("Tax", 10.0),
            ],
            &[],
        );
        let november = month(
            "2026-11-01",
            3,
            &[
                // 3/day against 0.01/day, but under the 10 USD minimum.
                ("AWS Key Management Service", 9.0),
                // A month's fee booked on the 1st.
                ("AWS Support (Business)", 100.0),
                ("Tax", 50.0),
                // No spend last month: new_service_spend's.
                ("Amazon SageMaker", 500.0),
            ],
            &[],
        );
        assert!(
            evaluate(
                &SpendSpike,
                &spend(october.clone(), november),
                "global",
                &[]
            )
            .expect("runs")
            .is_empty()
        );
        let first_day = month("2026-11-01", 0, &[], &[]);
        assert!(
            evaluate(&SpendSpike, &spend(october, first_day), "global", &[])
                .expect("runs")
                .is_empty()
        );
    }

    #[test]
    fn the_ratio_and_minimum_come_from_the_settings() {
        let october = month("2026-10-01", 31, &[(EC2, 310.0)], &[]);
        let november = month("2026-11-01", 23, &[(EC2, 345.0)], &[]); // 15/day: 1.5×
        let facts = spend(october, november);
        assert!(
            evaluate(&SpendSpike, &facts, "global", &[])
                .expect("runs")
                .is_empty()
        );
        let settings = Settings {
            spend_spike_ratio: 1.5,
            ..Settings::default()
        };
        assert_eq!(
            evaluate_with(&SpendSpike, &facts, "global", &settings)
                .expect("runs")
                .len(),
            1
        );
        let settings = Settings {
            spend_spike_ratio: 1.5,
            spend_min_usd: 1000.0,
            ..Settings::default()
        };
        assert!(
            evaluate_with(&SpendSpike, &facts, "global", &settings)
                .expect("runs")
                .is_empty()
        );
    }

    #[test]
    fn without_the_charges_it_fails() {
        let err = evaluate(
            &SpendSpike,
            &orgsweep_model::facts::Facts::default(),
            "global",
            &[],
        )
        .unwrap_err();
        assert_eq!(err, CheckError::MissingSource(Source::CostAndUsage));
    }
}
