//! Cryptocurrency miners run on GPU and very large instances, launched with stolen keys.
//! A running instance of such a family that the baseline does not know is reported.

use orgsweep_model::Severity;
use orgsweep_model::facts::Source;

use crate::checks::resource_common::{containment_steps, described, resource_draft};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope};

pub struct MiningClassInstance;

static META: CheckMeta = CheckMeta {
    id: "resources.mining_class_instance",
    title: "Running GPU or very large instance the baseline does not know",
    severity: Severity::High,
    scope: Scope::Region,
    sources: &[Source::Ec2Instances],
    rationale: "Intruders with stolen keys launch GPU and very large instances to mine \
                cryptocurrency; the bill is the first visible sign.",
    remediation: &[
        "Confirm with the account owner whether the instance is sanctioned.",
        "If not, snapshot its volumes, stop it, and treat its launch credentials as compromised.",
    ],
};

/// Families named by prefix: GPU and accelerator (p, g, inf, trn, dl), memory-heavy (x, u-).
const FAMILY_PREFIXES: &[&str] = &["p", "g", "inf", "trn", "dl", "x", "u-"];
/// Sizes from this many `xlarge` units up are large enough to mine profitably.
const LARGE_XLARGE: u32 = 24;

/// Why an instance type is mining-class, or `None`. `p3.2xlarge` → GPU family;
/// `m5.24xlarge` → size; `c5.metal` → bare metal.
pub fn mining_class(instance_type: &str) -> Option<&'static str> {
    let (family, size) = instance_type.split_once('.')?;
    if family.starts_with("u-") {
        return Some("high-memory family");
    }
    // The family's letters before its generation digit: `g4dn` → `g`, `inf2` → `inf`.
    let letters: String = family
        .chars()
        .take_while(|c| c.is_ascii_lowercase())
        .collect();
    if FAMILY_PREFIXES.contains(&letters.as_str()) {
        return Some(match letters.as_str() {
            "x" => "high-memory family",
            _ => "GPU or accelerator family",
        });
    }
    if size.starts_with("metal") {
        return Some("bare metal");
    }
    let units = size.strip_suffix("xlarge")?;
    match units.parse::<u32>() {
        Ok(n) if n >= LARGE_XLARGE => Some("very large size"),
        _ => None,
    }
}

impl Check for MiningClassInstance {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let instances = ctx.ec2_instances()?;
        let resources: Vec<_> = ctx
            .facts
            .resources()
            .filter(|r| r.instance.is_some())
            .collect();
        debug_assert_eq!(resources.len(), instances.len());
        Ok(resources
            .iter()
            .filter(|r| r.state == Some("running") && !ctx.knows_resource_anchored(r))
            .filter_map(|r| {
                let instance_type = r.instance.map(|i| i.instance_type.as_str())?;
                let why = mining_class(instance_type)?;
                Some(
                    resource_draft(
                        r,
                        format!("{instance_type} instance {} is running ({why})", r.id),
                        format!(
                            "{} is a running {instance_type} ({why}), the kind intruders launch to mine cryptocurrency.",
                            described(r)
                        ),
                    )
                    .evidence("why", why)
                    .remediation(containment_steps(ctx, r)),
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{evaluate, full_inventory, instance};

    #[test]
    fn classifies_instance_families_and_sizes() {
        for t in [
            "p3.2xlarge",
            "p5.48xlarge",
            "g4dn.xlarge",
            "g5g.2xlarge",
            "inf2.xlarge",
            "trn1.32xlarge",
            "dl1.24xlarge",
            "x2iedn.xlarge",
            "u-6tb1.metal",
            "c5.metal",
            "m7i.metal-24xl",
            "m5.24xlarge",
            "c6i.32xlarge",
            "r6a.48xlarge",
        ] {
            assert!(mining_class(t).is_some(), "{t}");
        }
        for t in [
            "t3.micro",
            "m5.16xlarge",
            "c5.large",
            "i3.xlarge",
            "r5.12xlarge",
            "garbage",
            "",
        ] {
            assert!(mining_class(t).is_none(), "{t}");
        }
    }

    #[test]
    fn reports_running_mining_class_instances_only() {
        let facts = full_inventory(vec![
            instance("i-gpu", "p3.2xlarge", "running"),
            instance("i-stopped-gpu", "g5.xlarge", "stopped"),
            instance("i-web", "t3.micro", "running"),
        ]);
        let drafts = evaluate(&MiningClassInstance, &facts, "us-east-1", &[]).expect("runs");
        let ids: Vec<&str> = drafts.iter().map(|d| d.resource_id.as_str()).collect();
        assert_eq!(ids, ["i-gpu"]);
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("stop-instances --region us-east-1 --instance-ids i-gpu"))
        );
    }

    #[test]
    fn tag_only_allow_rules_never_silence_it_but_an_id_rule_does() {
        use crate::checks::fixtures::evaluate_with;
        use crate::{AllowRule, Known, Settings};
        let mut gpu = instance("i-gpu", "p3.2xlarge", "running");
        // Whoever launched the instance chose its tags.
        gpu.tags.insert("team".to_owned(), "platform".to_owned());
        let facts = full_inventory(vec![gpu]);
        let with_rule = |rule: AllowRule| {
            let mut known = Known::default();
            known.add_resource_rule(rule);
            Settings {
                known: Some(known),
                ..Settings::default()
            }
        };
        let by_tag = with_rule(AllowRule {
            tag_key: Some("team".to_owned()),
            tag_value: Some(glob::Pattern::new("platform").expect("glob")),
            ..AllowRule::default()
        });
        let drafts =
            evaluate_with(&MiningClassInstance, &facts, "us-east-1", &by_tag).expect("runs");
        assert_eq!(drafts.len(), 1, "a tag-only rule silenced a GPU instance");
        let by_id = with_rule(AllowRule {
            account: Some(crate::checks::fixtures::ACCOUNT.to_owned()),
            id: Some(glob::Pattern::new("i-gpu").expect("glob")),
            ..AllowRule::default()
        });
        let drafts =
            evaluate_with(&MiningClassInstance, &facts, "us-east-1", &by_id).expect("runs");
        assert!(
            drafts.is_empty(),
            "an anchored rule is a person vouching for it"
        );
    }
}
