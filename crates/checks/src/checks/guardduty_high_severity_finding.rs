//! GuardDuty watches CloudTrail, VPC flow logs and DNS for what intruders do: credentials
//! used from outside AWS, miners calling pools, instances talking to known bad hosts. Its
//! high and critical findings are reported one by one, with AWS's own words.

use orgsweep_model::Severity;
use orgsweep_model::facts::{GuardDutyFinding, Source};

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, rfc3339};

pub struct GuardDutyHighSeverityFinding;

static META: CheckMeta = CheckMeta {
    id: "guardduty.high_severity_finding",
    title: "GuardDuty reports a high or critical severity finding",
    severity: Severity::High,
    scope: Scope::Region,
    sources: &[Source::GuardDuty],
    rationale: "GuardDuty's high and critical findings (severity 7.0 and up) describe \
                activity that indicates a compromised resource or credential, observed by \
                AWS itself.",
    remediation: &[
        "Read the finding in the GuardDuty console and follow AWS's remediation for its type.",
        "Contain the resource or credential it names, then archive the finding.",
    ],
};

/// GuardDuty's own bands: high from 7.0, critical from 9.0 (its attack sequences).
const HIGH: f64 = 7.0;
const CRITICAL: f64 = 9.0;

fn steps(ctx: &Context<'_>, detector: &str, f: &GuardDutyFinding) -> Vec<String> {
    let (region, account) = (ctx.region, ctx.account_id);
    let mut steps = vec![format!(
        "Read the finding (in account {account}, or the GuardDuty administrator account): aws guardduty get-findings --region {region} --detector-id {detector} --finding-ids {}",
        f.id
    )];
    let named = f.resource_id.as_deref();
    match (f.resource_type.as_str(), named) {
        ("AccessKey", Some(key)) => {
            steps.push(format!(
                "Deactivate the key (do not delete it yet): aws iam update-access-key --user-name <USER> --access-key-id {key} --status Inactive"
            ));
            steps.push(format!(
                "See what it did: aws cloudtrail lookup-events --region {region} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key}"
            ));
        }
        ("Instance", Some(instance)) => {
            steps.push(format!(
                "Keep evidence: aws ec2 create-snapshots --region {region} --instance-specification InstanceId={instance} --description \"orgsweep evidence {instance}\""
            ));
            steps.push(format!(
                "Then stop it (do not terminate yet): aws ec2 stop-instances --region {region} --instance-ids {instance}"
            ));
        }
        ("S3Bucket", Some(bucket)) => steps.push(format!(
            "Block public access to the bucket: aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
        )),
        _ => steps.push(format!(
            "Contain the {} the finding names, following GuardDuty's remediation for {}.",
            f.resource_type, f.finding_type
        )),
    }
    steps.push(format!(
        "Once handled, archive it: aws guardduty archive-findings --region {region} --detector-id {detector} --finding-ids {}",
        f.id
    ));
    steps
}

impl Check for GuardDutyHighSeverityFinding {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let status = ctx.guardduty()?;
        let detector = status.detector_id.as_deref().unwrap_or("<DETECTOR_ID>");
        Ok(status
            .findings
            .iter()
            .filter(|f| f.severity >= HIGH)
            .map(|f| {
                let mut draft = FindingDraft::new(
                    "guardduty_finding",
                    &f.id,
                    format!(
                        "GuardDuty {} ({:.1}): {}",
                        f.finding_type, f.severity, f.title
                    ),
                    format!(
                        "GuardDuty in {} reports {} of severity {:.1} about {} {}: {}",
                        ctx.region,
                        f.finding_type,
                        f.severity,
                        f.resource_type,
                        f.resource_id.as_deref().unwrap_or("(unnamed)"),
                        f.title
                    ),
                )
                .evidence("finding_type", f.finding_type.as_str())
                .evidence("guardduty_severity", f.severity)
                .evidence("resource_type", f.resource_type.as_str())
                .evidence("resource_id", f.resource_id.clone())
                .evidence("updated_at", rfc3339(f.updated_at))
                .evidence("detector_id", status.detector_id.clone())
                .remediation(steps(ctx, detector, f));
                if f.severity >= CRITICAL {
                    draft.severity = Some(Severity::Critical);
                }
                draft
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{Facts, GuardDutyStatus};

    use super::*;
    use crate::checks::fixtures::{evaluate, guardduty_finding};

    fn facts(findings: Vec<GuardDutyFinding>) -> Facts {
        Facts {
            guardduty: Some(GuardDutyStatus {
                detector_id: Some("12abc34d567e8fa901bc2d34e56789f0".to_owned()),
                detector_status: Some("ENABLED".to_owned()),
                findings,
            }),
            ..Facts::default()
        }
    }

    #[test]
    fn reports_findings_from_severity_seven_and_critical_from_nine() {
        let exfiltration = guardduty_finding(
            "f-exfil",
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            8.0,
        );
        let mut miner = guardduty_finding("f-miner", "CryptoCurrency:EC2/BitcoinTool.B!DNS", 7.0);
        miner.resource_type = "Instance".to_owned();
        miner.resource_id = Some("i-0miner".to_owned());
        let sequence = guardduty_finding(
            "f-sequence",
            "AttackSequence:IAM/CompromisedCredentials",
            9.2,
        );
        let recon = guardduty_finding("f-recon", "Recon:IAMUser/MaliciousIPCaller", 6.9);
        let drafts = evaluate(
            &GuardDutyHighSeverityFinding,
            &facts(vec![exfiltration, miner, sequence, recon]),
            "eu-west-1",
            &[],
        )
        .expect("runs");
        let found: Vec<(&str, Option<Severity>)> = drafts
            .iter()
            .map(|d| (d.resource_id.as_str(), d.severity))
            .collect();
        assert_eq!(
            found,
            [
                ("f-exfil", None),
                ("f-miner", None),
                ("f-sequence", Some(Severity::Critical))
            ]
        );
        assert!(drafts[0].remediation.iter().any(|s| s.contains(
            "update-access-key --user-name <USER> --access-key-id AKIAIOSFODNN7EXAMPLE --status Inactive"
        )));
        assert!(
            drafts[1]
                .remediation
                .iter()
                .any(|s| s.contains("stop-instances --region eu-west-1 --instance-ids i-0miner"))
        );
        assert!(drafts[0].remediation[0].contains(
            "get-findings --region eu-west-1 --detector-id 12abc34d567e8fa901bc2d34e56789f0 --finding-ids f-exfil"
        ));
        assert_eq!(drafts[1].evidence["guardduty_severity"], 7.0);
    }

    #[test]
    fn without_guardduty_facts_it_fails() {
        let err = evaluate(
            &GuardDutyHighSeverityFinding,
            &Facts::default(),
            "eu-west-1",
            &[],
        )
        .unwrap_err();
        assert_eq!(err, CheckError::MissingSource(Source::GuardDuty));
    }
}
