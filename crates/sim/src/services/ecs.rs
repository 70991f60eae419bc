//! ECS (awsJson1_1): ListClusters, DescribeClusters, ListTasks (running tasks of one
//! cluster), DescribeTasks.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::region_model::{EcsCluster, EcsTask};
use crate::services::{Ctx, JsonList, jn, json_list, page, token};
use crate::sim::{CacheKey, Call, Sim, Table};
use crate::wire::{ApiError, jf, js};

pub(crate) fn register(t: &mut Table) {
    t.op("ecs", "ListClusters", list_clusters)
        .op("ecs", "DescribeClusters", describe_clusters)
        .op("ecs", "ListTasks", list_tasks)
        .op("ecs", "DescribeTasks", describe_tasks);
}

fn cluster_arn(ctx: &Ctx<'_>, name: &str) -> String {
    format!("arn:aws:ecs:{}:{}:cluster/{name}", ctx.region, ctx.account)
}

fn task_arn(ctx: &Ctx<'_>, cluster: &str, id: &str) -> String {
    format!(
        "arn:aws:ecs:{}:{}:task/{cluster}/{id}",
        ctx.region, ctx.account
    )
}

fn list_clusters(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    json_list(
        sim,
        call,
        &JsonList {
            key: "clusterArns",
            token_in: "nextToken",
            size_in: "maxResults",
            token_out: "nextToken",
            max: 100,
            default: 100,
            invalid: "InvalidParameterException",
            items: |d| &d.ecs_clusters,
            item: |o, c: &EcsCluster, ctx| js(o, &cluster_arn(ctx, &c.name)),
        },
    )
}

/// The cluster a request names (by name or ARN; `default` when none), as an index.
fn cluster_index(clusters: &[EcsCluster], param: Option<&str>) -> Result<usize, ApiError> {
    let name = param.unwrap_or("default");
    let name = name.rsplit('/').next().unwrap_or(name);
    clusters
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| ApiError::bad("ClusterNotFoundException", "Cluster not found."))
}

/// One `failures` entry of a Describe call: what was asked for does not exist.
fn missing(failures: &mut String, arn: &str) {
    if !failures.is_empty() {
        failures.push(',');
    }
    failures.push('{');
    jf(failures, true, "arn", arn);
    jf(failures, false, "reason", "MISSING");
    failures.push('}');
}

/// Up to 100 clusters by ARN or name (`default` when none); unknown ones are failures
/// with reason MISSING, as ECS reports them.
fn describe_clusters(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let data = sim.region_data(call.account, call.region());
    let clusters: &[EcsCluster] = data.as_deref().map_or(&[], |d| &d.ecs_clusters);
    let mut wanted: Vec<&str> = call.params.strings("clusters");
    if wanted.is_empty() {
        wanted.push("default");
    }
    if wanted.len() > 100 {
        return Err(ApiError::bad(
            "InvalidParameterException",
            "Clusters can hold at most 100 entries.",
        ));
    }
    let ctx = Ctx {
        account: &sim.org.accounts[call.account].id,
        region: call.region,
    };
    let mut found = String::new();
    let mut failures = String::new();
    for w in wanted {
        match cluster_index(clusters, Some(w)) {
            Ok(c) => {
                let cluster = &clusters[c];
                if !found.is_empty() {
                    found.push(',');
                }
                found.push('{');
                jf(
                    &mut found,
                    true,
                    "clusterArn",
                    &cluster_arn(&ctx, &cluster.name),
                );
                jf(&mut found, false, "clusterName", &cluster.name);
                jf(&mut found, false, "status", "ACTIVE");
                jn(&mut found, "runningTasksCount", cluster.tasks.len() as i64);
                jn(&mut found, "pendingTasksCount", 0);
                jn(&mut found, "activeServicesCount", 0);
                found.push_str(",\"tags\":[]}");
            }
            Err(_) => {
                missing(&mut failures, w);
            }
        }
    }
    Ok(Bytes::from(format!(
        "{{\"clusters\":[{found}],\"failures\":[{failures}]}}"
    )))
}

fn list_tasks(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let data = sim.region_data(call.account, call.region());
    let clusters: &[EcsCluster] = data.as_deref().map_or(&[], |d| &d.ecs_clusters);
    let c = cluster_index(clusters, call.params.str("cluster"))?;
    // Every generated task runs: asking for stopped ones finds none.
    let stopped = call.params.str("desiredStatus") == Some("STOPPED");
    let tasks: &[EcsTask] = if stopped { &[] } else { &clusters[c].tasks };
    let p = page(
        call.params,
        "nextToken",
        "maxResults",
        tasks.len(),
        1,
        100,
        Some(100),
        "InvalidParameterException",
    )?;
    let key = CacheKey {
        account: call.account as u32,
        region: call.region(),
        op: call.op,
        a: ((c as u64) << 33) | (u64::from(stopped) << 32) | p.start as u64,
        b: p.size,
    };
    sim.cached(key, || {
        let ctx = Ctx {
            account: &sim.org.accounts[call.account].id,
            region: call.region,
        };
        let name = &clusters[c].name;
        let mut o = String::from("{\"taskArns\":[");
        for (k, t) in tasks[p.start..p.end].iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            js(&mut o, &task_arn(&ctx, name, &t.id));
        }
        o.push(']');
        if let Some(n) = p.next {
            jf(&mut o, false, "nextToken", &token(n));
        }
        o.push('}');
        Ok(Bytes::from(o))
    })
}

fn task_json(o: &mut String, ctx: &Ctx<'_>, cluster: &str, t: &EcsTask) {
    let arn = task_arn(ctx, cluster, &t.id);
    o.push('{');
    jf(o, true, "taskArn", &arn);
    jf(o, false, "clusterArn", &cluster_arn(ctx, cluster));
    jf(
        o,
        false,
        "taskDefinitionArn",
        &format!(
            "arn:aws:ecs:{}:{}:task-definition/{}:7",
            ctx.region, ctx.account, t.family
        ),
    );
    jf(o, false, "availabilityZone", &format!("{}a", ctx.region));
    jf(o, false, "lastStatus", "RUNNING");
    jf(o, false, "desiredStatus", "RUNNING");
    jf(o, false, "healthStatus", "UNKNOWN");
    jf(o, false, "connectivity", "CONNECTED");
    jn(o, "connectivityAt", t.created);
    jn(o, "createdAt", t.created);
    jn(o, "pullStartedAt", t.created + 5);
    jn(o, "pullStoppedAt", t.created + 20);
    jn(o, "startedAt", t.created + 25);
    jf(o, false, "group", &format!("family:{}", t.family));
    jf(o, false, "launchType", "FARGATE");
    jf(o, false, "platformVersion", "1.4.0");
    jf(o, false, "cpu", "256");
    jf(o, false, "memory", "512");
    jn(o, "version", 3);
    o.push_str(",\"containers\":[{");
    jf(
        o,
        true,
        "containerArn",
        &format!(
            "arn:aws:ecs:{}:{}:container/{cluster}/{}/{}",
            ctx.region,
            ctx.account,
            t.id,
            &t.id[..8]
        ),
    );
    jf(o, false, "taskArn", &arn);
    jf(o, false, "name", t.family);
    jf(o, false, "lastStatus", "RUNNING");
    o.push_str(",\"gpuIds\":[");
    for g in 0..t.gpus {
        if g > 0 {
            o.push(',');
        }
        let _ = write!(o, "\"GPU-{:08x}\"", g);
    }
    o.push_str("],\"networkInterfaces\":[]}],\"attachments\":[],\"tags\":[],\"overrides\":{\"containerOverrides\":[]}}");
}

/// Up to 100 tasks by ARN or id; unknown ones are failures, as ECS reports them.
fn describe_tasks(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let data = sim.region_data(call.account, call.region());
    let clusters: &[EcsCluster] = data.as_deref().map_or(&[], |d| &d.ecs_clusters);
    let c = cluster_index(clusters, call.params.str("cluster"))?;
    let wanted: Vec<&str> = call.params.strings("tasks");
    if wanted.is_empty() || wanted.len() > 100 {
        return Err(ApiError::bad(
            "InvalidParameterException",
            "Tasks cannot be empty and can hold at most 100 entries.",
        ));
    }
    // Collectors describe the pages ListTasks gave them: the same sets every time.
    let key = CacheKey {
        account: call.account as u32,
        region: call.region(),
        op: call.op,
        a: c as u64,
        b: super::hash_of(&wanted),
    };
    sim.cached(key, || Ok(render_tasks(sim, call, &clusters[c], &wanted)))
}

fn render_tasks(sim: &Sim, call: &Call<'_>, cluster: &EcsCluster, wanted: &[&str]) -> Bytes {
    let ctx = Ctx {
        account: &sim.org.accounts[call.account].id,
        region: call.region,
    };
    let mut tasks = String::new();
    let mut failures = String::new();
    for w in wanted.iter().copied() {
        let id = w.rsplit('/').next().unwrap_or(w);
        match cluster.tasks.iter().find(|t| t.id == id) {
            Some(t) => {
                if !tasks.is_empty() {
                    tasks.push(',');
                }
                task_json(&mut tasks, &ctx, &cluster.name, t);
            }
            None => {
                missing(&mut failures, w);
            }
        }
    }
    Bytes::from(format!("{{\"tasks\":[{tasks}],\"failures\":[{failures}]}}"))
}
