//! Copying data out through a shared snapshot or AMI needs no network access at all: the
//! attacker shares it with their own account and copies it there; an RDS snapshot shared
//! the same way hands over a whole database. Sharing inside the organization is normal;
//! sharing outside it, or publicly, is reported.

use orgsweep_model::Severity;
use orgsweep_model::facts::{PUBLIC, ResourceKind, Source};
use serde_json::json;

use crate::checks::resource_common::{containment_steps, described, resource_draft};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, resource_label};

/// Whether a grantee is inside the scanned organization: one of its accounts, or the ARN of
/// the organization itself or one of its OUs (`…:organization/o-x`, `…:ou/o-x/ou-…`). An
/// ARN of another organization, or one that does not parse, is outside: it is reported.
fn inside(ctx: &Context<'_>, grantee: &str) -> bool {
    if grantee == PUBLIC {
        return false;
    }
    if !grantee.starts_with("arn:") {
        return ctx.settings.organization_accounts.contains(grantee);
    }
    let resource = grantee.splitn(6, ':').nth(5).unwrap_or("");
    let organization = resource
        .strip_prefix("organization/")
        .or_else(|| resource.strip_prefix("ou/"))
        .and_then(|rest| rest.split('/').next());
    match (organization, ctx.settings.organization_id.as_deref()) {
        (Some(theirs), Some(ours)) => theirs == ours,
        _ => false,
    }
}

pub struct SharedOutsideOrg;

static META: CheckMeta = CheckMeta {
    id: "resources.shared_outside_org",
    title: "EBS snapshot, AMI or RDS snapshot shared outside the organization",
    severity: Severity::High,
    scope: Scope::Region,
    sources: &[
        Source::Ec2Resources(ResourceKind::Snapshot),
        Source::Ec2Resources(ResourceKind::Image),
        Source::Ec2Resources(ResourceKind::RdsSnapshot),
    ],
    rationale: "Sharing a snapshot, AMI or database snapshot with another account, or \
                publicly, hands over the data on it; it is a common exfiltration path.",
    remediation: &[
        "Confirm the sharing is sanctioned; if not, remove the permission at once.",
        "Then find who added it in CloudTrail (ModifySnapshotAttribute, ModifyImageAttribute, \
         ModifyDBSnapshotAttribute).",
    ],
};

impl Check for SharedOutsideOrg {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    /// Judges every kind that was read; the engine records each declared kind that failed
    /// as a coverage gap of this check, so a denied RDS call does not hide a public AMI.
    /// Fails only when none of the three was read.
    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let kinds = [
            ResourceKind::Snapshot,
            ResourceKind::Image,
            ResourceKind::RdsSnapshot,
        ];
        if !kinds
            .iter()
            .any(|k| ctx.facts.ec2_resources.contains_key(k))
        {
            return Err(CheckError::MissingSource(Source::Ec2Resources(
                ResourceKind::Snapshot,
            )));
        }
        let mut drafts = Vec::new();
        for r in ctx.facts.resources().filter(|r| !r.shared_with.is_empty()) {
            let outside: Vec<&str> = r
                .shared_with
                .iter()
                .map(String::as_str)
                .filter(|grantee| !inside(ctx, grantee))
                .collect();
            if outside.is_empty() {
                continue;
            }
            let public = outside.contains(&PUBLIC);
            let whom = if public {
                "everyone (public)".to_owned()
            } else {
                format!(
                    "account(s) outside the organization: {}",
                    outside.join(", ")
                )
            };
            let mut draft = resource_draft(
                &r,
                format!(
                    "{} {} is shared with {whom}",
                    resource_label(r.resource_type),
                    r.id
                ),
                format!("{} can be copied by {whom}.", described(&r)),
            )
            .evidence("outside_organization", json!(outside))
            .remediation(containment_steps(ctx, &r));
            if public {
                draft.severity = Some(Severity::Critical);
            }
            drafts.push(draft);
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use orgsweep_model::facts::Ec2Resource;

    use super::*;
    use crate::Settings;
    use crate::checks::fixtures::{evaluate_with, full_inventory};

    fn shared(id: &str, with: &[&str]) -> Ec2Resource {
        Ec2Resource {
            id: id.to_owned(),
            created_at: None,
            state: Some("completed".to_owned()),
            tags: Default::default(),
            shared_with: with.iter().map(|s| (*s).to_owned()).collect(),
            instance_type: None,
        }
    }

    #[test]
    fn sharing_outside_fires_and_inside_does_not() {
        let mut facts = full_inventory(vec![]);
        facts.ec2_resources.insert(
            ResourceKind::Snapshot,
            vec![
                shared("snap-inside", &["222222222222"]),
                shared("snap-outside", &["222222222222", "999999999999"]),
                shared("snap-private", &[]),
            ],
        );
        facts
            .ec2_resources
            .insert(ResourceKind::Image, vec![shared("ami-public", &["all"])]);
        let settings = Settings {
            organization_accounts: BTreeSet::from([
                "111111111111".to_owned(),
                "222222222222".to_owned(),
            ]),
            ..Settings::default()
        };
        let drafts =
            evaluate_with(&SharedOutsideOrg, &facts, "us-east-1", &settings).expect("runs");
        let found: Vec<(&str, Option<Severity>)> = drafts
            .iter()
            .map(|d| (d.resource_id.as_str(), d.severity))
            .collect();
        assert_eq!(
            found,
            [
                ("snap-outside", None),
                ("ami-public", Some(Severity::Critical))
            ]
        );
        assert_eq!(
            drafts[0].evidence["outside_organization"],
            json!(["999999999999"])
        );
    }

    #[test]
    fn rds_snapshots_are_judged_and_a_missing_kind_leaves_the_others_judged() {
        let mut facts = orgsweep_model::facts::Facts::default();
        facts.ec2_resources.insert(
            ResourceKind::RdsSnapshot,
            vec![
                shared("db-public", &["all"]),
                shared("db-partner", &["999999999999"]),
                shared("db-private", &[]),
            ],
        );
        let drafts = evaluate_with(&SharedOutsideOrg, &facts, "us-east-1", &Settings::default())
            .expect("EC2 kinds missing are coverage gaps, not a failure");
        let found: Vec<(&str, &str, Option<Severity>)> = drafts
            .iter()
            .map(|d| (d.resource_type.as_str(), d.resource_id.as_str(), d.severity))
            .collect();
        assert_eq!(
            found,
            [
                ("rds_snapshot", "db-public", Some(Severity::Critical)),
                ("rds_snapshot", "db-partner", None),
            ]
        );
        assert!(
            drafts[0]
                .title
                .starts_with("RDS snapshot db-public is shared with everyone")
        );
        assert!(drafts[0].remediation.iter().any(|s| s.contains(
            "aws rds modify-db-snapshot-attribute --region us-east-1 --db-snapshot-identifier db-public --attribute-name restore --values-to-remove all"
        )));
        let err = evaluate_with(
            &SharedOutsideOrg,
            &orgsweep_model::facts::Facts::default(),
            "us-east-1",
            &Settings::default(),
        )
        .unwrap_err();
        assert!(matches!(err, CheckError::MissingSource(_)));
    }

    #[test]
    fn images_shared_with_an_organization_or_ou_are_compared_with_ours() {
        let ours = "arn:aws:organizations::111111111111:organization/o-ours12345";
        let our_ou = "arn:aws:organizations::111111111111:ou/o-ours12345/ou-ab12-cdef3456";
        let theirs = "arn:aws:organizations::444455556666:organization/o-theirs999";
        let their_ou = "arn:aws:organizations::444455556666:ou/o-theirs999/ou-zz99-yyyy8888";
        let mut facts = full_inventory(vec![]);
        facts.ec2_resources.insert(
            ResourceKind::Image,
            vec![
                shared("ami-org", &[ours]),
                shared("ami-ou", &[our_ou]),
                shared("ami-foreign-org", &[theirs]),
                shared("ami-foreign-ou", &[their_ou]),
                shared("ami-garbage", &["arn:not-quite"]),
            ],
        );
        let settings = Settings {
            organization_id: Some("o-ours12345".to_owned()),
            ..Settings::default()
        };
        let drafts =
            evaluate_with(&SharedOutsideOrg, &facts, "us-east-1", &settings).expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["ami-foreign-org", "ami-foreign-ou", "ami-garbage"]);
        assert_eq!(drafts[0].evidence["outside_organization"], json!([theirs]));
    }
}
