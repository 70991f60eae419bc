//! RDS (awsQuery): DB instances, manual DB snapshots, and a snapshot's `restore`
//! attribute (who may restore it).

use std::fmt::Write as _;

use bytes::Bytes;

use crate::clock::iso;
use crate::region_model::{DbSnapshot, Item, RegionData};
use crate::services::{Ctx, page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, SHARED_ACCOUNT, Sim, Table};
use crate::wire::{ApiError, el, query_body};

pub(crate) fn register(t: &mut Table) {
    t.op("rds", "DescribeDBInstances", describe_db_instances)
        .op("rds", "DescribeDBSnapshots", describe_db_snapshots)
        .op(
            "rds",
            "DescribeDBSnapshotAttributes",
            describe_db_snapshot_attributes,
        );
}

/// One Describe* list: its XML set and member, the identifier parameter that selects one
/// item, how an item renders.
struct List<T: 'static> {
    set: &'static str,
    member: &'static str,
    id_param: &'static str,
    items: fn(&RegionData) -> &[T],
    id: fn(&T) -> &str,
    item: fn(&mut String, &T, &Ctx<'_>),
}

/// Pages of `MaxRecords` (20–100, 100 by default) with `Marker`.
fn describe<T>(
    sim: &Sim,
    call: &Call<'_>,
    list: &List<T>,
    visible: bool,
) -> Result<Bytes, ApiError> {
    let region = call.region();
    let data = sim.region_data(call.account, region);
    let all: &[T] = if visible {
        data.as_deref().map_or(&[], list.items)
    } else {
        &[]
    };
    let xmlns = call.service.xmlns;
    if let Some(id) = call.params.str(list.id_param) {
        let Some(k) = all.iter().position(|i| (list.id)(i) == id) else {
            let code = if list.member == "DBInstance" {
                "DBInstanceNotFound"
            } else {
                "DBSnapshotNotFound"
            };
            return Err(ApiError::new(
                404,
                code,
                format!("{} {id} not found.", list.member),
            ));
        };
        let ctx = ctx(sim, call);
        return Ok(query_body(xmlns, call.op, |o| {
            let _ = write!(o, "<{}>", list.set);
            (list.item)(o, &all[k], &ctx);
            let _ = write!(o, "</{}>", list.set);
        }));
    }
    let p = page(
        call.params,
        "Marker",
        "MaxRecords",
        all.len(),
        20,
        100,
        Some(100),
        "InvalidParameterValue",
    )?;
    let render = |start: usize, end: usize, next: Option<usize>| {
        let ctx = ctx(sim, call);
        query_body(xmlns, call.op, |o| {
            let _ = write!(o, "<{}>", list.set);
            for item in &all[start..end] {
                (list.item)(o, item, &ctx);
            }
            let _ = write!(o, "</{}>", list.set);
            if let Some(n) = next {
                el(o, "Marker", &token(n));
            }
        })
    };
    if all.is_empty() {
        let key = CacheKey {
            account: SHARED_ACCOUNT,
            region: GLOBAL_REGION,
            op: call.op,
            a: 0,
            b: 0,
        };
        return sim.cached(key, || Ok(render(0, 0, None)));
    }
    let key = CacheKey {
        account: call.account as u32,
        region,
        op: call.op,
        a: p.start as u64,
        b: p.size,
    };
    sim.cached(key, || Ok(render(p.start, p.end, p.next)))
}

fn ctx<'a>(sim: &'a Sim, call: &'a Call<'_>) -> Ctx<'a> {
    Ctx {
        account: &sim.org.accounts[call.account].id,
        region: call.region,
    }
}

fn instance(o: &mut String, i: &Item, ctx: &Ctx<'_>) {
    let port = if i.detail == "mysql" { 3306 } else { 5432 };
    o.push_str("<DBInstance>");
    el(o, "DBInstanceIdentifier", &i.name);
    el(o, "DBInstanceClass", i.size);
    el(o, "Engine", i.detail);
    el(o, "DBInstanceStatus", i.state);
    el(o, "MasterUsername", "admin");
    let _ = write!(
        o,
        "<Endpoint><Address>{}.c9akciq32.{}.rds.amazonaws.com</Address><Port>{port}</Port><HostedZoneId>Z2R2ITUGPM61AM</HostedZoneId></Endpoint>",
        i.name, ctx.region
    );
    o.push_str("<AllocatedStorage>100</AllocatedStorage>");
    el(o, "InstanceCreateTime", &iso(i.created));
    o.push_str("<BackupRetentionPeriod>7</BackupRetentionPeriod>");
    el(o, "AvailabilityZone", &format!("{}a", ctx.region));
    o.push_str("<MultiAZ>false</MultiAZ>");
    el(
        o,
        "EngineVersion",
        if i.detail == "mysql" {
            "8.0.39"
        } else {
            "16.4"
        },
    );
    o.push_str("<AutoMinorVersionUpgrade>true</AutoMinorVersionUpgrade><PubliclyAccessible>false</PubliclyAccessible><StorageType>gp3</StorageType><StorageEncrypted>true</StorageEncrypted>");
    let _ = write!(o, "<DbInstancePort>{port}</DbInstancePort>");
    el(
        o,
        "DbiResourceId",
        &format!("db-{}", i.name.to_ascii_uppercase().replace('-', "")),
    );
    el(
        o,
        "DBInstanceArn",
        &format!("arn:aws:rds:{}:{}:db:{}", ctx.region, ctx.account, i.name),
    );
    o.push_str("<DeletionProtection>true</DeletionProtection><TagList/></DBInstance>");
}

fn describe_db_instances(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe(
        sim,
        call,
        &List {
            set: "DBInstances",
            member: "DBInstance",
            id_param: "DBInstanceIdentifier",
            items: |d| &d.db_instances,
            id: |i| &i.name,
            item: instance,
        },
        true,
    )
}

fn snapshot(o: &mut String, s: &DbSnapshot, ctx: &Ctx<'_>) {
    o.push_str("<DBSnapshot>");
    el(o, "DBSnapshotIdentifier", &s.id);
    el(o, "DBInstanceIdentifier", &s.instance);
    el(o, "SnapshotCreateTime", &iso(s.created));
    el(o, "Engine", s.engine);
    o.push_str("<AllocatedStorage>100</AllocatedStorage><Status>available</Status>");
    let _ = write!(
        o,
        "<Port>{}</Port>",
        if s.engine == "mysql" { 3306 } else { 5432 }
    );
    el(o, "AvailabilityZone", &format!("{}a", ctx.region));
    el(o, "InstanceCreateTime", &iso(s.created - 30 * 86_400));
    o.push_str("<MasterUsername>admin</MasterUsername>");
    el(
        o,
        "EngineVersion",
        if s.engine == "mysql" {
            "8.0.39"
        } else {
            "16.4"
        },
    );
    o.push_str("<LicenseModel>general-public-license</LicenseModel><SnapshotType>manual</SnapshotType><PercentProgress>100</PercentProgress><StorageType>gp3</StorageType><Encrypted>false</Encrypted>");
    el(
        o,
        "DBSnapshotArn",
        &format!(
            "arn:aws:rds:{}:{}:snapshot:{}",
            ctx.region, ctx.account, s.id
        ),
    );
    o.push_str(
        "<IAMDatabaseAuthenticationEnabled>false</IAMDatabaseAuthenticationEnabled><TagList/>",
    );
    el(o, "OriginalSnapshotCreateTime", &iso(s.created));
    o.push_str("<SnapshotTarget>region</SnapshotTarget></DBSnapshot>");
}

/// Only manual snapshots are generated: asking for automated, shared or public ones (as
/// `SnapshotType`) finds none.
fn describe_db_snapshots(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let visible = call
        .params
        .str("SnapshotType")
        .is_none_or(|t| t == "manual");
    describe(
        sim,
        call,
        &List {
            set: "DBSnapshots",
            member: "DBSnapshot",
            id_param: "DBSnapshotIdentifier",
            items: |d| &d.db_snapshots,
            id: |s| &s.id,
            item: snapshot,
        },
        visible,
    )
}

fn describe_db_snapshot_attributes(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let id = call.params.str("DBSnapshotIdentifier").unwrap_or_default();
    let id = id.rsplit(':').next().unwrap_or(id);
    let region = call.region();
    let data = sim.region_data(call.account, region);
    let all: &[DbSnapshot] = data.as_deref().map_or(&[], |d| &d.db_snapshots);
    let s = all.iter().find(|s| s.id == id).ok_or_else(|| {
        ApiError::new(
            404,
            "DBSnapshotNotFound",
            format!("DBSnapshot {id} not found."),
        )
    })?;
    Ok(query_body(call.service.xmlns, call.op, |o| {
        o.push_str("<DBSnapshotAttributesResult>");
        el(o, "DBSnapshotIdentifier", &s.id);
        o.push_str("<DBSnapshotAttributes><DBSnapshotAttribute><AttributeName>restore</AttributeName><AttributeValues>");
        for a in &s.shared_with {
            el(o, "AttributeValue", a);
        }
        o.push_str("</AttributeValues></DBSnapshotAttribute></DBSnapshotAttributes></DBSnapshotAttributesResult>");
    }))
}
