//! CloudTrail (awsJson1_1): the organization trail (and a few accounts' own trails), their
//! status and selectors, and LookupEvents with real CloudTrail records.

use std::fmt::Write as _;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::clock::iso;
use crate::region_model::{self, Event};
use crate::services::{page, token};
use crate::sim::{CacheKey, Call, Sim, Table};
use crate::wire::{ApiError, jf, js};

pub(crate) fn register(t: &mut Table) {
    t.op("cloudtrail", "DescribeTrails", describe_trails)
        .op("cloudtrail", "GetTrailStatus", get_trail_status)
        .op("cloudtrail", "GetEventSelectors", get_event_selectors)
        .op("cloudtrail", "LookupEvents", lookup_events);
}

const ORG_TRAIL: &str = "org-trail";
const OWN_TRAIL: &str = "account-trail";

struct Trail {
    name: &'static str,
    arn: String,
    bucket: String,
    home: String,
    multi_region: bool,
    organization: bool,
    logging: bool,
}

/// The trails that apply to the calling account: the organization's, and its own if any.
fn trails(sim: &Sim, account: usize) -> Vec<Trail> {
    let home = sim.org.region_name(sim.org.home_region).to_owned();
    let mgmt = &sim.org.management().id;
    let mut out = vec![Trail {
        name: ORG_TRAIL,
        arn: format!("arn:aws:cloudtrail:{home}:{mgmt}:trail/{ORG_TRAIL}"),
        bucket: format!("aws-cloudtrail-logs-{mgmt}"),
        home: home.clone(),
        multi_region: true,
        organization: true,
        logging: true,
    }];
    if let Some(logging) = region_model::own_trail(&sim.org, account) {
        let id = &sim.org.accounts[account].id;
        out.push(Trail {
            name: OWN_TRAIL,
            arn: format!("arn:aws:cloudtrail:{home}:{id}:trail/{OWN_TRAIL}"),
            bucket: format!("trail-logs-{id}"),
            home,
            multi_region: false,
            organization: false,
            logging,
        });
    }
    out
}

fn find_trail(sim: &Sim, call: &Call<'_>, param: &str) -> Result<Trail, ApiError> {
    let name = call.params.str(param).unwrap_or_default();
    trails(sim, call.account)
        .into_iter()
        .find(|t| t.arn == name || t.name == name)
        .ok_or_else(|| {
            ApiError::bad(
                "TrailNotFoundException",
                format!(
                    "Unknown trail: {name} for the user: {}",
                    sim.org.accounts[call.account].id
                ),
            )
        })
}

fn describe_trails(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let json = call.params.json();
    let shadows = json
        .and_then(|v| v.get("includeShadowTrails"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut o = String::from("{\"trailList\":[");
    let mut first = true;
    for t in trails(sim, call.account) {
        let here = t.home == call.region;
        let owned = !t.organization || call.account == 0;
        // A single-region trail exists only in its region; a multi-region trail elsewhere (or
        // another account's organization trail) is a shadow trail.
        if (!t.multi_region && !here) || !(shadows || (here && owned)) {
            continue;
        }
        if !first {
            o.push(',');
        }
        first = false;
        o.push('{');
        jf(&mut o, true, "Name", t.name);
        jf(&mut o, false, "S3BucketName", &t.bucket);
        let _ = write!(
            o,
            ",\"IncludeGlobalServiceEvents\":true,\"IsMultiRegionTrail\":{},",
            t.multi_region
        );
        jf(&mut o, true, "HomeRegion", &t.home);
        jf(&mut o, false, "TrailARN", &t.arn);
        let _ = write!(
            o,
            ",\"LogFileValidationEnabled\":true,\"HasCustomEventSelectors\":false,\"HasInsightSelectors\":false,\"IsOrganizationTrail\":{}}}",
            t.organization
        );
    }
    o.push_str("]}");
    Ok(Bytes::from(o))
}

fn get_trail_status(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let t = find_trail(sim, call, "Name")?;
    let started = sim.org.epoch - 400 * 86_400;
    let mut o = String::with_capacity(256);
    let _ = write!(o, "{{\"IsLogging\":{}", t.logging);
    if t.logging {
        let _ = write!(
            o,
            ",\"LatestDeliveryTime\":{},\"StartLoggingTime\":{started}",
            call.now - 300
        );
        jf(&mut o, false, "TimeLoggingStarted", &iso(started));
    } else {
        let _ = write!(o, ",\"StopLoggingTime\":{}", sim.org.epoch - 20 * 86_400);
    }
    o.push('}');
    Ok(Bytes::from(o))
}

fn get_event_selectors(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let t = find_trail(sim, call, "TrailName")?;
    let mut o = String::from("{");
    jf(&mut o, true, "TrailARN", &t.arn);
    o.push_str(",\"EventSelectors\":[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true,\"DataResources\":[],\"ExcludeManagementEventSources\":[]}]}");
    Ok(Bytes::from(o))
}

/// The record as CloudTrail writes it (the same shape as in delivered log files).
fn record(sim: &Sim, account: usize, region: &str, e: &Event) -> String {
    let acct = &sim.org.accounts[account].id;
    let identity = if e.principal_type == "IAMUser" {
        json!({
            "type": "IAMUser",
            "principalId": format!("AIDA{}", &e.access_key[4..]),
            "arn": e.principal_arn,
            "accountId": acct,
            "accessKeyId": e.access_key,
            "userName": e.user_name,
        })
    } else {
        let role = e
            .principal_arn
            .split('/')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        json!({
            "type": "AssumedRole",
            "principalId": format!("AROA{}:{}", &e.access_key[4..], e.user_name),
            "arn": e.principal_arn,
            "accountId": acct,
            "accessKeyId": e.access_key,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": format!("AROA{}", &e.access_key[4..]),
                    "arn": format!("arn:aws:iam::{acct}:role/{role}"),
                    "accountId": acct,
                    "userName": role,
                },
                "attributes": {"creationDate": iso(e.time - 600), "mfaAuthenticated": "false"},
            },
        })
    };
    let request = match &e.resource {
        Some((_, key, value)) => json!({ *key: value }),
        None => Value::Null,
    };
    json!({
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso(e.time),
        "eventSource": e.source,
        "eventName": e.name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": request,
        "responseElements": Value::Null,
        "requestID": e.id.chars().rev().collect::<String>(),
        "eventID": e.id,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": acct,
        "eventCategory": "Management",
    })
    .to_string()
}

fn event_json(o: &mut String, sim: &Sim, account: usize, region: &str, e: &Event) {
    o.push('{');
    jf(o, true, "EventId", &e.id);
    jf(o, false, "EventName", e.name);
    jf(o, false, "ReadOnly", "false");
    jf(o, false, "AccessKeyId", &e.access_key);
    let _ = write!(o, ",\"EventTime\":{}", e.time);
    jf(o, false, "EventSource", e.source);
    jf(o, false, "Username", &e.user_name);
    o.push_str(",\"Resources\":[");
    if let Some((kind, _, name)) = &e.resource {
        o.push('{');
        jf(o, true, "ResourceType", kind);
        jf(o, false, "ResourceName", name);
        o.push('}');
    }
    o.push_str("],\"CloudTrailEvent\":");
    js(o, &record(sim, account, region, e));
    o.push('}');
}

/// Whether `e` passes the request's one lookup attribute.
fn matches(e: &Event, attribute: Option<(&str, &str)>) -> bool {
    match attribute {
        None => true,
        Some(("ReadOnly", v)) => v == "false",
        Some(("EventName", v)) => e.name == v,
        Some(("Username", v)) => e.user_name == v,
        Some(("AccessKeyId", v)) => e.access_key == v,
        Some(("EventSource", v)) => e.source == v,
        Some(("ResourceName", v)) => e.resource.as_ref().is_some_and(|r| r.2 == v),
        Some(("ResourceType", v)) => e.resource.as_ref().is_some_and(|r| r.0 == v),
        Some(_) => false,
    }
}

/// Events come from the generated account-region (newest first, all inside the last six
/// days of the simulator's start); `StartTime`/`EndTime` are not applied.
fn lookup_events(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let json = call.params.json();
    let attributes: Vec<(&str, &str)> = json
        .and_then(|v| v.get("LookupAttributes"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some((
                a.get("AttributeKey")?.as_str()?,
                a.get("AttributeValue")?.as_str()?,
            ))
        })
        .collect();
    if attributes.len() > 1 {
        return Err(ApiError::bad(
            "InvalidLookupAttributesException",
            "You cannot specify more than one lookup attribute.",
        ));
    }
    if let Some(n) = call.params.int("MaxResults")
        && !(1..=50).contains(&n)
    {
        return Err(ApiError::bad(
            "InvalidMaxResultsException",
            "MaxResults must be between 1 and 50.",
        ));
    }
    let attribute = attributes.first().copied();
    let region = call.region();
    let data = sim.region_data(call.account, region);
    let all: &[Event] = data.as_deref().map_or(&[], |d| &d.events);
    // The sweep orgsweep makes (no attribute, or ReadOnly=false) matches every generated
    // event and is the one worth caching; other attributes filter per request.
    let sweep = attribute.is_none_or(|a| a == ("ReadOnly", "false"));
    let filtered: Vec<&Event> = if sweep {
        Vec::new()
    } else {
        all.iter().filter(|e| matches(e, attribute)).collect()
    };
    let total = if sweep { all.len() } else { filtered.len() };
    let at = |k: usize| if sweep { &all[k] } else { filtered[k] };
    if total == 0 {
        return Ok(Bytes::from_static(b"{\"Events\":[]}"));
    }
    let p = page(
        call.params,
        "NextToken",
        "MaxResults",
        total,
        1,
        50,
        Some(50),
        "InvalidNextTokenException",
    )?;
    let render = || {
        let mut o = String::with_capacity(16 + 1500 * (p.end - p.start));
        o.push_str("{\"Events\":[");
        for k in p.start..p.end {
            if k > p.start {
                o.push(',');
            }
            event_json(&mut o, sim, call.account, call.region, at(k));
        }
        o.push(']');
        if let Some(n) = p.next {
            jf(&mut o, false, "NextToken", &token(n));
        }
        o.push('}');
        Ok(Bytes::from(o))
    };
    if !sweep {
        return render();
    }
    let key = CacheKey {
        account: call.account as u32,
        region,
        op: call.op,
        a: p.start as u64,
        b: p.size,
    };
    sim.cached(key, render)
}
