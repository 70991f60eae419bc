//! S3 (restXml, virtual-hosted buckets): ListBuckets, and per bucket its policy status,
//! public access block, location and tags; S3 Control's account-level public access block.
//! A bucket call signed for another region than the bucket's is redirected (301
//! PermanentRedirect with `x-amz-bucket-region`), as S3's regional endpoints answer it.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::account_model::{self, AccessBlock, Bucket};
use crate::clock::iso;
use crate::services::{page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, Sim, Table};
use crate::wire::{ApiError, el};

pub(crate) fn register(t: &mut Table) {
    t.route(
        "s3",
        "GET",
        "/{}?policyStatus",
        "GetBucketPolicyStatus",
        get_bucket_policy_status,
    )
    .route(
        "s3",
        "GET",
        "/{}?publicAccessBlock",
        "GetPublicAccessBlock",
        get_public_access_block,
    )
    .route(
        "s3",
        "GET",
        "/{}?location",
        "GetBucketLocation",
        get_bucket_location,
    )
    .route(
        "s3",
        "GET",
        "/{}?tagging",
        "GetBucketTagging",
        get_bucket_tagging,
    )
    .route("s3", "GET", "/", "ListBuckets", list_buckets)
    .route(
        "s3control",
        "GET",
        "/v20180820/configuration/publicAccessBlock",
        "GetPublicAccessBlock",
        get_account_public_access_block,
    );
}

const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn xml(root: &str, xmlns: &str, inner: impl FnOnce(&mut String)) -> Bytes {
    let mut o = String::with_capacity(256);
    let _ = write!(o, "{XML}<{root} xmlns=\"{xmlns}\">");
    inner(&mut o);
    let _ = write!(o, "</{root}>");
    Bytes::from(o)
}

fn list_buckets(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let org = &sim.org;
    let region_filter = call.params.str("bucket-region");
    let prefix = call.params.str("prefix").unwrap_or("");
    let all: Vec<Bucket> = account_model::buckets(org, call.account)
        .into_iter()
        .filter(|b| region_filter.is_none_or(|r| org.region_name(b.region) == r))
        .filter(|b| b.name.starts_with(prefix))
        .collect();
    let p = page(
        call.params,
        "continuation-token",
        "max-buckets",
        all.len(),
        1,
        10_000,
        None,
        "InvalidArgument",
    )?;
    let acct = &org.accounts[call.account];
    Ok(xml("ListAllMyBucketsResult", call.service.xmlns, |o| {
        o.push_str("<Owner>");
        el(o, "ID", &format!("{:0>64}", acct.id));
        el(o, "DisplayName", &acct.name);
        o.push_str("</Owner><Buckets>");
        for b in &all[p.start..p.end] {
            o.push_str("<Bucket>");
            el(o, "Name", &b.name);
            el(o, "CreationDate", &iso(b.created));
            el(o, "BucketRegion", org.region_name(b.region));
            o.push_str("</Bucket>");
        }
        o.push_str("</Buckets>");
        if let Some(n) = p.next {
            el(o, "ContinuationToken", &token(n));
        }
        if !prefix.is_empty() {
            el(o, "Prefix", prefix);
        }
    }))
}

/// The caller's bucket the request names; redirected when asked in another region.
fn bucket(sim: &Sim, call: &Call<'_>, any_region: bool) -> Result<(usize, Bucket), ApiError> {
    let name = call.path.first().map_or("", String::as_str);
    let (k, b) = account_model::buckets(&sim.org, call.account)
        .into_iter()
        .enumerate()
        .find(|(_, b)| b.name == name)
        .ok_or_else(|| ApiError::new(404, "NoSuchBucket", "The specified bucket does not exist"))?;
    let home = sim.org.region_name(b.region);
    if !any_region && home != call.region {
        return Err(ApiError::new(
            301,
            "PermanentRedirect",
            format!(
                "The bucket you are attempting to access must be addressed using the specified endpoint: {name}.s3.{home}.amazonaws.com"
            ),
        )
        .header("x-amz-bucket-region", home.to_owned()));
    }
    Ok((k, b))
}

fn get_bucket_policy_status(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let (_, b) = bucket(sim, call, false)?;
    let Some(public) = b.policy else {
        return Err(ApiError::new(
            404,
            "NoSuchBucketPolicy",
            "The bucket policy does not exist",
        ));
    };
    let body = if public {
        &b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PolicyStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsPublic>true</IsPublic></PolicyStatus>"[..]
    } else {
        &b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PolicyStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsPublic>false</IsPublic></PolicyStatus>"[..]
    };
    Ok(Bytes::from_static(body))
}

fn block_body(xmlns: &str, block: AccessBlock) -> Bytes {
    xml("PublicAccessBlockConfiguration", xmlns, |o| {
        for (name, on) in [
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        ]
        .iter()
        .zip(block)
        {
            let _ = write!(o, "<{name}>{on}</{name}>");
        }
    })
}

fn no_block() -> ApiError {
    ApiError::new(
        404,
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    )
}

/// Blocks come in a few shapes: one cached body per shape.
fn cached_block(sim: &Sim, call: &Call<'_>, block: AccessBlock) -> Result<Bytes, ApiError> {
    let bits = block
        .iter()
        .enumerate()
        .fold(0u64, |acc, (i, on)| acc | (u64::from(*on) << i));
    let key = CacheKey {
        account: crate::sim::SHARED_ACCOUNT,
        region: GLOBAL_REGION,
        op: call.op,
        a: bits,
        b: u64::from(call.service.name == "s3control"),
    };
    sim.cached(key, || Ok(block_body(call.service.xmlns, block)))
}

fn get_public_access_block(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let (_, b) = bucket(sim, call, false)?;
    cached_block(sim, call, b.block.ok_or_else(no_block)?)
}

fn get_account_public_access_block(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let block = account_model::account_block(&sim.org, call.account).ok_or_else(no_block)?;
    cached_block(sim, call, block)
}

/// Answered from any region, as S3 does (it is how a client finds the bucket's region).
fn get_bucket_location(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let (_, b) = bucket(sim, call, true)?;
    let region = sim.org.region_name(b.region);
    Ok(if region == "us-east-1" {
        Bytes::from(format!(
            "{XML}<LocationConstraint xmlns=\"{}\"/>",
            call.service.xmlns
        ))
    } else {
        xml("LocationConstraint", call.service.xmlns, |o| {
            o.push_str(region);
        })
    })
}

fn get_bucket_tagging(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let (_, b) = bucket(sim, call, false)?;
    if b.tags.is_empty() {
        return Err(ApiError::new(
            404,
            "NoSuchTagSet",
            "The TagSet does not exist",
        ));
    }
    Ok(xml("Tagging", call.service.xmlns, |o| {
        o.push_str("<TagSet>");
        for (k, v) in &b.tags {
            o.push_str("<Tag>");
            el(o, "Key", k);
            el(o, "Value", v);
            o.push_str("</Tag>");
        }
        o.push_str("</TagSet>");
    }))
}
