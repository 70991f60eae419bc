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
    if !r.shared_with.is_empty() {
        draft = draft.evidence("shared_with", json!(r.shared_with));
    }
    draft
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
