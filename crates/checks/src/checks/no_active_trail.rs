//! Without a trail logging management events in every region, the next intrusion leaves
//! no history beyond CloudTrail's 90-day event history, and a stopped trail is one of the
//! first things an intruder does.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;
use serde_json::json;

use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct NoActiveTrail;

static META: CheckMeta = CheckMeta {
    id: "cloudtrail.no_active_trail",
    title: "No CloudTrail trail logs management events in every region",
    severity: Severity::High,
    scope: Scope::Account,
    sources: &[Source::Trails],
    rationale: "A multi-region trail logging management events (the account's own or the \
                organization trail) is the record an investigation needs; stopping it is \
                classic defense evasion.",
    remediation: &[
        "Create an organization trail (or an account trail) for all regions with management events.",
        "Start any stopped trail and find out who stopped it.",
    ],
};

impl Check for NoActiveTrail {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let trails = ctx.trails()?;
        let mut drafts = Vec::new();
        for stopped in trails.iter().filter(|t| !t.logging) {
            let region = stopped.home_region.as_deref().unwrap_or("us-east-1");
            drafts.push(
                FindingDraft::new(
                    "cloudtrail_trail",
                    &stopped.arn,
                    format!("CloudTrail trail {} is stopped", stopped.name),
                    format!("Trail {} exists but is not logging.", stopped.name),
                )
                .evidence("trail", json!(stopped))
                .remediation(vec![
                    format!(
                        "Find who stopped it: aws cloudtrail lookup-events --region {region} --lookup-attributes AttributeKey=EventName,AttributeValue=StopLogging"
                    ),
                    format!("Start it: aws cloudtrail start-logging --region {region} --name {}", stopped.arn),
                ]),
            );
        }
        let active = trails
            .iter()
            .any(|t| t.logging && t.multi_region && t.management_events);
        if !active {
            drafts.push(
                FindingDraft::new(
                    "cloudtrail",
                    ctx.account_id,
                    "No trail logs management events in every region".to_owned(),
                    format!(
                        "None of the {} trail(s) visible in account {} is logging management events for all regions.",
                        trails.len(),
                        ctx.account_id
                    ),
                )
                .evidence("trails", json!(trails))
                .remediation(vec![
                    "From the management account, create an organization trail: aws cloudtrail create-trail --name org-trail --s3-bucket-name <LOG_BUCKET> --is-multi-region-trail --is-organization-trail".to_owned(),
                    "Then start it: aws cloudtrail start-logging --name org-trail".to_owned(),
                ]),
            );
        }
        Ok(drafts)
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::facts::{Facts, Trail};

    use super::*;
    use crate::checks::fixtures::evaluate;

    fn trail(name: &str, logging: bool, multi_region: bool, management_events: bool) -> Trail {
        Trail {
            name: name.to_owned(),
            arn: format!("arn:aws:cloudtrail:us-east-1:111111111111:trail/{name}"),
            home_region: Some("us-east-1".to_owned()),
            multi_region,
            organization_trail: false,
            logging,
            management_events,
            s3_bucket: None,
            s3_key_prefix: None,
        }
    }

    fn run(trails: Vec<Trail>) -> Vec<String> {
        let facts = Facts {
            trails: Some(trails),
            ..Facts::default()
        };
        evaluate(&NoActiveTrail, &facts, "global", &[])
            .expect("runs")
            .into_iter()
            .map(|d| d.resource_type)
            .collect()
    }

    #[test]
    fn needs_one_logging_multi_region_management_trail() {
        assert_eq!(run(vec![]), ["cloudtrail"]);
        assert!(run(vec![trail("org", true, true, true)]).is_empty());
        assert_eq!(
            run(vec![trail("regional", true, false, true)]),
            ["cloudtrail"]
        );
        assert_eq!(
            run(vec![trail("data-only", true, true, false)]),
            ["cloudtrail"]
        );
        assert_eq!(
            run(vec![
                trail("org", true, true, true),
                trail("old", false, true, true)
            ]),
            ["cloudtrail_trail"]
        );
        assert_eq!(
            run(vec![trail("org", false, true, true)]),
            ["cloudtrail_trail", "cloudtrail"]
        );
    }
}
