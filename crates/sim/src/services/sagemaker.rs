//! SageMaker (awsJson1_1): notebook instances, training jobs (listed, and described for
//! their resource configuration), endpoints (and their configurations' variants).

use bytes::Bytes;

use crate::region_model::{Item, RegionData};
use crate::services::{Ctx, jn, page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, SHARED_ACCOUNT, Sim, Table};
use crate::wire::{ApiError, jf};

pub(crate) fn register(t: &mut Table) {
    t.op(
        "sagemaker",
        "ListNotebookInstances",
        list_notebook_instances,
    )
    .op("sagemaker", "ListTrainingJobs", list_training_jobs)
    .op("sagemaker", "DescribeTrainingJob", describe_training_job)
    .op("sagemaker", "ListEndpoints", list_endpoints)
    .op("sagemaker", "DescribeEndpoint", describe_endpoint)
    .op(
        "sagemaker",
        "DescribeEndpointConfig",
        describe_endpoint_config,
    );
}

fn arn(ctx: &Ctx<'_>, kind: &str, name: &str) -> String {
    // SageMaker ARNs name resources in lower case.
    format!(
        "arn:aws:sagemaker:{}:{}:{kind}/{}",
        ctx.region,
        ctx.account,
        name.to_ascii_lowercase()
    )
}

/// One SageMaker List* call: its answer's key, the items, how one renders.
struct List {
    key: &'static str,
    items: fn(&RegionData) -> &[Item],
    item: fn(&mut String, &Item, &Ctx<'_>),
}

/// Pages of `MaxResults` (1–100, 10 by default) after `StatusEquals`, newest first as
/// SageMaker sorts by default.
fn list(sim: &Sim, call: &Call<'_>, list: &List) -> Result<Bytes, ApiError> {
    let region = call.region();
    let data = sim.region_data(call.account, region);
    let all: &[Item] = data.as_deref().map_or(&[], list.items);
    let status = call.params.str("StatusEquals");
    let mut items: Vec<&Item> = all
        .iter()
        .filter(|i| status.is_none_or(|s| s == i.state))
        .collect();
    items.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
    let p = page(
        call.params,
        "NextToken",
        "MaxResults",
        items.len(),
        1,
        100,
        Some(10),
        "ValidationException",
    )?;
    let status_key = status.map_or(0, |s| {
        s.bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
    });
    if items.is_empty() {
        let key = CacheKey {
            account: SHARED_ACCOUNT,
            region: GLOBAL_REGION,
            op: call.op,
            a: 0,
            b: 0,
        };
        return sim.cached(key, || Ok(Bytes::from(format!("{{\"{}\":[]}}", list.key))));
    }
    let key = CacheKey {
        account: call.account as u32,
        region,
        op: call.op,
        a: (status_key << 24) ^ p.start as u64,
        b: p.size,
    };
    sim.cached(key, || {
        let ctx = Ctx {
            account: &sim.org.accounts[call.account].id,
            region: call.region,
        };
        let mut o = format!("{{\"{}\":[", list.key);
        for (k, item) in items[p.start..p.end].iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            (list.item)(&mut o, item, &ctx);
        }
        o.push(']');
        if let Some(n) = p.next {
            jf(&mut o, false, "NextToken", &token(n));
        }
        o.push('}');
        Ok(Bytes::from(o))
    })
}

fn notebook(o: &mut String, n: &Item, ctx: &Ctx<'_>) {
    o.push('{');
    jf(o, true, "NotebookInstanceName", &n.name);
    jf(
        o,
        false,
        "NotebookInstanceArn",
        &arn(ctx, "notebook-instance", &n.name),
    );
    jf(o, false, "NotebookInstanceStatus", n.state);
    jf(
        o,
        false,
        "Url",
        &format!("{}.notebook.{}.sagemaker.aws", n.name, ctx.region),
    );
    jf(o, false, "InstanceType", n.size);
    jn(o, "CreationTime", n.created);
    jn(o, "LastModifiedTime", n.created + 600);
    o.push('}');
}

fn list_notebook_instances(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    list(
        sim,
        call,
        &List {
            key: "NotebookInstances",
            items: |d| &d.notebooks,
            item: notebook,
        },
    )
}

/// Training jobs end an hour after they start; failed ones sooner.
fn training_end(j: &Item) -> Option<i64> {
    match j.state {
        "Completed" => Some(j.created + 3_900),
        "Failed" | "Stopped" => Some(j.created + 900),
        _ => None,
    }
}

fn training_summary(o: &mut String, j: &Item, ctx: &Ctx<'_>) {
    o.push('{');
    jf(o, true, "TrainingJobName", &j.name);
    jf(
        o,
        false,
        "TrainingJobArn",
        &arn(ctx, "training-job", &j.name),
    );
    jn(o, "CreationTime", j.created);
    if let Some(end) = training_end(j) {
        jn(o, "TrainingEndTime", end);
    }
    jn(
        o,
        "LastModifiedTime",
        training_end(j).unwrap_or(j.created + 300),
    );
    jf(o, false, "TrainingJobStatus", j.state);
    jf(o, false, "SecondaryStatus", secondary(j.state));
    o.push('}');
}

fn secondary(state: &str) -> &'static str {
    match state {
        "Completed" => "Completed",
        "Failed" => "Failed",
        "Stopped" => "Stopped",
        _ => "Training",
    }
}

fn list_training_jobs(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    list(
        sim,
        call,
        &List {
            key: "TrainingJobSummaries",
            items: |d| &d.training_jobs,
            item: training_summary,
        },
    )
}

fn find<'a>(items: &'a [Item], name: &str, what: &str) -> Result<(usize, &'a Item), ApiError> {
    items
        .iter()
        .enumerate()
        .find(|(_, i)| i.name == name)
        .ok_or_else(|| {
            ApiError::bad(
                "ValidationException",
                format!("Could not find {what} \"{name}\"."),
            )
        })
}

fn describe_training_job(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let name = call.params.str("TrainingJobName").unwrap_or_default();
    let region = call.region();
    let data = sim.region_data(call.account, region);
    let jobs: &[Item] = data.as_deref().map_or(&[], |d| &d.training_jobs);
    let (k, j) = find(jobs, name, "training job")?;
    let key = CacheKey {
        account: call.account as u32,
        region,
        op: call.op,
        a: k as u64,
        b: 0,
    };
    sim.cached(key, || {
        let ctx = Ctx {
            account: &sim.org.accounts[call.account].id,
            region: call.region,
        };
        let mut o = String::from("{");
        jf(&mut o, true, "TrainingJobName", &j.name);
        jf(&mut o, false, "TrainingJobArn", &arn(&ctx, "training-job", &j.name));
        o.push_str(",\"ModelArtifacts\":{");
        jf(
            &mut o,
            true,
            "S3ModelArtifacts",
            &format!(
                "s3://sagemaker-{}-{}/{}/output/model.tar.gz",
                ctx.region, ctx.account, j.name
            ),
        );
        o.push('}');
        jf(&mut o, false, "TrainingJobStatus", j.state);
        jf(&mut o, false, "SecondaryStatus", secondary(j.state));
        if j.state == "Failed" {
            jf(&mut o, false, "FailureReason", "AlgorithmError: ExecuteUserScriptError");
        }
        o.push_str(",\"AlgorithmSpecification\":{");
        jf(
            &mut o,
            true,
            "TrainingImage",
            &format!(
                "763104351884.dkr.ecr.{}.amazonaws.com/pytorch-training:2.3.0-gpu-py311",
                ctx.region
            ),
        );
        jf(&mut o, false, "TrainingInputMode", "File");
        o.push('}');
        jf(
            &mut o,
            false,
            "RoleArn",
            &format!("arn:aws:iam::{}:role/sagemaker-execution", ctx.account),
        );
        o.push_str(",\"ResourceConfig\":{");
        jf(&mut o, true, "InstanceType", j.size);
        o.push_str(",\"InstanceCount\":1,\"VolumeSizeInGB\":30}");
        o.push_str(",\"StoppingCondition\":{\"MaxRuntimeInSeconds\":86400}");
        jn(&mut o, "CreationTime", j.created);
        jn(&mut o, "TrainingStartTime", j.created + 120);
        if let Some(end) = training_end(j) {
            jn(&mut o, "TrainingEndTime", end);
            jn(&mut o, "TrainingTimeInSeconds", end - j.created - 120);
            jn(&mut o, "BillableTimeInSeconds", end - j.created - 120);
        }
        jn(&mut o, "LastModifiedTime", training_end(j).unwrap_or(j.created + 300));
        o.push_str(",\"EnableNetworkIsolation\":false,\"EnableInterContainerTrafficEncryption\":false,\"EnableManagedSpotTraining\":false}");
        Ok(Bytes::from(o))
    })
}

fn endpoint(o: &mut String, e: &Item, ctx: &Ctx<'_>) {
    o.push('{');
    jf(o, true, "EndpointName", &e.name);
    jf(o, false, "EndpointArn", &arn(ctx, "endpoint", &e.name));
    jn(o, "CreationTime", e.created);
    jn(o, "LastModifiedTime", e.created + 480);
    jf(o, false, "EndpointStatus", e.state);
    o.push('}');
}

fn list_endpoints(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    list(
        sim,
        call,
        &List {
            key: "Endpoints",
            items: |d| &d.endpoints,
            item: endpoint,
        },
    )
}

/// An endpoint's configuration is named after it: `<endpoint>-config`.
fn config_name(endpoint: &str) -> String {
    format!("{endpoint}-config")
}

fn describe_endpoint(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let name = call.params.str("EndpointName").unwrap_or_default();
    let data = sim.region_data(call.account, call.region());
    let items: &[Item] = data.as_deref().map_or(&[], |d| &d.endpoints);
    let (_, e) = find(items, name, "endpoint")?;
    let ctx = Ctx {
        account: &sim.org.accounts[call.account].id,
        region: call.region,
    };
    let mut o = String::from("{");
    jf(&mut o, true, "EndpointName", &e.name);
    jf(
        &mut o,
        false,
        "EndpointArn",
        &arn(&ctx, "endpoint", &e.name),
    );
    jf(&mut o, false, "EndpointConfigName", &config_name(&e.name));
    o.push_str(",\"ProductionVariants\":[{\"VariantName\":\"AllTraffic\",\"CurrentWeight\":1.0,\"DesiredWeight\":1.0,\"CurrentInstanceCount\":1,\"DesiredInstanceCount\":1}]");
    jf(&mut o, false, "EndpointStatus", e.state);
    jn(&mut o, "CreationTime", e.created);
    jn(&mut o, "LastModifiedTime", e.created + 480);
    o.push('}');
    Ok(Bytes::from(o))
}

fn describe_endpoint_config(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let name = call.params.str("EndpointConfigName").unwrap_or_default();
    let data = sim.region_data(call.account, call.region());
    let items: &[Item] = data.as_deref().map_or(&[], |d| &d.endpoints);
    let e = items
        .iter()
        .find(|e| config_name(&e.name) == name)
        .ok_or_else(|| {
            ApiError::bad(
                "ValidationException",
                format!("Could not find endpoint configuration \"{name}\"."),
            )
        })?;
    let ctx = Ctx {
        account: &sim.org.accounts[call.account].id,
        region: call.region,
    };
    let mut o = String::from("{");
    jf(&mut o, true, "EndpointConfigName", name);
    jf(
        &mut o,
        false,
        "EndpointConfigArn",
        &arn(&ctx, "endpoint-config", name),
    );
    o.push_str(",\"ProductionVariants\":[{\"VariantName\":\"AllTraffic\"");
    jf(&mut o, false, "ModelName", &format!("{}-model", e.name));
    o.push_str(",\"InitialInstanceCount\":1");
    jf(&mut o, false, "InstanceType", e.size);
    o.push_str(",\"InitialVariantWeight\":1.0}]");
    jn(&mut o, "CreationTime", e.created - 60);
    o.push('}');
    Ok(Bytes::from(o))
}
