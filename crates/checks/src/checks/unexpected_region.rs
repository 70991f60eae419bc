//! Attackers with stolen keys launch (mining) instances in the regions nobody looks at. Any
//! resource outside the organization's expected regions deserves a look.

use orgsweep_model::Severity;
use orgsweep_model::facts::RESOURCE_SOURCES;
use serde_json::json;

use crate::checks::resource_common::{containment_steps, described, resource_draft};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, resource_label};

pub struct UnexpectedRegion;

static META: CheckMeta = CheckMeta {
    id: "resources.unexpected_region",
    title: "Resource in a region outside the expected ones",
    severity: Severity::High,
    scope: Scope::Region,
    sources: &RESOURCE_SOURCES,
    rationale: "Intruders launch resources, often cryptocurrency miners, in regions the \
                organization never uses, where nobody looks.",
    remediation: &[
        "Confirm with the account owner whether the resource is sanctioned.",
        "If not, snapshot its volumes for the investigation, then stop it.",
        "Consider a service control policy that denies the regions you do not use.",
    ],
};

impl Check for UnexpectedRegion {
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
        let resources = ctx.resources()?;
        if expected.iter().any(|r| r == ctx.region) {
            return Ok(Vec::new());
        }
        let region = ctx.region;
        Ok(resources
            .iter()
            .filter(|r| !r.is_gone())
            .map(|r| {
                let mut steps = containment_steps(ctx, r);
                steps.push(
                    "Consider a service control policy that denies the regions you do not use."
                        .to_owned(),
                );
                resource_draft(
                    r,
                    format!(
                        "{} {} in unexpected region {region}",
                        resource_label(r.resource_type),
                        r.id
                    ),
                    format!(
                        "{} is in {region}, outside the expected regions {}.",
                        described(r),
                        expected.join(", ")
                    ),
                )
                .evidence("expected_regions", json!(expected))
                .remediation(steps)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{Ec2Resource, Facts, ResourceKind};

    use super::*;
    use crate::checks::fixtures::{evaluate, full_inventory, instance};

    fn facts() -> Facts {
        let mut facts = full_inventory(vec![
            instance("i-running", "c5.large", "running"),
            instance("i-stopped", "c5.large", "stopped"),
            instance("i-gone", "c5.large", "terminated"),
        ]);
        facts.ec2_resources.insert(
            ResourceKind::Volume,
            vec![Ec2Resource {
                id: "vol-1".to_owned(),
                created_at: None,
                state: Some("available".to_owned()),
                tags: Default::default(),
                shared_with: vec![],
                instance_type: None,
            }],
        );
        facts
    }

    #[test]
    fn fires_outside_the_expected_regions_only() {
        let expected = vec!["us-east-1".to_owned(), "eu-west-1".to_owned()];
        let far = evaluate(&UnexpectedRegion, &facts(), "ap-southeast-2", &expected).expect("ok");
        let ids: Vec<&str> = far.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["i-running", "i-stopped", "vol-1"]);
        assert_eq!(far[0].evidence["tags"]["Name"], "<b>x</b>");
        assert!(
            far[0]
                .remediation
                .iter()
                .any(|s| s.contains("create-snapshots --region ap-southeast-2"))
        );
        assert!(
            evaluate(&UnexpectedRegion, &facts(), "eu-west-1", &expected)
                .expect("ok")
                .is_empty()
        );
    }

    #[test]
    fn a_kind_that_failed_leaves_the_others_judged() {
        // The engine records the failed kind in coverage for this check; the kinds that
        // were read are still judged, so one denied API does not hide an instance.
        let mut partial = facts();
        partial.ec2_resources.remove(&ResourceKind::NatGateway);
        let expected = vec!["us-east-1".to_owned()];
        let drafts =
            evaluate(&UnexpectedRegion, &partial, "ap-southeast-2", &expected).expect("runs");
        assert_eq!(drafts.len(), 3);
        let err = evaluate(
            &UnexpectedRegion,
            &orgsweep_model::facts::Facts::default(),
            "ap-southeast-2",
            &expected,
        )
        .unwrap_err();
        assert!(matches!(err, CheckError::MissingSource(_)), "{err:?}");
    }

    #[test]
    fn other_services_kinds_are_covered_too() {
        use crate::checks::fixtures::other;
        let mut facts = full_inventory(vec![]);
        facts.ec2_resources.insert(
            ResourceKind::LambdaFunction,
            vec![other("exfil-fn", "Active", None)],
        );
        facts.ec2_resources.insert(
            ResourceKind::SageMakerEndpoint,
            vec![
                other("ep", "InService", Some("ml.g5.2xlarge")),
                other("ep-going", "Deleting", Some("ml.g5.2xlarge")),
            ],
        );
        facts.ec2_resources.insert(
            ResourceKind::RdsInstance,
            vec![other("db1", "available", Some("db.r6g.large"))],
        );
        let expected = vec!["us-east-1".to_owned()];
        let drafts =
            evaluate(&UnexpectedRegion, &facts, "ap-southeast-2", &expected).expect("runs");
        let found: Vec<(&str, &str)> = drafts
            .iter()
            .map(|d| (d.resource_type.as_str(), d.resource_id.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("lambda_function", "exfil-fn"),
                ("sagemaker_endpoint", "ep"),
                ("rds_instance", "db1")
            ]
        );
        assert_eq!(drafts[2].evidence["instance_type"], "db.r6g.large");
        assert!(drafts[2].title.starts_with("RDS instance db1"));
        assert!(drafts[0].remediation.iter().any(|s| s.contains(
            "put-function-concurrency --region ap-southeast-2 --function-name exfil-fn --reserved-concurrent-executions 0"
        )));
        assert!(drafts[2].remediation.iter().any(|s| s.contains(
            "aws rds stop-db-instance --region ap-southeast-2 --db-instance-identifier db1"
        )));
    }

    #[test]
    fn without_expected_regions_it_is_skipped_not_silent() {
        let err = evaluate(&UnexpectedRegion, &facts(), "ap-southeast-2", &[]).unwrap_err();
        assert!(err.is_skip());
    }
}
