//! Lightsail (awsJson1_1): GetInstances, pages of 100 (`pageToken`, no page size).

use bytes::Bytes;

use crate::region_model::Item;
use crate::services::{Ctx, JsonList, jn, json_list};
use crate::sim::{Call, Sim, Table};
use crate::wire::{ApiError, jf};

pub(crate) fn register(t: &mut Table) {
    t.op("lightsail", "GetInstances", get_instances);
}

fn instance(o: &mut String, i: &Item, ctx: &Ctx<'_>) {
    let (cpus, ram) = match i.size {
        "nano_3_0" => (2, "0.5"),
        "small_3_0" => (2, "2.0"),
        _ => (2, "4.0"),
    };
    let id = format!(
        "{:08x}-sim0-4000-8000-{:012x}",
        i.created & 0xffff_ffff,
        i.name.len()
    );
    o.push('{');
    jf(o, true, "name", &i.name);
    jf(
        o,
        false,
        "arn",
        &format!(
            "arn:aws:lightsail:{}:{}:Instance/{id}",
            ctx.region, ctx.account
        ),
    );
    jf(o, false, "supportCode", &format!("{}/i-0{id}", ctx.account));
    jn(o, "createdAt", i.created);
    o.push_str(",\"location\":{");
    jf(o, true, "availabilityZone", &format!("{}a", ctx.region));
    jf(o, false, "regionName", ctx.region);
    o.push('}');
    jf(o, false, "resourceType", "Instance");
    o.push_str(",\"tags\":[]");
    jf(o, false, "blueprintId", i.detail);
    jf(o, false, "blueprintName", i.detail);
    jf(o, false, "bundleId", i.size);
    o.push_str(",\"isStaticIp\":false");
    jf(o, false, "privateIpAddress", "172.26.3.14");
    let _ = std::fmt::Write::write_fmt(
        o,
        format_args!(",\"hardware\":{{\"cpuCount\":{cpus},\"ramSizeInGb\":{ram}}}"),
    );
    let code = if i.state == "running" { 16 } else { 80 };
    let _ = std::fmt::Write::write_fmt(
        o,
        format_args!(",\"state\":{{\"code\":{code},\"name\":\"{}\"}}", i.state),
    );
    jf(o, false, "username", "bitnami");
    jf(o, false, "sshKeyName", "LightsailDefaultKeyPair");
    o.push('}');
}

fn get_instances(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    json_list(
        sim,
        call,
        &JsonList {
            key: "instances",
            token_in: "pageToken",
            size_in: "",
            token_out: "nextPageToken",
            max: 100,
            default: 100,
            invalid: "InvalidInputException",
            items: |d| &d.lightsail,
            item: instance,
        },
    )
}
