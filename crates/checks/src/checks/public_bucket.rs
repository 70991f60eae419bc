//! A public bucket publishes whatever lands in it, and intruders make buckets public to
//! take data out. A bucket whose policy is public is reported as critical, and so is one
//! whose public access block was switched (partly) off: buckets have had the block fully on
//! by default since April 2023, so turning it off is a deliberate step, and the step an
//! intruder takes right before publishing a bucket. A bucket with no block at all and a
//! policy that is not public is only high: nothing is exposed yet and that is how every
//! bucket created before 2023 looks, but one policy or ACL change would expose it. The
//! account-level block counts too: AWS applies the stricter of the two.

use orgsweep_model::Severity;
use orgsweep_model::facts::{PublicAccessBlock, ResourceView, S3Bucket, Source};
use serde_json::json;

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct PublicBucket;

static META: CheckMeta = CheckMeta {
    id: "resources.public_bucket",
    title: "S3 bucket that is public or not protected by a public access block",
    severity: Severity::Critical,
    scope: Scope::Account,
    sources: &[Source::S3Buckets],
    rationale: "Anyone can read a public bucket; intruders turn off the public access block \
                and make a bucket public to take data out without any network access.",
    remediation: &[
        "Confirm with the bucket's owner whether it must be public (a website behind CloudFront usually need not be).",
        "If not, turn the bucket's public access block fully on.",
    ],
};

/// Why the bucket is reported and how badly, or `None` when it is protected.
fn verdict(b: &S3Bucket, account: Option<&PublicAccessBlock>) -> Option<(Severity, String)> {
    let effective = PublicAccessBlock::combined(b.block_public_access.as_ref(), account);
    if effective.is_fully_on() {
        return None;
    }
    let off = effective.off().join(", ");
    if b.policy_public == Some(true) {
        // RestrictPublicBuckets makes a public policy grant nothing outside the account.
        return Some(if effective.restrict_public_buckets {
            (
                Severity::High,
                format!(
                    "its policy is public, neutralised only by RestrictPublicBuckets ({off} off)"
                ),
            )
        } else {
            (
                Severity::Critical,
                format!("its policy is public and nothing blocks it ({off} off)"),
            )
        });
    }
    let unknown = if b.policy_public.is_none() {
        " (its policy status could not be read)"
    } else {
        ""
    };
    Some(match &b.block_public_access {
        Some(_) => (
            Severity::Critical,
            format!("its public access block was switched off in part: {off}{unknown}"),
        ),
        None => (
            Severity::High,
            format!("it has no public access block ({off} off in effect){unknown}"),
        ),
    })
}

impl Check for PublicBucket {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let buckets = ctx.s3_buckets()?;
        let account_block = ctx.facts.s3_account_public_access_block.as_ref();
        let account = ctx.account_id;
        Ok(buckets
            .iter()
            .filter(|b| !knows(ctx, b))
            .filter_map(|b| {
                let (severity, why) = verdict(b, account_block)?;
                let name = &b.name;
                let region = &b.region;
                let mut draft = FindingDraft::new(
                    "s3_bucket",
                    name,
                    format!("S3 bucket {name} is exposed: {why}"),
                    format!("Bucket {name} in {region} (account {account}): {why}."),
                )
                .region(region)
                .evidence("bucket_region", region.as_str())
                .evidence("created", rfc3339(b.created_at))
                .evidence("policy_public", b.policy_public)
                .evidence("bucket_public_access_block", json!(b.block_public_access))
                .evidence("account_public_access_block", json!(account_block))
                .evidence("tags", json!(b.tags))
                .remediation(vec![
                    format!(
                        "Confirm with the owner of account {account} whether bucket {name} must be public (a website behind CloudFront with origin access control need not be)."
                    ),
                    format!(
                        "If not, turn its public access block fully on: aws s3api put-public-access-block --bucket {name} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
                    ),
                    format!("Review its policy and ACL: aws s3api get-bucket-policy --bucket {name} and aws s3api get-bucket-acl --bucket {name}"),
                    format!(
                        "Find who changed them: aws cloudtrail lookup-events --region {region} --lookup-attributes AttributeKey=ResourceName,AttributeValue={name} (PutBucketPolicy, PutBucketAcl, DeletePublicAccessBlock, PutPublicAccessBlock)"
                    ),
                    format!(
                        "Protect every bucket of the account at once: aws s3control put-public-access-block --account-id {account} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
                    ),
                ]);
                draft.severity = Some(severity);
                Some(draft)
            })
            .collect())
    }
}

/// Whether a rule anchored on the account or the bucket's name accepts the bucket (a public
/// website, say). Tag-only rules do not count: whoever exposed the bucket could tag it.
fn knows(ctx: &Context<'_>, b: &S3Bucket) -> bool {
    let view = ResourceView {
        resource_type: "s3_bucket",
        id: &b.name,
        created_at: b.created_at,
        state: None,
        tags: &b.tags,
        instance: None,
        shared_with: &[],
        instance_type: None,
    };
    ctx.settings
        .known
        .as_ref()
        .is_some_and(|k| k.knows_view_anchored(ctx.account_id, &b.region, &view))
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::Facts;

    use super::*;
    use crate::checks::fixtures::{ACCOUNT, BLOCK_ALL, bucket, evaluate, evaluate_with};
    use crate::{AllowRule, Known, Settings};

    fn facts(buckets: Vec<S3Bucket>, account: Option<PublicAccessBlock>) -> Facts {
        Facts {
            s3_buckets: Some(buckets),
            s3_account_public_access_block: account,
            ..Facts::default()
        }
    }

    fn found(drafts: &[FindingDraft]) -> Vec<(&str, Option<Severity>)> {
        drafts
            .iter()
            .map(|d| (d.resource_id.as_str(), d.severity))
            .collect()
    }

    #[test]
    fn severity_follows_exposure() {
        let partly = PublicAccessBlock {
            block_public_policy: false,
            ..BLOCK_ALL
        };
        let restricted = PublicAccessBlock {
            block_public_policy: false,
            block_public_acls: false,
            ..BLOCK_ALL
        };
        let drafts = evaluate(
            &PublicBucket,
            &facts(
                vec![
                    bucket("safe", Some(false), Some(BLOCK_ALL)),
                    bucket("public", Some(true), None),
                    bucket("switched-off", Some(false), Some(partly)),
                    bucket("legacy", Some(false), None),
                    bucket("neutralised", Some(true), Some(restricted)),
                    bucket("unknown-policy", None, None),
                ],
                None,
            ),
            "global",
            &[],
        )
        .expect("runs");
        assert_eq!(
            found(&drafts),
            [
                ("public", Some(Severity::Critical)),
                ("switched-off", Some(Severity::Critical)),
                ("legacy", Some(Severity::High)),
                ("neutralised", Some(Severity::High)),
                ("unknown-policy", Some(Severity::High)),
            ]
        );
        assert_eq!(drafts[0].region.as_deref(), Some("eu-west-1"));
        assert!(
            drafts[1].title.contains("BlockPublicPolicy"),
            "{}",
            drafts[1].title
        );
        assert!(drafts[4].detail.contains("could not be read"));
        assert!(drafts[0].remediation.iter().any(|s| s.contains(
            "aws s3api put-public-access-block --bucket public --public-access-block-configuration BlockPublicAcls=true"
        )));
        assert_eq!(
            drafts[2].evidence["bucket_public_access_block"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn the_account_block_protects_every_bucket() {
        let drafts = evaluate(
            &PublicBucket,
            &facts(
                vec![
                    bucket("public", Some(true), None),
                    bucket("legacy", Some(false), None),
                ],
                Some(BLOCK_ALL),
            ),
            "global",
            &[],
        )
        .expect("runs");
        assert!(drafts.is_empty());
    }

    #[test]
    fn an_anchored_rule_accepts_a_bucket_and_a_tag_rule_does_not() {
        let mut website = bucket("www.example.com", Some(true), None);
        website
            .tags
            .insert("purpose".to_owned(), "website".to_owned());
        let facts = facts(vec![website], None);
        let with = |rule: AllowRule| {
            let mut known = Known::default();
            known.add_resource_rule(rule);
            Settings {
                known: Some(known),
                ..Settings::default()
            }
        };
        let by_tag = with(AllowRule {
            tag_key: Some("purpose".to_owned()),
            ..AllowRule::default()
        });
        assert_eq!(
            evaluate_with(&PublicBucket, &facts, "global", &by_tag)
                .expect("runs")
                .len(),
            1
        );
        let by_name = with(AllowRule {
            account: Some(ACCOUNT.to_owned()),
            region: Some("eu-west-1".to_owned()),
            resource_type: Some("s3_bucket".to_owned()),
            id: Some(glob::Pattern::new("www.example.com").expect("glob")),
            ..AllowRule::default()
        });
        assert!(
            evaluate_with(&PublicBucket, &facts, "global", &by_name)
                .expect("runs")
                .is_empty()
        );
    }

    #[test]
    fn without_the_buckets_it_fails() {
        let err = evaluate(&PublicBucket, &Facts::default(), "global", &[]).unwrap_err();
        assert_eq!(err, CheckError::MissingSource(Source::S3Buckets));
    }
}
