//! EKS (restJson1): ListClusters, DescribeCluster.

use bytes::Bytes;

use crate::region_model::Item;
use crate::services::{Ctx, JsonList, jn, json_list};
use crate::sim::{CacheKey, Call, Sim, Table};
use crate::wire::{ApiError, jf, js};

pub(crate) fn register(t: &mut Table) {
    t.route("eks", "GET", "/clusters", "ListClusters", list_clusters)
        .route(
            "eks",
            "GET",
            "/clusters/{}",
            "DescribeCluster",
            describe_cluster,
        );
}

fn list_clusters(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    json_list(
        sim,
        call,
        &JsonList {
            key: "clusters",
            token_in: "nextToken",
            size_in: "maxResults",
            token_out: "nextToken",
            max: 100,
            default: 100,
            invalid: "InvalidParameterException",
            items: |d| &d.eks_clusters,
            item: |o, c: &Item, _| js(o, &c.name),
        },
    )
}

fn cluster_json(o: &mut String, c: &Item, ctx: &Ctx<'_>, k: usize) {
    let arn = format!(
        "arn:aws:eks:{}:{}:cluster/{}",
        ctx.region, ctx.account, c.name
    );
    o.push_str("{\"cluster\":{");
    jf(o, true, "name", &c.name);
    jf(o, false, "arn", &arn);
    jn(o, "createdAt", c.created);
    jf(o, false, "version", c.size);
    jf(
        o,
        false,
        "endpoint",
        &format!(
            "https://{:032X}.gr7.{}.eks.amazonaws.com",
            k as u128 + 0xA1B2_C3D4,
            ctx.region
        ),
    );
    jf(
        o,
        false,
        "roleArn",
        &format!("arn:aws:iam::{}:role/{}-cluster-role", ctx.account, c.name),
    );
    o.push_str(",\"resourcesVpcConfig\":{\"subnetIds\":[],\"securityGroupIds\":[],\"endpointPublicAccess\":true,\"endpointPrivateAccess\":true,\"publicAccessCidrs\":[\"0.0.0.0/0\"]}");
    o.push_str(",\"kubernetesNetworkConfig\":{\"serviceIpv4Cidr\":\"10.100.0.0/16\",\"ipFamily\":\"ipv4\"}");
    jf(o, false, "status", c.state);
    jf(o, false, "platformVersion", "eks.12");
    o.push_str(",\"tags\":{},\"accessConfig\":{\"authenticationMode\":\"API_AND_CONFIG_MAP\"}}}");
}

fn describe_cluster(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let name = call.path.first().map_or("", String::as_str);
    let data = sim.region_data(call.account, call.region());
    let clusters: &[Item] = data.as_deref().map_or(&[], |d| &d.eks_clusters);
    let k = clusters
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "ResourceNotFoundException",
                format!("No cluster found for name: {name}."),
            )
        })?;
    let key = CacheKey {
        account: call.account as u32,
        region: call.region(),
        op: call.op,
        a: k as u64,
        b: 0,
    };
    sim.cached(key, || {
        let ctx = Ctx {
            account: &sim.org.accounts[call.account].id,
            region: call.region,
        };
        let mut o = String::with_capacity(1024);
        cluster_json(&mut o, &clusters[k], &ctx, k);
        Ok(Bytes::from(o))
    })
}
