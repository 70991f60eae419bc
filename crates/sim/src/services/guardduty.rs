//! GuardDuty (restJson1): the region's detector, and its findings (listed with a severity
//! criterion, fetched by id).

use std::fmt::Write as _;

use bytes::Bytes;
use serde_json::Value;

use crate::clock::iso;
use crate::region_model::{self, Finding};
use crate::services::{page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, SHARED_ACCOUNT, Sim, Table};
use crate::wire::{ApiError, jf, js};

pub(crate) fn register(t: &mut Table) {
    t.route(
        "guardduty",
        "GET",
        "/detector",
        "ListDetectors",
        list_detectors,
    )
    .route(
        "guardduty",
        "GET",
        "/detector/{}",
        "GetDetector",
        get_detector,
    )
    .route(
        "guardduty",
        "POST",
        "/detector/{}/findings",
        "ListFindings",
        list_findings,
    )
    .route(
        "guardduty",
        "POST",
        "/detector/{}/findings/get",
        "GetFindings",
        get_findings,
    );
}

/// GuardDuty writes `2024-05-01T10:00:00.000Z`.
fn gd_time(secs: i64) -> String {
    let mut s = iso(secs);
    s.pop();
    s + ".000Z"
}

fn list_detectors(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let Some((id, _)) = region_model::detector(&sim.org, call.account, call.region()) else {
        return Ok(Bytes::from_static(b"{\"detectorIds\":[]}"));
    };
    Ok(Bytes::from(format!("{{\"detectorIds\":[\"{id}\"]}}")))
}

/// The detector the path names, if it is the caller's in this region: (id, enabled).
fn own_detector(sim: &Sim, call: &Call<'_>) -> Result<(String, bool), ApiError> {
    let asked = call.path.first().map_or("", String::as_str);
    region_model::detector(&sim.org, call.account, call.region())
        .filter(|(id, _)| id == asked)
        .ok_or_else(|| {
            ApiError::bad(
                "BadRequestException",
                "The request is rejected because the input detectorId is not owned by the current account.",
            )
        })
}

fn get_detector(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let (_, enabled) = own_detector(sim, call)?;
    let key = CacheKey {
        account: call.account as u32,
        region: GLOBAL_REGION,
        op: call.op,
        a: u64::from(enabled),
        b: 0,
    };
    let epoch = sim.org.epoch;
    sim.cached(key, || {
        let acct = &sim.org.accounts[call.account].id;
        let status = if enabled { "ENABLED" } else { "DISABLED" };
        let mut o = String::from("{");
        jf(&mut o, true, "createdAt", &gd_time(epoch - 400 * 86_400));
        jf(&mut o, false, "findingPublishingFrequency", "SIX_HOURS");
        jf(
            &mut o,
            false,
            "serviceRole",
            &format!("arn:aws:iam::{acct}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty"),
        );
        jf(&mut o, false, "status", status);
        jf(&mut o, false, "updatedAt", &gd_time(epoch - 30 * 86_400));
        let _ = write!(
            o,
            ",\"features\":[{{\"name\":\"CLOUD_TRAIL\",\"status\":\"{status}\"}},{{\"name\":\"DNS_LOGS\",\"status\":\"{status}\"}},{{\"name\":\"FLOW_LOGS\",\"status\":\"{status}\"}}],\"tags\":{{}}}}"
        );
        Ok(Bytes::from(o))
    })
}

/// Whether a finding passes the request's criteria. Severity comparisons and
/// `service.archived` are applied (no finding is archived); other fields pass.
fn passes(f: &Finding, criteria: Option<&Value>) -> bool {
    let Some(criteria) = criteria.and_then(Value::as_object) else {
        return true;
    };
    criteria.iter().all(|(field, condition)| {
        let num = |k: &str| condition.get(k).and_then(Value::as_f64);
        let list = |k: &str| -> Vec<String> {
            condition
                .get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        match field.as_str() {
            "severity" => {
                let s = f.severity;
                let eq: Vec<String> = [list("eq"), list("equals")].concat();
                num("gt").or(num("greaterThan")).is_none_or(|v| s > v)
                    && num("gte")
                        .or(num("greaterThanOrEqual"))
                        .is_none_or(|v| s >= v)
                    && num("lt").or(num("lessThan")).is_none_or(|v| s < v)
                    && num("lte").or(num("lessThanOrEqual")).is_none_or(|v| s <= v)
                    && (eq.is_empty() || eq.iter().any(|v| v.parse::<f64>().is_ok_and(|v| v == s)))
            }
            "service.archived" => {
                let eq: Vec<String> = [list("eq"), list("equals")].concat();
                let neq: Vec<String> = [list("neq"), list("notEquals")].concat();
                (eq.is_empty() || eq.iter().any(|v| v == "false"))
                    && !neq.iter().any(|v| v == "false")
            }
            "type" => {
                let eq: Vec<String> = [list("eq"), list("equals")].concat();
                eq.is_empty() || eq.iter().any(|v| v == f.kind)
            }
            _ => true,
        }
    })
}

fn list_findings(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    own_detector(sim, call)?;
    let region = call.region();
    let data = sim.region_data(call.account, region);
    let all: &[Finding] = data.as_deref().map_or(&[], |d| &d.findings);
    let criteria = call
        .params
        .json()
        .and_then(|v| v.get("findingCriteria"))
        .and_then(|c| c.get("criterion"));
    let matching: Vec<&Finding> = all.iter().filter(|f| passes(f, criteria)).collect();
    let p = page(
        call.params,
        "nextToken",
        "maxResults",
        matching.len(),
        1,
        50,
        Some(50),
        "BadRequestException",
    )?;
    if matching.is_empty() {
        let key = CacheKey {
            account: SHARED_ACCOUNT,
            region: GLOBAL_REGION,
            op: call.op,
            a: 0,
            b: 0,
        };
        return sim.cached(key, || Ok(Bytes::from_static(b"{\"findingIds\":[]}")));
    }
    let key = CacheKey {
        account: call.account as u32,
        region,
        op: call.op,
        a: super::hash_of(&criteria.map(Value::to_string)) ^ p.start as u64,
        b: p.size,
    };
    sim.cached(key, || {
        let mut o = String::from("{\"findingIds\":[");
        for (k, f) in matching[p.start..p.end].iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            js(&mut o, &f.id);
        }
        o.push(']');
        if let Some(n) = p.next {
            jf(&mut o, false, "nextToken", &token(n));
        }
        o.push('}');
        Ok(Bytes::from(o))
    })
}

fn finding_json(o: &mut String, f: &Finding, acct: &str, region: &str, detector: &str) {
    o.push('{');
    jf(o, true, "accountId", acct);
    jf(
        o,
        false,
        "arn",
        &format!(
            "arn:aws:guardduty:{region}:{acct}:detector/{detector}/finding/{}",
            f.id
        ),
    );
    let _ = write!(o, ",\"confidence\":{:.1}", f.severity);
    jf(o, false, "createdAt", &gd_time(f.created));
    jf(o, false, "description", f.title);
    jf(o, false, "id", &f.id);
    jf(o, false, "partition", "aws");
    jf(o, false, "region", region);
    o.push_str(",\"resource\":{");
    jf(o, true, "resourceType", f.resource_type);
    if f.resource_type == "AccessKey" {
        o.push_str(",\"accessKeyDetails\":{");
        jf(o, true, "accessKeyId", &f.resource_id);
        jf(
            o,
            false,
            "principalId",
            &format!("AROASIMULATED0000001:{}", f.user),
        );
        jf(o, false, "userName", &f.user);
        jf(
            o,
            false,
            "userType",
            if f.user == "Root" {
                "Root"
            } else {
                "AssumedRole"
            },
        );
        o.push('}');
    } else {
        o.push_str(",\"instanceDetails\":{");
        jf(o, true, "instanceId", &f.resource_id);
        jf(o, false, "instanceType", "t3.micro");
        jf(o, false, "instanceState", "running");
        jf(o, false, "availabilityZone", &format!("{region}a"));
        o.push('}');
    }
    o.push('}');
    jf(o, false, "schemaVersion", "2.0");
    o.push_str(",\"service\":{\"serviceName\":\"guardduty\"");
    jf(o, false, "detectorId", detector);
    o.push_str(",\"archived\":false,\"count\":1");
    jf(o, false, "eventFirstSeen", &gd_time(f.created));
    jf(o, false, "eventLastSeen", &gd_time(f.updated));
    jf(o, false, "resourceRole", "TARGET");
    o.push('}');
    let _ = write!(o, ",\"severity\":{:.1}", f.severity);
    jf(o, false, "title", f.title);
    jf(o, false, "type", f.kind);
    jf(o, false, "updatedAt", &gd_time(f.updated));
    o.push('}');
}

/// Up to 50 findings by id; unknown ids are left out, as GuardDuty does.
fn get_findings(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let (detector, _) = own_detector(sim, call)?;
    let ids: Vec<&str> = call.params.strings("findingIds");
    if ids.len() > 50 {
        return Err(ApiError::bad(
            "BadRequestException",
            "The request is rejected because the findingIds list has more than 50 entries.",
        ));
    }
    let data = sim.region_data(call.account, call.region());
    let all: &[Finding] = data.as_deref().map_or(&[], |d| &d.findings);
    let key = CacheKey {
        account: call.account as u32,
        region: call.region(),
        op: call.op,
        a: super::hash_of(&ids),
        b: 0,
    };
    sim.cached(key, || {
        let acct = &sim.org.accounts[call.account].id;
        let mut o = String::from("{\"findings\":[");
        let mut first = true;
        for id in &ids {
            if let Some(f) = all.iter().find(|f| f.id == *id) {
                if !first {
                    o.push(',');
                }
                first = false;
                finding_json(&mut o, f, acct, call.region, &detector);
            }
        }
        o.push_str("]}");
        Ok(Bytes::from(o))
    })
}
