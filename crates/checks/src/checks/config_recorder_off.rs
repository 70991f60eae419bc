//! AWS Config records what changes in a region; where it is off, changes an intruder makes
//! leave no configuration history. Reported as a blind spot, not as an incident.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;
use serde_json::json;

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct ConfigRecorderOff;

static META: CheckMeta = CheckMeta {
    id: "config.recorder_off",
    title: "AWS Config is not recording in the region",
    severity: Severity::Low,
    scope: Scope::Region,
    sources: &[Source::ConfigRecorders],
    rationale: "Without a recording AWS Config recorder, resource changes in the region \
                leave no configuration history to investigate.",
    remediation: &[
        "Turn on an AWS Config recorder for the region (for example through an organization conformance setup).",
    ],
};

impl Check for ConfigRecorderOff {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let recorders = ctx.config_recorders()?;
        if recorders.iter().any(|r| r.recording) {
            return Ok(Vec::new());
        }
        let region = ctx.region;
        let (detail, steps) = match recorders.first() {
            None => (
                format!("No AWS Config recorder exists in {region}."),
                vec![
                    format!(
                        "Create a recorder: aws configservice put-configuration-recorder --region {region} --configuration-recorder name=default,roleARN=<CONFIG_ROLE_ARN> --recording-group allSupported=true"
                    ),
                    format!(
                        "Give it a delivery channel, then start it: aws configservice start-configuration-recorder --region {region} --configuration-recorder-name default"
                    ),
                ],
            ),
            Some(r) => (
                format!(
                    "AWS Config recorder {} in {region} exists but is not recording.",
                    r.name
                ),
                vec![
                    format!(
                        "Find out who stopped it: aws cloudtrail lookup-events --region {region} --lookup-attributes AttributeKey=EventName,AttributeValue=StopConfigurationRecorder"
                    ),
                    format!(
                        "Start it: aws configservice start-configuration-recorder --region {region} --configuration-recorder-name {}",
                        r.name
                    ),
                ],
            ),
        };
        Ok(vec![
            FindingDraft::new(
                "config_recorder",
                region,
                format!("AWS Config is not recording in {region}"),
                detail,
            )
            .evidence("recorders", json!(recorders))
            .remediation(steps),
        ])
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{ConfigRecorder, Facts};

    use super::*;
    use crate::checks::fixtures::evaluate;

    fn facts(recorders: Vec<ConfigRecorder>) -> Facts {
        Facts {
            config_recorders: Some(recorders),
            ..Facts::default()
        }
    }

    fn recorder(name: &str, recording: bool) -> ConfigRecorder {
        ConfigRecorder {
            name: name.to_owned(),
            recording,
            last_status: None,
        }
    }

    #[test]
    fn fires_when_no_recorder_records() {
        let none = evaluate(&ConfigRecorderOff, &facts(vec![]), "eu-west-1", &[]).expect("runs");
        assert_eq!(none.len(), 1);
        assert!(none[0].detail.contains("No AWS Config recorder"));
        let stopped = evaluate(
            &ConfigRecorderOff,
            &facts(vec![recorder("default", false)]),
            "eu-west-1",
            &[],
        )
        .expect("runs");
        assert!(stopped[0].remediation.iter().any(|s| s.contains(
            "start-configuration-recorder --region eu-west-1 --configuration-recorder-name default"
        )));
        let on = evaluate(
            &ConfigRecorderOff,
            &facts(vec![recorder("default", true)]),
            "eu-west-1",
            &[],
        )
        .expect("runs");
        assert!(on.is_empty());
        assert!(evaluate(&ConfigRecorderOff, &Facts::default(), "eu-west-1", &[]).is_err());
    }
}
