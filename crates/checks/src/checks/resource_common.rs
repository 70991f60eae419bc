//! What the resource checks share: a finding skeleton with the resource's facts as evidence,
//! and containment steps per resource type with the real identifiers filled in.

use orgsweep_model::facts::ResourceView;
use serde_json::json;

use crate::{Context, FindingDraft, resource_label, rfc3339};

/// A draft about `r` with its facts as evidence; the caller adds title-specific detail.
pub(crate) fn resource_draft(r: &ResourceView<'_>, title: String, detail: String) -> FindingDraft {
    let mut draft = FindingDraft::new(r.resource_type, r.id, title, detail)
        .evidence("created", rfc3339(r.created_at))
        .evidence("state", r.state)
        .evidence("tags", json!(r.tags));
    if let Some(i) = r.instance {
        draft = draft
            .evidence("instance_type", i.instance_type.clone())
            .evidence("image_id", i.image_id.clone())
            .evidence("key_name", i.key_name.clone())
            .evidence("instance_profile_arn", i.instance_profile_arn.clone());
    }
    if r.instance.is_none()
        && let Some(size) = r.instance_type
    {
        draft = draft.evidence("instance_type", size);
    }
    if !r.shared_with.is_empty() {
        draft = draft.evidence("shared_with", json!(r.shared_with));
    }
    draft
}

/// The cluster an ECS task ARN names (`arn:aws:ecs:r:a:task/<cluster>/<id>`); the old ARN
/// format (`task/<id>`) does not name it.
pub(crate) fn ecs_task_cluster(task_arn: &str) -> Option<&str> {
    let resource = task_arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("task"), Some(cluster), Some(_)) if !cluster.is_empty() => Some(cluster),
        _ => None,
    }
}

/// "The tag Name=…" for details, so a person recognises the resource.
pub(crate) fn described(r: &ResourceView<'_>) -> String {
    match r.tags.get("Name") {
        Some(name) => format!(
            "{} {} (Name \"{name}\")",
            resource_label(r.resource_type),
            r.id
        ),
        None => format!("{} {}", resource_label(r.resource_type), r.id),
    }
}

/// Containment for a resource nobody vouches for: keep evidence first, then stop or
/// restrict it; nothing is deleted before the investigation.
pub(crate) fn containment_steps(ctx: &Context<'_>, r: &ResourceView<'_>) -> Vec<String> {
    let (region, id) = (ctx.region, r.id);
    let mut steps = vec![format!(
        "Confirm with the owner of account {} whether {} {id} in {region} is sanctioned.",
        ctx.account_id, r.resource_type
    )];
    match r.resource_type {
        "ec2_instance" => {
            steps.push(format!(
                "If not, keep evidence first: aws ec2 create-snapshots --region {region} --instance-specification InstanceId={id} --description \"orgsweep evidence {id}\""
            ));
            steps.push(format!(
                "Then stop it (do not terminate yet): aws ec2 stop-instances --region {region} --instance-ids {id}"
            ));
        }
        "ec2_snapshot" => steps.push(format!(
            "If it is shared and should not be: aws ec2 modify-snapshot-attribute --region {region} --snapshot-id {id} --attribute createVolumePermission --operation-type remove --group-names all (and --user-ids for each account)"
        )),
        "ec2_image" => steps.push(format!(
            "If it is shared and should not be: aws ec2 modify-image-attribute --region {region} --image-id {id} --launch-permission \"Remove=[{{Group=all}}]\" (and UserId=… for each account)"
        )),
        "ec2_volume" => steps.push(format!(
            "If not, keep evidence: aws ec2 create-snapshot --region {region} --volume-id {id} --description \"orgsweep evidence {id}\""
        )),
        "ec2_key_pair" => steps.push(format!(
            "If not, find instances launched with it: aws ec2 describe-instances --region {region} --filters Name=key-name,Values=<KEY_NAME>"
        )),
        "ec2_security_group" => steps.push(format!(
            "If not, review its rules: aws ec2 describe-security-group-rules --region {region} --filters Name=group-id,Values={id}"
        )),
        "ec2_spot_instance_request" => steps.push(format!(
            "If not, cancel it (instances it launched keep running until stopped): aws ec2 cancel-spot-instance-requests --region {region} --spot-instance-request-ids {id}"
        )),
        "lambda_function" => {
            steps.push(format!(
                "If not, keep its code and configuration: aws lambda get-function --region {region} --function-name {id}"
            ));
            steps.push(format!(
                "Then stop every invocation without deleting it: aws lambda put-function-concurrency --region {region} --function-name {id} --reserved-concurrent-executions 0"
            ));
        }
        "ecs_cluster" => steps.push(format!(
            "If not, see what runs in it: aws ecs list-services --region {region} --cluster {id} and aws ecs list-tasks --region {region} --cluster {id}"
        )),
        "ecs_task" => {
            let cluster = ecs_task_cluster(id).unwrap_or("<CLUSTER>");
            steps.push(format!(
                "If not, record it: aws ecs describe-tasks --region {region} --cluster {cluster} --tasks {id}"
            ));
            steps.push(format!(
                "Then stop it (a service restarts stopped tasks: set the service's desired count to 0 first): aws ecs stop-task --region {region} --cluster {cluster} --task {id} --reason \"orgsweep containment\""
            ));
        }
        "eks_cluster" => steps.push(format!(
            "If not, see its nodes and who may use it: aws eks list-nodegroups --region {region} --cluster-name {id} and aws eks list-access-entries --region {region} --cluster-name {id}"
        )),
        "sagemaker_notebook" => steps.push(format!(
            "If not, stop it (its volume is kept): aws sagemaker stop-notebook-instance --region {region} --notebook-instance-name {id}"
        )),
        "sagemaker_training_job" => steps.push(format!(
            "If not, stop it: aws sagemaker stop-training-job --region {region} --training-job-name {id}"
        )),
        "sagemaker_endpoint" => {
            steps.push(format!(
                "If not, record it: aws sagemaker describe-endpoint --region {region} --endpoint-name {id}"
            ));
            steps.push(format!(
                "An endpoint cannot be stopped; deleting only the endpoint ends the spend and keeps its endpoint configuration and model, from which create-endpoint can restore it: aws sagemaker delete-endpoint --region {region} --endpoint-name {id}"
            ));
        }
        "lightsail_instance" => {
            steps.push(format!(
                "If not, keep evidence first: aws lightsail create-instance-snapshot --region {region} --instance-name {id} --instance-snapshot-name orgsweep-evidence-{id}"
            ));
            steps.push(format!(
                "Then stop it: aws lightsail stop-instance --region {region} --instance-name {id}"
            ));
        }
        "rds_instance" => {
            steps.push(format!(
                "If not, keep evidence first: aws rds create-db-snapshot --region {region} --db-instance-identifier {id} --db-snapshot-identifier orgsweep-evidence-{id}"
            ));
            steps.push(format!(
                "Then stop it (RDS starts a stopped instance again after seven days): aws rds stop-db-instance --region {region} --db-instance-identifier {id}"
            ));
        }
        "rds_snapshot" => steps.push(format!(
            "If it is shared and should not be: aws rds modify-db-snapshot-attribute --region {region} --db-snapshot-identifier {id} --attribute-name restore --values-to-remove all (and each account id)"
        )),
        _ => {}
    }
    steps.push(format!(
        "Find who created it: aws cloudtrail lookup-events --region {region} --lookup-attributes AttributeKey=ResourceName,AttributeValue={id}"
    ));
    steps.push(
        "Delete it only after the investigation, once its owner and purpose are known.".to_owned(),
    );
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_task_arns_name_their_cluster_in_the_new_format_only() {
        assert_eq!(
            ecs_task_cluster("arn:aws:ecs:us-east-1:111111111111:task/prod/0123456789abcdef"),
            Some("prod")
        );
        assert_eq!(
            ecs_task_cluster("arn:aws:ecs:us-east-1:111111111111:task/0123456789abcdef"),
            None
        );
        assert_eq!(ecs_task_cluster("not-an-arn"), None);
    }
}
