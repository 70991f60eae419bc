//! The IAM policies users are told to deploy are least-privileged: the scan policy reads
//! metadata only, and reading data (the organization trail's log files) is a separate
//! policy scoped to one bucket. Any data-reading action on `*` fails this test.

use serde_json::Value;

const SCAN: &str = include_str!("../iam/orgsweep-scan-policy.json");
const TRAIL_LOGS: &str = include_str!("../iam/orgsweep-trail-logs-policy.json");
const REMEDIATION: &str = include_str!("../iam/orgsweep-remediation-policy.json");

/// Actions that read data (object contents, secrets, parameters, logs, code), as opposed to
/// metadata: granted on `*`, they would let the scanning identity read everything.
const DATA_READING: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "lambda:GetFunction",
    "ec2:GetPasswordData",
    "ec2:GetConsoleOutput",
    "rds:DownloadDBLogFilePortion",
    "sqs:ReceiveMessage",
];

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether an IAM action pattern (`s3:Get*`, `*`) grants `action`.
fn grants(pattern: &str, action: &str) -> bool {
    glob::Pattern::new(&pattern.to_ascii_lowercase())
        .is_ok_and(|p| p.matches(&action.to_ascii_lowercase()))
}

/// (action pattern, resources) of every Allow statement.
fn allows(policy: &str) -> Vec<(String, Vec<String>)> {
    let policy: Value = serde_json::from_str(policy).expect("the policy is JSON");
    let mut out = Vec::new();
    for statement in policy["Statement"].as_array().expect("a Statement list") {
        assert_eq!(statement["Effect"], "Allow", "{statement}");
        assert!(
            statement.get("NotAction").is_none() && statement.get("NotResource").is_none(),
            "NotAction/NotResource grant more than they seem: {statement}"
        );
        let resources: Vec<String> = strings(&statement["Resource"])
            .into_iter()
            .map(str::to_owned)
            .collect();
        for action in strings(&statement["Action"]) {
            out.push((action.to_owned(), resources.clone()));
        }
    }
    out
}

fn data_reads_on_everything(policy: &str) -> Vec<String> {
    allows(policy)
        .into_iter()
        .filter(|(_, resources)| resources.iter().any(|r| r == "*"))
        .flat_map(|(pattern, _)| {
            DATA_READING
                .iter()
                .filter(|a| grants(&pattern, a))
                .map(|a| format!("{pattern} grants {a} on *"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn no_policy_reads_data_on_every_resource() {
    for (name, policy) in [
        ("scan", SCAN),
        ("trail logs", TRAIL_LOGS),
        ("remediation", REMEDIATION),
    ] {
        let found = data_reads_on_everything(policy);
        assert!(found.is_empty(), "{name} policy: {found:?}");
    }
    // The test itself would notice: a wildcard and a broad S3 grant are caught.
    let broad =
        r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "*"], "Resource": "*"}]}"#;
    assert!(data_reads_on_everything(broad).len() >= 2);
}

#[test]
fn the_scan_policy_only_reads_and_the_trail_policy_names_one_bucket() {
    for (action, _) in allows(SCAN) {
        let verb = action.split(':').nth(1).unwrap_or("");
        assert!(
            ["Describe", "Get", "List", "Generate", "Lookup"]
                .iter()
                .any(|v| verb.starts_with(v)),
            "{action} is not a read"
        );
        assert!(!action.contains('*'), "{action}: wildcards grow with AWS");
    }
    let trail = allows(TRAIL_LOGS);
    assert!(!trail.is_empty());
    for (action, resources) in trail {
        for resource in resources {
            assert!(
                resource.starts_with("arn:aws:s3:::<LOG_BUCKET>"),
                "{action} on {resource}: the trail policy names one bucket (a placeholder the README explains)"
            );
        }
    }
}
