//! Attackers with stolen keys launch (mining) instances in the regions nobody looks at. Any
//! resource outside the organization's expected regions deserves a look.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;
use serde_json::json;

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct UnexpectedRegion;

static META: CheckMeta = CheckMeta {
    id: "resources.unexpected_region",
    title: "Resource in a region outside the expected ones",
    severity: Severity::High,
    scope: Scope::Region,
    sources: &[Source::Ec2Instances],
    rationale: "Intruders launch resources, often cryptocurrency miners, in regions the \
                organization never uses, where nobody looks.",
    remediation: &[
        "Confirm with the account owner whether the resource is sanctioned.",
        "If not, snapshot its volumes for the investigation, then stop it.",
        "Consider a service control policy that denies the regions you do not use.",
    ],
};

/// Instances in these states are gone or going; they no longer run anything.
const GONE: &[&str] = &["terminated", "shutting-down"];

impl Check for UnexpectedRegion {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        if ctx.settings.expected_regions.is_empty() {
            return Err(CheckError::NotConfigured(
                "no expected regions configured (--expected-regions)",
            ));
        }
        let instances = ctx.ec2_instances()?;
        if ctx
            .settings
            .expected_regions
            .iter()
            .any(|r| r == ctx.region)
        {
            return Ok(Vec::new());
        }
        let region = ctx.region;
        Ok(instances
            .iter()
            .filter(|i| !GONE.contains(&i.state.as_str()))
            .map(|i| {
                let id = &i.instance_id;
                let name = i.tags.get("Name").map_or("", String::as_str);
                FindingDraft::new(
                    "ec2_instance",
                    id,
                    format!("EC2 instance {id} runs in unexpected region {region}"),
                    format!(
                        "Instance {id} (Name \"{name}\", {}, {}) is in {region}, outside the expected regions {}.",
                        i.instance_type,
                        i.state,
                        ctx.settings.expected_regions.join(", ")
                    ),
                )
                .evidence("instance_type", i.instance_type.clone())
                .evidence("state", i.state.clone())
                .evidence("launch_time", rfc3339(i.launch_time))
                .evidence("image_id", i.image_id.clone())
                .evidence("key_name", i.key_name.clone())
                .evidence("instance_profile_arn", i.instance_profile_arn.clone())
                .evidence("tags", json!(i.tags))
                .evidence("expected_regions", json!(ctx.settings.expected_regions))
                .remediation(vec![
                    format!("Confirm with the owner of account {} whether instance {id} in {region} is sanctioned.", ctx.account_id),
                    format!(
                        "If not, keep evidence first: aws ec2 create-snapshots --region {region} --instance-specification InstanceId={id} --description \"orgsweep evidence {id}\""
                    ),
                    format!("Then stop it (do not terminate yet): aws ec2 stop-instances --region {region} --instance-ids {id}"),
                    "Consider a service control policy that denies the regions you do not use.".to_owned(),
                ])
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use orgsweep_model::facts::{Ec2Instance, Facts};

    use super::*;
    use crate::checks::fixtures::{days_ago, evaluate};

    fn instance(id: &str, state: &str) -> Ec2Instance {
        Ec2Instance {
            instance_id: id.to_owned(),
            instance_type: "c5.large".to_owned(),
            state: state.to_owned(),
            launch_time: days_ago(1),
            image_id: Some("ami-1".to_owned()),
            key_name: None,
            instance_profile_arn: None,
            tags: BTreeMap::from([("Name".to_owned(), "<b>x</b>".to_owned())]),
        }
    }

    fn facts() -> Facts {
        Facts {
            ec2_instances: Some(vec![
                instance("i-running", "running"),
                instance("i-stopped", "stopped"),
                instance("i-gone", "terminated"),
            ]),
            ..Facts::default()
        }
    }

    #[test]
    fn fires_outside_the_expected_regions_only() {
        let expected = vec!["us-east-1".to_owned(), "eu-west-1".to_owned()];
        let far = evaluate(&UnexpectedRegion, &facts(), "ap-southeast-2", &expected).expect("ok");
        let ids: Vec<&str> = far.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["i-running", "i-stopped"]);
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
    fn without_expected_regions_it_is_skipped_not_silent() {
        let err = evaluate(&UnexpectedRegion, &facts(), "ap-southeast-2", &[]).unwrap_err();
        assert!(err.is_skip());
    }
}
