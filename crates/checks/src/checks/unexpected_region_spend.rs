//! Resources in regions nobody uses are found by scanning those regions, if the scan can
//! read every service there; the bill sees them all, whatever the service. Spend in a
//! region outside the expected ones, this month or last, is reported per region.

use std::collections::BTreeSet;

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;
use serde_json::json;

use crate::checks::spend_common::{cost_explorer_command, month_evidence, usd};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct UnexpectedRegionSpend;

static META: CheckMeta = CheckMeta {
    id: "billing.unexpected_region_spend",
    title: "Spend in a region outside the expected ones",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::CostAndUsage],
    rationale: "Intruders launch resources in regions the organization never uses, where \
                nobody looks; the charges appear in Cost Explorer under that region whatever \
                the service.",
    remediation: &[
        "Confirm with the account owner whether the region is used on purpose.",
        "If not, find and contain its resources, and deny the region with a service control policy.",
    ],
};

/// Cost Explorer's `REGION` values that are not regions: charges of global services and
/// charges that belong to no region (support, tax, some marketplace fees).
const NOT_REGIONS: &[&str] = &["global", "NoRegion", ""];

/// Whether `region` is expected: one of the expected regions, or a Local Zone or
/// Wavelength Zone of one (`us-west-2-lax-1` belongs to `us-west-2`).
fn is_expected(expected: &[String], region: &str) -> bool {
    expected.iter().any(|e| {
        region == e
            || region
                .strip_prefix(e.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
    })
}

impl Check for UnexpectedRegionSpend {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let expected = &ctx.settings.expected_regions;
        if expected.is_empty() {
            return Err(CheckError::NotConfigured(
                "no expected regions: set --expected-regions, or expected_regions in the settings file (--config)",
            ));
        }
        let spend = ctx.account_spend()?;
        let (previous, current) = (&spend.previous_month, &spend.current_month);
        let min = ctx.settings.spend_min_usd;
        let account = ctx.account_id;
        let regions: BTreeSet<&String> = previous
            .regions
            .keys()
            .chain(current.regions.keys())
            .collect();
        Ok(regions
            .into_iter()
            .filter(|r| !NOT_REGIONS.contains(&r.as_str()) && !is_expected(expected, r))
            .filter_map(|region| {
                let before = previous.regions.get(region).copied().unwrap_or(0.0);
                let now = current.regions.get(region).copied().unwrap_or(0.0);
                if before <= min && now <= min {
                    return None;
                }
                Some(
                    FindingDraft::new(
                        "billing_region",
                        region,
                        format!(
                            "Spend in unexpected region {region}: {} this month, {} last month",
                            usd(now),
                            usd(before)
                        ),
                        format!(
                            "Account {account} was charged {} in {region} over the {} day(s) of this month so far and {} over the {} day(s) of last month; the expected regions are {}.",
                            usd(now),
                            current.days,
                            usd(before),
                            previous.days,
                            expected.join(", ")
                        ),
                    )
                    .region(region)
                    .evidence("region", region.as_str())
                    .evidence("previous_month", month_evidence(previous, before))
                    .evidence("current_month", month_evidence(current, now))
                    .evidence("expected_regions", json!(expected))
                    .evidence("spend_min_usd", min)
                    .remediation(vec![
                        format!(
                            "Confirm with the owner of account {account} whether {region} is used on purpose."
                        ),
                        cost_explorer_command(ctx, current, "REGION", region, "SERVICE"),
                        format!(
                            "Scan the region for what runs there: orgsweep scan --accounts {account} --regions {region}, then contain what nobody vouches for."
                        ),
                        "Deny the regions you do not use with a service control policy (aws:RequestedRegion).".to_owned(),
                    ]),
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{evaluate, month, spend};

    fn facts() -> orgsweep_model::facts::Facts {
        let october = month(
            "2026-10-01",
            31,
            &[],
            &[
                ("us-east-1", 900.0),
                ("global", 50.0),
                ("NoRegion", 80.0),
                ("eu-west-1", 40.0),
                ("sa-east-1", 3.0),
            ],
        );
        let november = month(
            "2026-11-01",
            23,
            &[],
            &[
                ("us-east-1", 700.0),
                ("us-east-1-bos-1", 30.0),
                ("global", 40.0),
                ("ap-southeast-2", 1250.0),
                ("sa-east-1", 2.0),
            ],
        );
        spend(october, november)
    }

    #[test]
    fn reports_each_unexpected_region_with_spend_in_either_month_in_that_region() {
        let expected = vec!["us-east-1".to_owned()];
        let drafts = evaluate(&UnexpectedRegionSpend, &facts(), "global", &expected).expect("runs");
        let found: Vec<(&str, Option<&str>)> = drafts
            .iter()
            .map(|d| (d.resource_id.as_str(), d.region.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                ("ap-southeast-2", Some("ap-southeast-2")),
                ("eu-west-1", Some("eu-west-1"))
            ]
        );
        let sydney = &drafts[0];
        assert_eq!(sydney.evidence["current_month"]["amount_usd"], 1250.0);
        assert_eq!(sydney.evidence["previous_month"]["amount_usd"], 0.0);
        assert_eq!(sydney.evidence["current_month"]["daily_rate_usd"], 54.35);
        assert!(
            sydney.remediation[1].contains("\"Key\":\"REGION\",\"Values\":[\"ap-southeast-2\"]")
        );
        assert!(sydney.remediation[1].contains("Key=SERVICE"));
    }

    #[test]
    fn the_finding_carries_the_region_it_is_about() {
        let expected = vec!["us-east-1".to_owned()];
        let ctx = crate::Context {
            account_id: crate::checks::fixtures::ACCOUNT,
            region: orgsweep_model::GLOBAL_REGION,
            now: crate::checks::fixtures::NOW,
            settings: &crate::Settings {
                expected_regions: expected,
                ..crate::Settings::default()
            },
            facts: &facts(),
        };
        let findings = crate::run(&UnexpectedRegionSpend, &ctx).expect("runs");
        assert_eq!(findings[0].region, "ap-southeast-2");
        assert_eq!(
            findings[0].id,
            orgsweep_model::finding_id(
                "billing.unexpected_region_spend",
                crate::checks::fixtures::ACCOUNT,
                "ap-southeast-2",
                "billing_region",
                "ap-southeast-2"
            )
        );
    }

    #[test]
    fn without_expected_regions_it_is_skipped_not_silent() {
        let err = evaluate(&UnexpectedRegionSpend, &facts(), "global", &[]).unwrap_err();
        assert!(err.is_skip());
        assert!(is_expected(&["us-west-2".to_owned()], "us-west-2-lax-1"));
        assert!(!is_expected(&["us-west-2".to_owned()], "us-west-22"));
    }
}
