//! Without GuardDuty in a region, nobody is told when stolen credentials launch miners
//! there; intruders favour exactly the regions nobody set up. A region with no detector,
//! or a suspended one, is reported.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct GuardDutyDisabled;

static META: CheckMeta = CheckMeta {
    id: "guardduty.disabled",
    title: "GuardDuty is not enabled in the region",
    severity: Severity::Low,
    scope: Scope::Region,
    sources: &[Source::GuardDuty],
    rationale: "GuardDuty is AWS's own detection of compromised credentials and resources; \
                a region without it raises no alarm when an intruder uses it.",
    remediation: &[
        "Enable GuardDuty in every region, organization-wide from its delegated administrator.",
    ],
};

impl Check for GuardDutyDisabled {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let status = ctx.guardduty()?;
        let (region, account) = (ctx.region, ctx.account_id);
        let (why, enable) = match (&status.detector_id, status.detector_status.as_deref()) {
            (None, _) => (
                "has no GuardDuty detector".to_owned(),
                format!("aws guardduty create-detector --region {region} --enable"),
            ),
            (Some(id), Some(s)) if !s.eq_ignore_ascii_case("ENABLED") => (
                format!("has a suspended GuardDuty detector ({id}, status {s})"),
                format!(
                    "aws guardduty update-detector --region {region} --detector-id {id} --enable"
                ),
            ),
            _ => return Ok(Vec::new()),
        };
        Ok(vec![
            FindingDraft::new(
                "guardduty_detector",
                &format!("{account}/{region}"),
                format!("GuardDuty is off in {region}"),
                format!("Account {account} {why} in {region}: nothing there watches for compromised credentials or resources."),
            )
            .evidence("detector_id", status.detector_id.clone())
            .evidence("detector_status", status.detector_status.clone())
            .remediation(vec![
                format!(
                    "Organization-wide (from the GuardDuty delegated administrator account, in {region}): aws guardduty update-organization-configuration --region {region} --detector-id <ADMIN_DETECTOR_ID> --auto-enable-organization-members ALL"
                ),
                format!("Or in account {account} alone: {enable}"),
            ]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{Facts, GuardDutyStatus};

    use super::*;
    use crate::checks::fixtures::evaluate;

    fn run(detector_id: Option<&str>, status: Option<&str>) -> Vec<FindingDraft> {
        let facts = Facts {
            guardduty: Some(GuardDutyStatus {
                detector_id: detector_id.map(str::to_owned),
                detector_status: status.map(str::to_owned),
                findings: Vec::new(),
            }),
            ..Facts::default()
        };
        evaluate(&GuardDutyDisabled, &facts, "ap-southeast-2", &[]).expect("runs")
    }

    #[test]
    fn fires_without_a_detector_or_with_a_suspended_one() {
        let none = run(None, None);
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].resource_id, "111111111111/ap-southeast-2");
        assert!(
            none[0].remediation[1]
                .ends_with("aws guardduty create-detector --region ap-southeast-2 --enable")
        );
        let suspended = run(Some("d-1"), Some("DISABLED"));
        assert!(
            suspended[0].remediation[1]
                .contains("update-detector --region ap-southeast-2 --detector-id d-1 --enable")
        );
        assert!(run(Some("d-1"), Some("ENABLED")).is_empty());
        // ListDetectors found one and GetDetector was not read: it exists, so it counts.
        assert!(run(Some("d-1"), None).is_empty());
    }

    #[test]
    fn without_guardduty_facts_it_fails() {
        let err =
            evaluate(&GuardDutyDisabled, &Facts::default(), "ap-southeast-2", &[]).unwrap_err();
        assert_eq!(err, CheckError::MissingSource(Source::GuardDuty));
    }
}
