//! A resource neither the baseline nor an allow rule accounts for: somebody launched it
//! since the last accepted state, and somebody should say who.

use orgsweep_model::Severity;
use orgsweep_model::facts::RESOURCE_SOURCES;

use crate::checks::resource_common::{containment_steps, described, resource_draft};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, resource_label};

pub struct UnknownResource;

static META: CheckMeta = CheckMeta {
    id: "resources.unknown_resource",
    title: "Resource the baseline and the allow rules do not know",
    severity: Severity::Medium,
    scope: Scope::Region,
    sources: &RESOURCE_SOURCES,
    rationale: "Every resource should be one the organization launched; an intruder's \
                instances, keys and snapshots show up as resources nobody accepted.",
    remediation: &[
        "Confirm with the account owner whether the resource is sanctioned.",
        "If it is, add it to the baseline or an allow rule; if not, contain it.",
    ],
};

impl Check for UnknownResource {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        if !ctx
            .settings
            .known
            .as_ref()
            .is_some_and(|k| k.covers_resources())
        {
            return Err(CheckError::NotConfigured(
                "no baseline: pass --baseline (orgsweep baseline writes one), or add [[allow]] rules to the settings file (--config)",
            ));
        }
        Ok(ctx
            .resources()?
            .iter()
            .filter(|r| !r.is_gone() && !ctx.knows_resource(r))
            .map(|r| {
                let mut steps = containment_steps(ctx, r);
                steps.insert(
                    1,
                    format!(
                        "If it is sanctioned, accept it: add a [[resources]] entry (account = \"{}\", region = \"{}\", type = \"{}\", id = \"{}\") to the baseline, or an [[allow]] rule to orgsweep.toml.",
                        ctx.account_id, ctx.region, r.resource_type, r.id
                    ),
                );
                resource_draft(
                    r,
                    format!("Unknown {} {}", resource_label(r.resource_type), r.id),
                    format!("{} is in neither the baseline nor an allow rule.", described(r)),
                )
                .remediation(steps)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{ACCOUNT, evaluate_with, full_inventory, instance};
    use crate::{AllowRule, Known, Settings};

    #[test]
    fn reports_what_no_rule_knows_and_skips_without_a_reference() {
        let facts = full_inventory(vec![
            instance("i-web", "t3.micro", "running"),
            instance("i-miner", "p3.2xlarge", "running"),
            instance("i-old", "t3.micro", "terminated"),
        ]);
        let err =
            evaluate_with(&UnknownResource, &facts, "us-east-1", &Settings::default()).unwrap_err();
        assert!(err.is_skip());

        let mut known = Known::default();
        known.add_resource_rule(AllowRule {
            account: Some(ACCOUNT.to_owned()),
            id: Some(glob::Pattern::new("i-web").expect("glob")),
            ..AllowRule::default()
        });
        let settings = Settings {
            known: Some(known),
            ..Settings::default()
        };
        let drafts = evaluate_with(&UnknownResource, &facts, "us-east-1", &settings).expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["i-miner"]);
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("[[resources]]"))
        );
    }
}
