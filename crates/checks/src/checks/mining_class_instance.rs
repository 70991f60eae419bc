//! Cryptocurrency miners run on GPU and very large instances, launched with stolen keys.
//! A running instance of such a family that the baseline does not know is reported, and so
//! is the same compute rented through another service: SageMaker notebooks, training jobs
//! and endpoints on GPU or very large `ml.*` types, ECS tasks that were given GPUs, and
//! Lightsail's GPU bundles.

use orgsweep_model::Severity;
use orgsweep_model::facts::{ResourceKind, ResourceView, Source};

use crate::checks::resource_common::{containment_steps, described, resource_draft};
use crate::{Check, CheckError, CheckMeta, Context, FindingDraft, Scope, resource_label};

pub struct MiningClassInstance;

/// The kinds besides EC2 instances that rent compute by size.
const COMPUTE_KINDS: [ResourceKind; 5] = [
    ResourceKind::SageMakerNotebook,
    ResourceKind::SageMakerTrainingJob,
    ResourceKind::SageMakerEndpoint,
    ResourceKind::EcsTask,
    ResourceKind::LightsailInstance,
];

static META: CheckMeta = CheckMeta {
    id: "resources.mining_class_instance",
    title: "Running GPU or very large compute the baseline does not know",
    severity: Severity::High,
    scope: Scope::Region,
    sources: &[
        Source::Ec2Instances,
        Source::Ec2Resources(ResourceKind::SageMakerNotebook),
        Source::Ec2Resources(ResourceKind::SageMakerTrainingJob),
        Source::Ec2Resources(ResourceKind::SageMakerEndpoint),
        Source::Ec2Resources(ResourceKind::EcsTask),
        Source::Ec2Resources(ResourceKind::LightsailInstance),
    ],
    rationale: "Intruders with stolen keys launch GPU and very large instances to mine \
                cryptocurrency, on EC2 or through SageMaker, ECS and Lightsail; the bill is \
                the first visible sign.",
    remediation: &[
        "Confirm with the account owner whether the compute is sanctioned.",
        "If not, keep evidence, stop it, and treat the credentials that launched it as compromised.",
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

/// SageMaker's `ml.*` types are EC2 types with a prefix (`ml.p3.2xlarge`, `ml.g5.48xlarge`,
/// `ml.inf2.xlarge`, `ml.trn1.32xlarge`), so the EC2 rule applies to what follows it. A
/// resource may list several types, comma-separated (endpoint variants, instance groups):
/// the first mining-class one decides.
fn sagemaker_class(types: &str) -> Option<(&str, &'static str)> {
    types.split(',').map(str::trim).find_map(|t| {
        let why = mining_class(t.strip_prefix("ml.")?)?;
        Some((t, why))
    })
}

/// Lightsail's regular bundles stop at 8 vCPUs (`2xlarge_3_0`); the only mining-class ones
/// are Lightsail for Research's GPU bundles (`gpu_nvidia_xl_1_0`, `gpu_nvidia_2xl_1_0`,
/// `gpu_nvidia_4xl_1_0`), all named `gpu_…`.
fn lightsail_class(bundle: &str) -> Option<&'static str> {
    bundle.starts_with("gpu_").then_some("GPU bundle")
}

/// `gpu:<n>` with n ≥ 1: the task was assigned GPUs (see `ResourceKind::EcsTask`).
fn ecs_task_class(size: &str) -> Option<&'static str> {
    let n: u32 = size.strip_prefix("gpu:")?.trim().parse().ok()?;
    (n >= 1).then_some("GPUs assigned")
}

/// Whether the resource is running (or about to), in its service's own words.
fn is_running(r: &ResourceView<'_>) -> bool {
    let Some(state) = r.state else {
        return false;
    };
    match r.resource_type {
        "ec2_instance" | "lightsail_instance" => matches!(state, "running" | "pending"),
        "sagemaker_notebook" => matches!(state, "InService" | "Pending" | "Updating"),
        "sagemaker_training_job" => state == "InProgress",
        "sagemaker_endpoint" => matches!(
            state,
            "InService" | "Creating" | "Updating" | "SystemUpdating" | "RollingBack"
        ),
        "ecs_task" => matches!(state, "PROVISIONING" | "PENDING" | "ACTIVATING" | "RUNNING"),
        _ => false,
    }
}

/// The size that makes the resource mining-class and why, or `None`.
fn classify<'a>(r: &ResourceView<'a>) -> Option<(&'a str, &'static str)> {
    let size = r.instance_type?;
    match r.resource_type {
        "ec2_instance" => Some((size, mining_class(size)?)),
        "sagemaker_notebook" | "sagemaker_training_job" | "sagemaker_endpoint" => {
            sagemaker_class(size)
        }
        "ecs_task" => Some((size, ecs_task_class(size)?)),
        "lightsail_instance" => Some((size, lightsail_class(size)?)),
        _ => None,
    }
}

impl Check for MiningClassInstance {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    /// Judges every kind that was read; the engine records each declared kind that failed
    /// as a coverage gap of this check. Fails only when none of them was read.
    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError> {
        let facts = ctx.facts;
        if facts.ec2_instances.is_none()
            && !COMPUTE_KINDS
                .iter()
                .any(|k| facts.ec2_resources.contains_key(k))
        {
            return Err(CheckError::MissingSource(Source::Ec2Instances));
        }
        Ok(facts
            .resources()
            .filter(|r| is_running(r) && !ctx.knows_resource_anchored(r))
            .filter_map(|r| {
                let (size, why) = classify(&r)?;
                let label = resource_label(r.resource_type);
                Some(
                    resource_draft(
                        &r,
                        format!("{size} {label} {} is running ({why})", r.id),
                        format!(
                            "{} is a running {size} ({why}), the kind intruders launch to mine cryptocurrency.",
                            described(&r)
                        ),
                    )
                    .evidence("why", why)
                    .remediation(containment_steps(ctx, &r)),
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
    fn classifies_other_services_sizes() {
        assert!(sagemaker_class("ml.p3.2xlarge").is_some());
        assert!(sagemaker_class("ml.g5.xlarge").is_some());
        assert!(sagemaker_class("ml.inf2.xlarge").is_some());
        assert!(sagemaker_class("ml.trn1.32xlarge").is_some());
        assert!(sagemaker_class("ml.m5.24xlarge").is_some());
        assert_eq!(
            sagemaker_class("ml.t3.medium, ml.g4dn.xlarge"),
            Some(("ml.g4dn.xlarge", "GPU or accelerator family"))
        );
        for t in [
            "ml.t3.medium",
            "ml.m5.12xlarge",
            "ml.c5.xlarge",
            "p3.2xlarge",
            "",
        ] {
            assert!(sagemaker_class(t).is_none(), "{t}");
        }
        assert!(lightsail_class("gpu_nvidia_xl_1_0").is_some());
        for b in ["2xlarge_3_0", "app_standard_4xl_1_0", "nano_win_3_0"] {
            assert!(lightsail_class(b).is_none(), "{b}");
        }
        assert!(ecs_task_class("gpu:1").is_some());
        for g in ["gpu:0", "gpu:x", "1", ""] {
            assert!(ecs_task_class(g).is_none(), "{g}");
        }
    }

    #[test]
    fn reports_gpu_compute_of_other_services_while_it_runs() {
        use crate::checks::fixtures::other;
        let mut facts = full_inventory(vec![]);
        facts.ec2_resources.insert(
            ResourceKind::SageMakerNotebook,
            vec![
                other("nb-gpu", "InService", Some("ml.p3.2xlarge")),
                other("nb-stopped", "Stopped", Some("ml.p3.2xlarge")),
                other("nb-small", "InService", Some("ml.t3.medium")),
            ],
        );
        facts.ec2_resources.insert(
            ResourceKind::SageMakerTrainingJob,
            vec![
                other("train-big", "InProgress", Some("ml.c5.24xlarge")),
                other("train-done", "Completed", Some("ml.p4d.24xlarge")),
            ],
        );
        facts.ec2_resources.insert(
            ResourceKind::SageMakerEndpoint,
            vec![other("ep", "InService", Some("ml.m5.large,ml.g5.2xlarge"))],
        );
        facts.ec2_resources.insert(
            ResourceKind::EcsTask,
            vec![
                other(
                    "arn:aws:ecs:us-east-1:111111111111:task/prod/gpu1",
                    "RUNNING",
                    Some("gpu:4"),
                ),
                other(
                    "arn:aws:ecs:us-east-1:111111111111:task/prod/cpu1",
                    "RUNNING",
                    None,
                ),
            ],
        );
        facts.ec2_resources.insert(
            ResourceKind::LightsailInstance,
            vec![
                other("research", "running", Some("gpu_nvidia_2xl_1_0")),
                other("blog", "running", Some("small_3_0")),
            ],
        );
        let drafts = evaluate(&MiningClassInstance, &facts, "us-east-1", &[]).expect("runs");
        let found: Vec<(&str, &str)> = drafts
            .iter()
            .map(|d| (d.resource_type.as_str(), d.resource_id.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "ecs_task",
                    "arn:aws:ecs:us-east-1:111111111111:task/prod/gpu1"
                ),
                ("sagemaker_notebook", "nb-gpu"),
                ("sagemaker_training_job", "train-big"),
                ("sagemaker_endpoint", "ep"),
                ("lightsail_instance", "research"),
            ]
        );
        assert_eq!(
            drafts[3].evidence["instance_type"],
            "ml.m5.large,ml.g5.2xlarge"
        );
        assert!(
            drafts[3]
                .title
                .starts_with("ml.g5.2xlarge SageMaker endpoint ep")
        );
        assert!(
            drafts[0]
                .remediation
                .iter()
                .any(|s| s.contains("ecs stop-task --region us-east-1 --cluster prod --task arn:"))
        );
        assert!(drafts[1].remediation.iter().any(|s| s.contains(
            "stop-notebook-instance --region us-east-1 --notebook-instance-name nb-gpu"
        )));
    }

    #[test]
    fn judges_what_was_read_and_fails_only_when_nothing_was() {
        let mut only_sagemaker = orgsweep_model::facts::Facts::default();
        only_sagemaker.ec2_resources.insert(
            ResourceKind::SageMakerNotebook,
            vec![crate::checks::fixtures::other(
                "nb",
                "InService",
                Some("ml.g4dn.xlarge"),
            )],
        );
        let drafts =
            evaluate(&MiningClassInstance, &only_sagemaker, "us-east-1", &[]).expect("runs");
        assert_eq!(drafts.len(), 1);
        let err = evaluate(
            &MiningClassInstance,
            &orgsweep_model::facts::Facts::default(),
            "us-east-1",
            &[],
        )
        .unwrap_err();
        assert_eq!(err, CheckError::MissingSource(Source::Ec2Instances));
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
