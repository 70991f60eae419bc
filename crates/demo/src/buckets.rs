//! A bucket for reports (`scan --out s3://…`), and the scanner's permission to write there:
//! the IAM a report writer needs, as the README documents it. Needs the emulator without
//! IAM enforcement.

use anyhow::Context as _;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::Credentials;

use crate::seed::DemoOrg;

/// The policy of an identity that writes reports under `prefix/` of `bucket` (and reads
/// earlier ones for `--previous` and `merge`).
pub fn report_writer_policy(bucket: &str, prefix: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrgsweepFindTheBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": format!("arn:aws:s3:::{bucket}")
            },
            {
                "Sid": "OrgsweepWriteReports",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": format!("arn:aws:s3:::{bucket}/{prefix}*")
            }
        ]
    })
}

/// Creates `bucket` and lets the demo's scanner write reports under `prefix`.
pub async fn report_bucket(org: &DemoOrg, bucket: &str, prefix: &str) -> anyhow::Result<()> {
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&org.endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "orgsweep-demo",
            )),
        )
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .with_context(|| format!("creating bucket {bucket}"))?;
    aws_sdk_iam::Client::new(&config)
        .put_user_policy()
        .user_name("orgsweep-scanner")
        .policy_name("orgsweep-report-writer")
        .policy_document(report_writer_policy(bucket, prefix).to_string())
        .send()
        .await
        .context("letting the scanner write reports")?;
    Ok(())
}
