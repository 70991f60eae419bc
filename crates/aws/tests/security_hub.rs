//! `--security-hub`: findings imported into moto's Security Hub through the real SDK, in
//! batches of 100, read back with GetFindings; a finding Security Hub refuses is counted
//! and named, and the others still arrive; resolved findings are archived.

use aws_credential_types::Credentials;
use orgsweep_aws::{BATCH_LIMIT, Caller, Limits, Session, SessionOptions};
use orgsweep_demo::emulator::Emulator;
use serde_json::{Value, json};

/// moto's default account: the caller, which imports the findings.
const CALLER: &str = "123456789012";
const MEMBER: &str = "210987654321";
const REGION: &str = "eu-west-1";

/// An ASFF object shaped like `orgsweep_report::asff_findings` makes them.
fn asff(id: &str, account: &str, workflow: &str, state: &str) -> Value {
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": id,
        "ProductArn": format!("arn:aws:securityhub:us-east-1:{CALLER}:product/{CALLER}/default"),
        "ProductName": "orgsweep",
        "CompanyName": "orgsweep",
        "GeneratorId": "resources.mining_class_instance",
        "AwsAccountId": account,
        "Types": ["Effects/Resource Consumption"],
        "CreatedAt": "2026-11-20T10:00:00Z",
        "UpdatedAt": "2026-11-26T10:00:00Z",
        "Severity": {"Label": "HIGH", "Original": "high"},
        "Title": format!("GPU instance {id} <script>x</script>"),
        "Description": "A mining-class instance runs.",
        "Resources": [{"Type": "AwsEc2Instance", "Id": format!("i-{id}"), "Partition": "aws", "Region": "ap-southeast-2"}],
        "Remediation": {"Recommendation": {"Text": "Stop it."}},
        "ProductFields": {"orgsweep/check_id": "resources.mining_class_instance", "orgsweep/account_id": account},
        "Workflow": {"Status": workflow},
        "RecordState": state,
    })
}

async fn session(endpoint: &str) -> Session {
    Session::connect(
        SessionOptions {
            endpoint_url: Some(endpoint.to_owned()),
            credentials: Some(Credentials::new("testing", "testing", None, None, "hub")),
            caller: Caller::from_arn(&format!("arn:aws:iam::{CALLER}:user/tester"), None),
            ..SessionOptions::default()
        },
        Limits::default(),
    )
    .await
    .expect("session")
}

fn hub_client(endpoint: &str) -> aws_sdk_securityhub::Client {
    let config = aws_sdk_securityhub::Config::builder()
        .behavior_version(aws_sdk_securityhub::config::BehaviorVersion::latest())
        .region(aws_sdk_securityhub::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "hub"))
        .build();
    aws_sdk_securityhub::Client::from_conf(config)
}

async fn stored(
    client: &aws_sdk_securityhub::Client,
) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    let mut all = Vec::new();
    let mut pages = client
        .get_findings()
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        all.extend(page.expect("GetFindings").findings().iter().cloned());
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn findings_are_imported_in_batches_refusals_are_counted_and_resolved_ones_archived() {
    let emulator = Emulator::start().expect("moto");
    let endpoint = emulator.endpoint();
    let client = hub_client(&endpoint);
    client
        .enable_security_hub()
        .send()
        .await
        .expect("enable Security Hub");
    let session = session(&endpoint).await;

    // 230 findings about a member account (three batches), one muted, and one that
    // Security Hub refuses: no resource at all, about the caller itself.
    let mut active: Vec<Value> = (0..230)
        .map(|n| asff(&format!("f{n:03}"), MEMBER, "NEW", "ACTIVE"))
        .collect();
    active[1]["Workflow"]["Status"] = json!("SUPPRESSED");
    let mut refused = asff("refused", CALLER, "NEW", "ACTIVE");
    refused["Resources"] = json!([]);
    active.push(refused);
    let export = session.export_to_security_hub(REGION, &active, &[]).await;
    assert_eq!(export.batches, 231_usize.div_ceil(BATCH_LIMIT));
    assert_eq!(export.imported, 230);
    assert_eq!(export.failed.len(), 1, "{:?}", export.failed);
    assert_eq!(export.failed[0].0, "refused");
    assert!(
        export.failed[0].1.contains("at least one resource"),
        "{:?}",
        export.failed
    );

    let findings = stored(&client).await;
    assert_eq!(findings.len(), 230);
    let first = findings
        .iter()
        .find(|f| f.id() == Some("f000"))
        .expect("f000 imported");
    // Imported as the caller's through its default product; the member is a resource.
    assert_eq!(first.aws_account_id(), Some(CALLER));
    assert_eq!(
        first.product_arn(),
        Some(format!("arn:aws:securityhub:{REGION}:{CALLER}:product/{CALLER}/default").as_str())
    );
    let resources: Vec<(&str, &str)> = first
        .resources()
        .iter()
        .map(|r| (r.r#type().unwrap_or_default(), r.id().unwrap_or_default()))
        .collect();
    assert_eq!(
        resources,
        [
            ("AwsEc2Instance", "i-f000"),
            ("AwsAccount", "AWS::::Account:210987654321")
        ]
    );
    assert_eq!(
        first.title(),
        Some("GPU instance f000 <script>x</script>"),
        "values travel as data"
    );
    assert_eq!(
        first
            .product_fields()
            .and_then(|p| p.get("orgsweep/account_id"))
            .map(String::as_str),
        Some(MEMBER)
    );
    let muted = findings
        .iter()
        .find(|f| f.id() == Some("f001"))
        .expect("f001");
    assert_eq!(
        muted
            .workflow()
            .and_then(|w| w.status())
            .map(|s| s.as_str()),
        Some("SUPPRESSED")
    );

    // The next run: f002 was resolved, so it is archived (same Id, RecordState ARCHIVED).
    let resolved = vec![asff("f002", MEMBER, "RESOLVED", "ARCHIVED")];
    let export = session
        .export_to_security_hub(REGION, &active[3..10], &resolved)
        .await;
    assert_eq!((export.imported, export.archived), (7, 1));
    assert!(export.failed.is_empty(), "{:?}", export.failed);
    let findings = stored(&client).await;
    let archived = findings
        .iter()
        .find(|f| f.id() == Some("f002"))
        .expect("f002");
    assert_eq!(
        archived.record_state().map(|s| s.as_str()),
        Some("ARCHIVED")
    );
    assert_eq!(findings.len(), 230, "archiving updates, it does not add");
}

/// A region where Security Hub cannot be reached: every finding is counted as not
/// imported, with the reason, and nothing panics.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_security_hub_fails_every_finding_with_the_reason() {
    let session = Session::connect(
        SessionOptions {
            endpoint_url: Some("http://127.0.0.1:1".to_owned()),
            credentials: Some(Credentials::new("testing", "testing", None, None, "hub")),
            caller: Caller::from_arn(&format!("arn:aws:iam::{CALLER}:user/tester"), None),
            max_attempts: 1,
            ..SessionOptions::default()
        },
        Limits::default(),
    )
    .await
    .expect("session");
    let active: Vec<Value> = (0..3)
        .map(|n| asff(&format!("u{n}"), MEMBER, "NEW", "ACTIVE"))
        .collect();
    let export = session.export_to_security_hub(REGION, &active, &[]).await;
    assert_eq!(export.imported, 0);
    assert_eq!(export.failed.len(), 3);
    assert!(
        export.failed[0]
            .1
            .contains("securityhub:BatchImportFindings"),
        "{:?}",
        export.failed
    );
}
