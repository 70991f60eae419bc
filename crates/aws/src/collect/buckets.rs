//! The account's S3 buckets and whether they are exposed: each bucket's policy status and
//! public access block, and the account's own public access block (which AWS combines with
//! each bucket's).
//!
//! Calls per account: ListBuckets (1 000 per page), S3 Control GetPublicAccessBlock, and per
//! bucket GetBucketPolicyStatus, GetPublicAccessBlock and GetBucketTagging, sent to the
//! bucket's own region (other regions answer with a redirect), plus GetBucketLocation for a
//! bucket whose region the list does not give (endpoints older than ListBuckets'
//! `BucketRegion`). The tags are what allow rules and the baseline know a bucket by: the
//! buckets are inventoried and judged as resources of their own region.

use aws_sdk_s3::types::BucketLocationConstraint;
use aws_smithy_types::endpoint::Endpoint;
use orgsweep_model::facts::{PublicAccessBlock, S3Bucket};

use super::to_time;
use crate::error::AwsError;
use crate::session::AccountSession;

/// ListBuckets' page size (AWS allows up to 10 000).
const PAGE_SIZE: i32 = 1000;

/// What S3 collection found: the buckets, the account-level block, and the buckets that
/// could not be judged, with why (a bucket whose policy forbids the scan role to read its
/// settings is reported as such, not taken for unprotected).
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    pub(crate) buckets: Vec<S3Bucket>,
    pub(crate) account_block: Option<PublicAccessBlock>,
    pub(crate) problems: Vec<String>,
}

fn block(c: Option<&aws_sdk_s3::types::PublicAccessBlockConfiguration>) -> PublicAccessBlock {
    PublicAccessBlock {
        block_public_acls: c.and_then(|c| c.block_public_acls()).unwrap_or(false),
        ignore_public_acls: c.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
        block_public_policy: c.and_then(|c| c.block_public_policy()).unwrap_or(false),
        restrict_public_buckets: c.and_then(|c| c.restrict_public_buckets()).unwrap_or(false),
    }
}

/// GetBucketLocation's answer as a region code: empty (or absent) is us-east-1, `EU` is
/// eu-west-1 (the legacy name).
fn location_region(constraint: Option<&BucketLocationConstraint>) -> String {
    match constraint.map(BucketLocationConstraint::as_str) {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(other) => other.to_owned(),
    }
}

/// The endpoint override taken as it is: S3 Control's endpoint rules put the account id in
/// front of the host (`123456789012.s3-control…`), which is right for AWS and unresolvable
/// for an emulator at `127.0.0.1`.
#[derive(Debug)]
struct Fixed(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for Fixed {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(Endpoint::builder()
            .url(self.0.clone())
            .build()))
    }
}

impl AccountSession {
    /// S3 in `region`, path-style when an endpoint override (an emulator) is in use.
    fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        let client = self.s3_client(Some(region));
        if self.shared.options.endpoint_url.is_none() {
            return client;
        }
        let config = client.config().to_builder().force_path_style(true).build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// S3 Control in the account's home region, at the override as it is when there is one.
    fn s3control(&self) -> aws_sdk_s3control::Client {
        let client = self.s3control_client(Some(&self.home_region()));
        let Some(url) = self.shared.options.endpoint_url.clone() else {
            return client;
        };
        let config = client
            .config()
            .to_builder()
            .endpoint_resolver(Fixed(url))
            .build();
        aws_sdk_s3control::Client::from_conf(config)
    }

    /// Every bucket the account owns, sorted by name, with its exposure.
    pub(crate) async fn s3_buckets(&self) -> Result<Buckets, AwsError> {
        let global = self.s3_in(&self.home_region());
        let mut listed = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = global
                .list_buckets()
                .max_buckets(PAGE_SIZE)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.error("s3:ListBuckets", e))?;
            for b in page.buckets() {
                let Some(name) = b.name() else { continue };
                listed.push((
                    name.to_owned(),
                    b.bucket_region().map(str::to_owned),
                    to_time(b.creation_date()),
                ));
            }
            match page.continuation_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }

        let mut out = Buckets {
            account_block: self.account_public_access_block().await?,
            ..Buckets::default()
        };
        for (name, region, created_at) in listed {
            let region = match region {
                Some(region) => region,
                None => match global.get_bucket_location().bucket(&name).send().await {
                    Ok(location) => location_region(location.location_constraint()),
                    Err(e) => {
                        let err = self.error("s3:GetBucketLocation", e);
                        if err.code() != Some("NoSuchBucket") {
                            out.problems.push(format!("bucket {name}: {err}"));
                        }
                        continue;
                    }
                },
            };
            let s3 = self.s3_in(&region);
            let block_public_access = match s3.get_public_access_block().bucket(&name).send().await
            {
                Ok(got) => Some(block(got.public_access_block_configuration())),
                Err(e) => {
                    let err = self.error("s3:GetPublicAccessBlock", e);
                    match err.code() {
                        Some("NoSuchPublicAccessBlockConfiguration") => None,
                        // Deleted since it was listed.
                        Some("NoSuchBucket") => continue,
                        // Unknown is not "none": the bucket cannot be judged.
                        _ => {
                            out.problems.push(format!("bucket {name}: {err}"));
                            continue;
                        }
                    }
                }
            };
            let policy_public = match s3.get_bucket_policy_status().bucket(&name).send().await {
                Ok(got) => Some(
                    got.policy_status()
                        .and_then(|s| s.is_public())
                        .unwrap_or(false),
                ),
                Err(e) => {
                    let err = self.error("s3:GetBucketPolicyStatus", e);
                    match err.code() {
                        Some("NoSuchBucketPolicy") => Some(false),
                        Some("NoSuchBucket") => continue,
                        _ => {
                            out.problems.push(format!("bucket {name}: {err}"));
                            None
                        }
                    }
                }
            };
            let tags = match s3.get_bucket_tagging().bucket(&name).send().await {
                Ok(got) => got
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
                Err(e) => {
                    let err = self.error("s3:GetBucketTagging", e);
                    match err.code() {
                        Some("NoSuchTagSet") => Default::default(),
                        Some("NoSuchBucket") => continue,
                        // Unknown tags: a tag rule cannot know the bucket; say so.
                        _ => {
                            out.problems.push(format!("bucket {name}: {err}"));
                            Default::default()
                        }
                    }
                }
            };
            out.buckets.push(S3Bucket {
                name,
                region,
                created_at,
                policy_public,
                block_public_access,
                tags,
            });
        }
        out.buckets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// s3control:GetPublicAccessBlock for the account; `None` when it has none.
    async fn account_public_access_block(&self) -> Result<Option<PublicAccessBlock>, AwsError> {
        match self
            .s3control()
            .get_public_access_block()
            .account_id(&self.account_id)
            .send()
            .await
        {
            Ok(got) => {
                let c = got.public_access_block_configuration();
                Ok(Some(PublicAccessBlock {
                    block_public_acls: c.and_then(|c| c.block_public_acls()).unwrap_or(false),
                    ignore_public_acls: c.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
                    block_public_policy: c.and_then(|c| c.block_public_policy()).unwrap_or(false),
                    restrict_public_buckets: c
                        .and_then(|c| c.restrict_public_buckets())
                        .unwrap_or(false),
                }))
            }
            Err(e) => {
                let err = self.error("s3control:GetPublicAccessBlock", e);
                if err.code() == Some("NoSuchPublicAccessBlockConfiguration") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_locations_are_region_codes() {
        assert_eq!(location_region(None), "us-east-1");
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::from(""))),
            "us-east-1"
        );
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::Eu)),
            "eu-west-1"
        );
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::ApSoutheast2)),
            "ap-southeast-2"
        );
    }
}
