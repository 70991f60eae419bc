//! The compute kinds of services other than EC2, region by region: Lambda functions, ECS
//! clusters and tasks, EKS clusters, SageMaker notebooks, training jobs and endpoints, and
//! Lightsail instances. Every list call is paginated. Calls per resource are made only where
//! the size mining detection needs is not in the list (training jobs, endpoints: bounded per
//! region) or the list names nothing but ids (EKS: one DescribeCluster per cluster, bounded
//! by AWS's quota of 100 clusters per region by default, not by orgsweep).

use std::collections::BTreeMap;

use aws_sdk_sagemaker::types::TrainingJobStatus;
use orgsweep_model::facts::{Ec2Resource, ResourceKind};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::to_time;
use crate::error::AwsError;
use crate::session::AccountSession;

/// At most this many SageMaker training jobs and endpoints per region get the extra calls
/// that tell their instance types (one DescribeTrainingJob per job, DescribeEndpoint +
/// DescribeEndpointConfig per endpoint). Only running ones are described, and a region
/// running more than this is itself remarkable; the rest are inventoried without a size and
/// the collection says so (a `problems` entry), so mining detection is known to be partial.
pub(crate) const SAGEMAKER_DESCRIBED: usize = 50;

/// ECS describes at most 100 clusters or tasks per call.
const ECS_BATCH: usize = 100;

/// A resource of one of these services; nothing here is shared with other accounts.
pub(super) fn item(
    id: &str,
    created_at: Option<OffsetDateTime>,
    state: Option<&str>,
    tags: BTreeMap<String, String>,
    instance_type: Option<String>,
) -> Ec2Resource {
    Ec2Resource {
        id: id.to_owned(),
        created_at,
        state: state.map(str::to_owned),
        tags,
        shared_with: Vec::new(),
        instance_type,
    }
}

/// Tags of any service as a map; a tag without a key is dropped, one without a value kept
/// as empty.
pub(super) fn tag_map<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_owned(), v.unwrap_or_default().to_owned())))
        .collect()
}

/// Lambda's `LastModified` (`2019-12-13T21:09:11.000+0000`: ISO 8601 with an offset that
/// has no colon, which RFC 3339 requires). `None` when it is neither form.
pub fn parse_lambda_time(text: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t);
    }
    let split = text.len().checked_sub(5)?;
    let (head, offset) = (text.get(..split)?, text.get(split..)?);
    let bytes = offset.as_bytes();
    if !matches!(bytes.first(), Some(b'+' | b'-')) || !bytes.iter().skip(1).all(u8::is_ascii_digit)
    {
        return None;
    }
    let fixed = format!("{head}{}:{}", &offset[..3], &offset[3..]);
    OffsetDateTime::parse(&fixed, &Rfc3339).ok()
}

/// The GPUs an ECS task was given, as the facts encode them: `gpu:<n>`. Tasks on EC2
/// capacity list the GPU ids each container got; otherwise the task's overrides may ask
/// for GPUs (`resourceRequirements` of type `GPU`). `None` without GPUs.
fn ecs_gpus(task: &aws_sdk_ecs::types::Task) -> Option<String> {
    let assigned: usize = task.containers().iter().map(|c| c.gpu_ids().len()).sum();
    let requested: u64 = task
        .overrides()
        .map(|o| o.container_overrides())
        .unwrap_or_default()
        .iter()
        .flat_map(|c| c.resource_requirements())
        .filter(|r| r.r#type().as_str() == "GPU")
        .filter_map(|r| r.value().trim().parse::<u64>().ok())
        .sum();
    let n = u64::try_from(assigned).unwrap_or(u64::MAX).max(requested);
    (n > 0).then(|| format!("gpu:{n}"))
}

/// The resources and, when the collection had to stop short, why.
pub(crate) type Listed = (Vec<Ec2Resource>, Option<String>);

impl AccountSession {
    /// The resources of a non-EC2 kind in `region`, sorted by id, and a note when some were
    /// only partly read (see [`SAGEMAKER_DESCRIBED`]).
    pub(crate) async fn service_resources(
        &self,
        kind: ResourceKind,
        region: &str,
    ) -> Result<Listed, AwsError> {
        let (mut resources, problem) = match kind {
            ResourceKind::LambdaFunction => (self.lambda_functions(region).await?, None),
            ResourceKind::EcsCluster => (self.ecs_clusters(region).await?, None),
            ResourceKind::EcsTask => (self.ecs_tasks(region).await?, None),
            ResourceKind::EksCluster => (self.eks_clusters(region).await?, None),
            ResourceKind::SageMakerNotebook => (self.sagemaker_notebooks(region).await?, None),
            ResourceKind::SageMakerTrainingJob => self.sagemaker_training_jobs(region).await?,
            ResourceKind::SageMakerEndpoint => self.sagemaker_endpoints(region).await?,
            ResourceKind::LightsailInstance => (self.lightsail_instances(region).await?, None),
            ResourceKind::RdsInstance => (self.rds_instances(region).await?, None),
            ResourceKind::RdsSnapshot => (self.rds_snapshots(region).await?, None),
            // EC2's kinds are `ec2_resources`' (which hands the others over to here).
            ec2 => {
                return Err(AwsError::Other {
                    operation: ec2.api(),
                    message: "an EC2 kind, listed by ec2_resources".to_owned(),
                });
            }
        };
        resources.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((resources, problem))
    }

    /// lambda:ListFunctions (50 per page). The list has neither a creation time nor tags:
    /// `created_at` is `LastModified`, the last change to the function's code or
    /// configuration, which is never earlier than its creation. A function created inside
    /// the window is therefore always seen as recent; one merely updated inside it is seen
    /// as recent too, which errs on the side of reporting. Tags would take one
    /// ListTags call per function and are not read.
    async fn lambda_functions(&self, region: &str) -> Result<Vec<Ec2Resource>, AwsError> {
        let client = self.lambda(Some(region));
        let mut pages = client.list_functions().into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("lambda:ListFunctions", e))?;
            for f in page.functions() {
                let Some(name) = f.function_name() else {
                    continue;
                };
                out.push(item(
                    name,
                    f.last_modified().and_then(parse_lambda_time),
                    f.state().map(|s| s.as_str()),
                    BTreeMap::new(),
                    None,
                ));
            }
        }
        Ok(out)
    }

    /// Every cluster ARN of the region (ecs:ListClusters, 100 per page).
    async fn ecs_cluster_arns(
        &self,
        client: &aws_sdk_ecs::Client,
    ) -> Result<Vec<String>, AwsError> {
        let mut pages = client
            .list_clusters()
            .max_results(100)
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("ecs:ListClusters", e))?;
            arns.extend(page.cluster_arns().iter().cloned());
        }
        Ok(arns)
    }

    /// ecs:ListClusters, then ecs:DescribeClusters (with tags) per 100 clusters: the list
    /// has ARNs only, and one call per hundred clusters gives their status and tags. ECS
    /// keeps no creation time for clusters.
    async fn ecs_clusters(&self, region: &str) -> Result<Vec<Ec2Resource>, AwsError> {
        let client = self.ecs(Some(region));
        let arns = self.ecs_cluster_arns(&client).await?;
        let mut out = Vec::new();
        for batch in arns.chunks(ECS_BATCH) {
            let described = client
                .describe_clusters()
                .set_clusters(Some(batch.to_vec()))
                .include(aws_sdk_ecs::types::ClusterField::Tags)
                .send()
                .await
                .map_err(|e| self.error("ecs:DescribeClusters", e))?;
            for c in described.clusters() {
                let Some(name) = c.cluster_name() else {
                    continue;
                };
                out.push(item(
                    name,
                    None,
                    c.status(),
                    tag_map(c.tags().iter().map(|t| (t.key(), t.value()))),
                    None,
                ));
            }
        }
        Ok(out)
    }

    /// For every cluster, ecs:ListTasks (desired status RUNNING, 100 per page) and
    /// ecs:DescribeTasks (with tags) per 100 tasks. A task that stopped between the two
    /// calls is in DescribeTasks' `failures` and simply not listed.
    async fn ecs_tasks(&self, region: &str) -> Result<Vec<Ec2Resource>, AwsError> {
        let client = self.ecs(Some(region));
        let mut out = Vec::new();
        for cluster in self.ecs_cluster_arns(&client).await? {
            let mut pages = client
                .list_tasks()
                .cluster(&cluster)
                .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
                .max_results(100)
                .into_paginator()
                .send();
            let mut arns = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.error("ecs:ListTasks", e))?;
                arns.extend(page.task_arns().iter().cloned());
            }
            for batch in arns.chunks(ECS_BATCH) {
                let described = client
                    .describe_tasks()
                    .cluster(&cluster)
                    .set_tasks(Some(batch.to_vec()))
                    .include(aws_sdk_ecs::types::TaskField::Tags)
                    .send()
                    .await
                    .map_err(|e| self.error("ecs:DescribeTasks", e))?;
                for t in described.tasks() {
                    let Some(arn) = t.task_arn() else { continue };
                    out.push(item(
                        arn,
                        to_time(t.created_at()),
                        t.last_status(),
                        tag_map(t.tags().iter().map(|t| (t.key(), t.value()))),
                        ecs_gpus(t),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// eks:ListClusters (100 per page), then eks:DescribeCluster per cluster: the list has
    /// names only. Clusters are few (100 per region by default), so this stays cheap.
    async fn eks_clusters(&self, region: &str) -> Result<Vec<Ec2Resource>, AwsError> {
        let client = self.eks(Some(region));
        let mut pages = client
            .list_clusters()
            .max_results(100)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("eks:ListClusters", e))?;
            names.extend(page.clusters().iter().cloned());
        }
        let mut out = Vec::new();
        for name in names {
            let described = client
                .describe_cluster()
                .name(&name)
                .send()
                .await
                .map_err(|e| self.error("eks:DescribeCluster", e))?;
            let Some(c) = described.cluster() else {
                continue;
            };
            let tags = c
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            out.push(item(
                c.name().unwrap_or(&name),
                to_time(c.created_at()),
                c.status().map(|s| s.as_str()),
                tags,
                None,
            ));
        }
        Ok(out)
    }

    /// sagemaker:ListNotebookInstances (100 per page): name, status, instance type and
    /// creation time are all in the list. Tags would take one call per notebook.
    async fn sagemaker_notebooks(&self, region: &str) -> Result<Vec<Ec2Resource>, AwsError> {
        let client = self.sagemaker(Some(region));
        let mut pages = client
            .list_notebook_instances()
            .max_results(100)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("sagemaker:ListNotebookInstances", e))?;
            for n in page.notebook_instances() {
                let Some(name) = n.notebook_instance_name() else {
                    continue;
                };
                out.push(item(
                    name,
                    to_time(n.creation_time()),
                    n.notebook_instance_status().map(|s| s.as_str()),
                    BTreeMap::new(),
                    n.instance_type().map(|t| t.as_str().to_owned()),
                ));
            }
        }
        Ok(out)
    }

    /// sagemaker:ListTrainingJobs with StatusEquals=InProgress (100 per page): finished jobs
    /// run nothing. The list has no instance type, so the first [`SAGEMAKER_DESCRIBED`]
    /// jobs get a sagemaker:DescribeTrainingJob each.
    async fn sagemaker_training_jobs(&self, region: &str) -> Result<Listed, AwsError> {
        let client = self.sagemaker(Some(region));
        let mut pages = client
            .list_training_jobs()
            .status_equals(TrainingJobStatus::InProgress)
            .max_results(100)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("sagemaker:ListTrainingJobs", e))?;
            for j in page.training_job_summaries() {
                let Some(name) = j.training_job_name() else {
                    continue;
                };
                out.push(item(
                    name,
                    to_time(j.creation_time()),
                    j.training_job_status().map(|s| s.as_str()),
                    BTreeMap::new(),
                    None,
                ));
            }
        }
        for job in out.iter_mut().take(SAGEMAKER_DESCRIBED) {
            let described = client
                .describe_training_job()
                .training_job_name(&job.id)
                .send()
                .await
                .map_err(|e| self.error("sagemaker:DescribeTrainingJob", e))?;
            job.instance_type = described.resource_config().and_then(|c| {
                let mut types: Vec<&str> = c
                    .instance_groups()
                    .iter()
                    .filter_map(|g| g.instance_type().map(|t| t.as_str()))
                    .collect();
                if let Some(t) = c.instance_type() {
                    types.insert(0, t.as_str());
                }
                (!types.is_empty()).then(|| types.join(","))
            });
        }
        let problem = (out.len() > SAGEMAKER_DESCRIBED).then(|| {
            format!(
                "{} running training jobs: the instance types of all but the first {SAGEMAKER_DESCRIBED} were not read",
                out.len()
            )
        });
        Ok((out, problem))
    }

    /// sagemaker:ListEndpoints (100 per page). The instance types are in the endpoint's
    /// configuration: for the first [`SAGEMAKER_DESCRIBED`] endpoints that serve (or are
    /// about to), sagemaker:DescribeEndpoint names it and sagemaker:DescribeEndpointConfig
    /// lists its production variants' types. Serverless variants have none.
    async fn sagemaker_endpoints(&self, region: &str) -> Result<Listed, AwsError> {
        let client = self.sagemaker(Some(region));
        let mut pages = client
            .list_endpoints()
            .max_results(100)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("sagemaker:ListEndpoints", e))?;
            for e in page.endpoints() {
                let Some(name) = e.endpoint_name() else {
                    continue;
                };
                out.push(item(
                    name,
                    to_time(e.creation_time()),
                    e.endpoint_status().map(|s| s.as_str()),
                    BTreeMap::new(),
                    None,
                ));
            }
        }
        let serving = |r: &Ec2Resource| {
            matches!(
                r.state.as_deref(),
                Some("InService" | "Creating" | "Updating" | "SystemUpdating" | "RollingBack")
            )
        };
        let running = out.iter().filter(|r| serving(r)).count();
        for endpoint in out
            .iter_mut()
            .filter(|r| serving(r))
            .take(SAGEMAKER_DESCRIBED)
        {
            let described = client
                .describe_endpoint()
                .endpoint_name(&endpoint.id)
                .send()
                .await
                .map_err(|e| self.error("sagemaker:DescribeEndpoint", e))?;
            let Some(config) = described.endpoint_config_name() else {
                continue;
            };
            let config = client
                .describe_endpoint_config()
                .endpoint_config_name(config)
                .send()
                .await
                .map_err(|e| self.error("sagemaker:DescribeEndpointConfig", e))?;
            let types: Vec<&str> = config
                .production_variants()
                .iter()
                .filter_map(|v| v.instance_type().map(|t| t.as_str()))
                .collect();
            endpoint.instance_type = (!types.is_empty()).then(|| types.join(","));
        }
        let problem = (running > SAGEMAKER_DESCRIBED).then(|| {
            format!(
                "{running} serving endpoints: the instance types of all but the first {SAGEMAKER_DESCRIBED} were not read"
            )
        });
        Ok((out, problem))
    }

    /// lightsail:GetInstances, page by page: name, bundle, state, creation time and tags.
    /// Lightsail is offered in a subset of regions; where it is not, its endpoint does not
    /// exist (the name does not resolve), which means "no instances", not a failure. With
    /// an endpoint override (an emulator) there is no such case.
    async fn lightsail_instances(&self, region: &str) -> Result<Vec<Ec2Resource>, AwsError> {
        let client = self.lightsail(Some(region));
        let mut token: Option<String> = None;
        let mut seen = std::collections::BTreeSet::new();
        let mut requests = 0_u32;
        let mut out = Vec::new();
        loop {
            requests += 1;
            let page = match client
                .get_instances()
                .set_page_token(token.take())
                .send()
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    let err = self.error("lightsail:GetInstances", e);
                    let no_endpoint = matches!(&err, AwsError::Unreachable { message, .. }
                        if message.contains("dns error"));
                    if no_endpoint && self.shared.options.endpoint_url.is_none() {
                        return Ok(Vec::new());
                    }
                    return Err(err);
                }
            };
            for i in page.instances() {
                let Some(name) = i.name() else { continue };
                out.push(item(
                    name,
                    to_time(i.created_at()),
                    i.state().and_then(|s| s.name()),
                    tag_map(i.tags().iter().map(|t| (t.key(), t.value()))),
                    i.bundle_id().map(str::to_owned),
                ));
            }
            match page.next_page_token() {
                Some(next) if !next.is_empty() => {
                    // A token handed out before would read the same pages forever.
                    if !seen.insert(next.to_owned()) {
                        return Err(AwsError::Other {
                            operation: "lightsail:GetInstances",
                            message: format!(
                                "Lightsail returned a page token it had returned before, \
                                 after {requests} request(s) in {region}; the instances were \
                                 not read"
                            ),
                        });
                    }
                    token = Some(next.to_owned());
                }
                _ => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_times_in_both_forms() {
        let expected = OffsetDateTime::parse("2019-12-13T21:09:11Z", &Rfc3339).ok();
        assert_eq!(parse_lambda_time("2019-12-13T21:09:11.000+0000"), expected);
        assert_eq!(parse_lambda_time("2019-12-13T21:09:11Z"), expected);
        assert_eq!(
            parse_lambda_time("2019-12-13T23:09:11.000+0200"),
            expected,
            "offsets are honoured"
        );
        for bad in ["", "+0000", "yesterday", "2019-12-13T21:09:11.000+00x0"] {
            assert_eq!(parse_lambda_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn ecs_gpus_from_assigned_ids_or_overrides() {
        use aws_sdk_ecs::types::{
            Container, ContainerOverride, ResourceRequirement, ResourceType, Task, TaskOverride,
        };
        let plain = Task::builder()
            .containers(Container::builder().name("web").build())
            .build();
        assert_eq!(ecs_gpus(&plain), None);
        let assigned = Task::builder()
            .containers(
                Container::builder()
                    .gpu_ids("GPU-1")
                    .gpu_ids("GPU-2")
                    .build(),
            )
            .containers(Container::builder().gpu_ids("GPU-3").build())
            .build();
        assert_eq!(ecs_gpus(&assigned).as_deref(), Some("gpu:3"));
        let requirement = |kind: ResourceType, value: &str| {
            ResourceRequirement::builder()
                .r#type(kind)
                .value(value)
                .build()
                .expect("type and value are set")
        };
        let requested = Task::builder()
            .overrides(
                TaskOverride::builder()
                    .container_overrides(
                        ContainerOverride::builder()
                            .resource_requirements(requirement(ResourceType::Gpu, "4"))
                            .resource_requirements(requirement(
                                ResourceType::InferenceAccelerator,
                                "x",
                            ))
                            .build(),
                    )
                    .build(),
            )
            .build();
        assert_eq!(ecs_gpus(&requested).as_deref(), Some("gpu:4"));
    }
}
