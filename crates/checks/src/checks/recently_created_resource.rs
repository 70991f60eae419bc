//! Resources created inside the look-back window: a new instance, key pair or snapshot is
//! where an intrusion leaves its first traces. Accepted resources are not reported.

use orgsweep_model::Severity;
use orgsweep_model::facts::RESOURCE_SOURCES;

use crate::checks::resource_common::{containment_steps, described, resource_draft};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, resource_label, rfc3339};

pub struct RecentlyCreatedResource;

static META: CheckMeta = CheckMeta {
    id: "resources.recently_created",
    title: "Resource created inside the look-back window",
    severity: Severity::Low,
    scope: Scope::Region,
    sources: &RESOURCE_SOURCES,
    rationale: "New resources are where an intrusion shows first; each should have an owner \
                who can say why it exists.",
    remediation: &["Confirm with the account owner who created the resource and why."],
};

impl Check for RecentlyCreatedResource {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let window = ctx.settings.window_days;
        Ok(ctx
            .resources()?
            .iter()
            .filter(|r| ctx.in_window(r.created_at) && !r.is_gone() && !ctx.knows_resource(r))
            .map(|r| {
                let when = rfc3339(r.created_at);
                let when = when.as_str().unwrap_or("recently");
                resource_draft(
                    r,
                    format!(
                        "{} {} created {when}",
                        resource_label(r.resource_type),
                        r.id
                    ),
                    format!(
                        "{} was created {when}, inside the {window}-day window.",
                        described(r)
                    ),
                )
                .remediation(containment_steps(ctx, r))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::checks::fixtures::{NOW, evaluate, full_inventory, instance};

    #[test]
    fn reports_resources_created_inside_the_window() {
        let mut edge = instance("i-edge", "t3.micro", "running");
        edge.launch_time = Some(NOW - Duration::days(7));
        let mut outside = instance("i-outside", "t3.micro", "running");
        outside.launch_time = Some(NOW - Duration::days(7) - Duration::seconds(1));
        let mut unknown_time = instance("i-unknown", "t3.micro", "running");
        unknown_time.launch_time = None;
        let facts = full_inventory(vec![
            instance("i-new", "t3.micro", "running"),
            edge,
            outside,
            unknown_time,
            instance("i-gone", "t3.micro", "terminated"),
        ]);
        let drafts = evaluate(&RecentlyCreatedResource, &facts, "us-east-1", &[]).expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["i-new", "i-edge"]);
    }

    #[test]
    fn other_services_kinds_are_covered_and_finished_jobs_are_gone() {
        use orgsweep_model::facts::ResourceKind;

        use crate::checks::fixtures::{days_ago, other};
        let mut facts = full_inventory(vec![]);
        let mut task = other(
            "arn:aws:ecs:us-east-1:111111111111:task/prod/abc",
            "RUNNING",
            Some("gpu:1"),
        );
        task.created_at = days_ago(1);
        let mut done = other("train-1", "Completed", Some("ml.p4d.24xlarge"));
        done.created_at = days_ago(2);
        facts
            .ec2_resources
            .insert(ResourceKind::EcsTask, vec![task]);
        facts
            .ec2_resources
            .insert(ResourceKind::SageMakerTrainingJob, vec![done]);
        let drafts = evaluate(&RecentlyCreatedResource, &facts, "us-east-1", &[]).expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_type.as_str()).collect();
        assert_eq!(ids, ["ecs_task"]);
        assert!(drafts[0].title.starts_with("ECS task arn:aws:ecs:"));
    }
}
