//! AWS Health's organizational view (RPC v2 CBOR): the organization's events, the accounts
//! each affects, and their details per account. Answered for the management account and
//! the delegated administrator only.

use bytes::Bytes;
use serde_json::Value;

use crate::account_model::{self, HealthEvent};
use crate::services::{page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, Sim, Table};
use crate::wire::{ApiError, Cbor};

pub(crate) fn register(t: &mut Table) {
    t.op(
        "health",
        "DescribeEventsForOrganization",
        describe_events_for_organization,
    )
    .op(
        "health",
        "DescribeAffectedAccountsForOrganization",
        describe_affected_accounts_for_organization,
    )
    .op(
        "health",
        "DescribeEventDetailsForOrganization",
        describe_event_details_for_organization,
    )
    .op(
        "health",
        "DescribeHealthServiceStatusForOrganization",
        describe_health_service_status_for_organization,
    );
}

/// The simulated organization has Health's organizational view enabled, as a scanner's
/// target normally would; the collector refuses to read events without it.
fn describe_health_service_status_for_organization(
    sim: &Sim,
    call: &Call<'_>,
) -> Result<Bytes, ApiError> {
    require_organization_view(sim, call)?;
    let mut c = Cbor::new();
    c.map()
        .kv("healthServiceAccessStatusForOrganization", "ENABLED")
        .end();
    Ok(c.into_bytes())
}

fn require_organization_view(sim: &Sim, call: &Call<'_>) -> Result<(), ApiError> {
    if call.account == 0 || call.account == sim.org.security_account() {
        return Ok(());
    }
    Err(ApiError::bad(
        "AccessDeniedException",
        "The organizational view is available to the management account and the delegated administrator only.",
    ))
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `e` passes the request's filter: lists of values (any may match) and the
/// `from`/`to` ranges of its times.
fn passes(sim: &Sim, e: &HealthEvent, filter: &Value) -> bool {
    let any = |key: &str, value: &str| {
        let list = strings(filter, key);
        list.is_empty() || list.iter().any(|v| v == value)
    };
    let accounts = strings(filter, "awsAccountIds");
    let in_range = |key: &str, t: i64| {
        filter
            .get(key)
            .and_then(Value::as_array)
            .is_none_or(|ranges| {
                ranges.iter().any(|r| {
                    r.get("from")
                        .and_then(Value::as_f64)
                        .is_none_or(|f| t as f64 >= f)
                        && r.get("to")
                            .and_then(Value::as_f64)
                            .is_none_or(|f| t as f64 <= f)
                })
            })
    };
    any("eventTypeCategories", e.category)
        && any("eventTypeCodes", e.code)
        && any("services", e.service)
        && any("regions", &e.region)
        && any("eventStatusCodes", e.status)
        && (accounts.is_empty()
            || e.accounts
                .iter()
                .any(|i| accounts.contains(&sim.org.accounts[*i].id)))
        && in_range("startTime", e.start)
        && in_range("lastUpdatedTime", e.updated)
        && in_range("endTime", e.end.unwrap_or(i64::MAX / 2))
}

fn event_fields(c: &mut Cbor, e: &HealthEvent, organization: bool) {
    c.kv("arn", &e.arn)
        .kv("service", e.service)
        .kv("eventTypeCode", e.code)
        .kv("eventTypeCategory", e.category)
        .kv("region", &e.region)
        .str("startTime")
        .timestamp(e.start);
    if let Some(end) = e.end {
        c.str("endTime").timestamp(end);
    }
    c.str("lastUpdatedTime").timestamp(e.updated);
    c.kv("statusCode", e.status).kv("eventScopeCode", e.scope);
    if organization {
        c.kv("actionability", "INFORMATIONAL");
    }
}

fn describe_events_for_organization(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_organization_view(sim, call)?;
    let json = call.params.json().cloned().unwrap_or(Value::Null);
    let filter = json.get("filter").cloned().unwrap_or(Value::Null);
    let events = account_model::health_events(&sim.org);
    let matching: Vec<&HealthEvent> = events.iter().filter(|e| passes(sim, e, &filter)).collect();
    let p = page(
        call.params,
        "nextToken",
        "maxResults",
        matching.len(),
        10,
        100,
        Some(100),
        "InvalidPaginationToken",
    )?;
    let mut c = Cbor::new();
    c.map().str("events").array();
    for e in &matching[p.start..p.end] {
        c.map();
        event_fields(&mut c, e, true);
        c.end();
    }
    c.end();
    if let Some(n) = p.next {
        c.kv("nextToken", &token(n));
    }
    c.end();
    Ok(c.into_bytes())
}

fn describe_affected_accounts_for_organization(
    sim: &Sim,
    call: &Call<'_>,
) -> Result<Bytes, ApiError> {
    require_organization_view(sim, call)?;
    let arn = call.params.str("eventArn").unwrap_or_default();
    let events = account_model::health_events(&sim.org);
    let (k, e) = events
        .iter()
        .enumerate()
        .find(|(_, e)| e.arn == arn)
        .ok_or_else(|| {
            ApiError::bad(
                "InvalidPaginationToken",
                format!("The event {arn} was not found."),
            )
        })?;
    let p = page(
        call.params,
        "nextToken",
        "maxResults",
        e.accounts.len(),
        10,
        100,
        Some(100),
        "InvalidPaginationToken",
    )?;
    let key = CacheKey {
        account: 0,
        region: GLOBAL_REGION,
        op: call.op,
        a: k as u64,
        b: ((p.start as u64) << 32) | p.size.min(u64::from(u32::MAX)),
    };
    sim.cached(key, || {
        let mut c = Cbor::new();
        c.map().str("affectedAccounts").array();
        for i in &e.accounts[p.start..p.end] {
            c.str(&sim.org.accounts[*i].id);
        }
        c.end().kv("eventScopeCode", e.scope);
        if let Some(n) = p.next {
            c.kv("nextToken", &token(n));
        }
        c.end();
        Ok(c.into_bytes())
    })
}

fn describe_event_details_for_organization(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_organization_view(sim, call)?;
    let filters: Vec<(String, String)> = call
        .params
        .json()
        .and_then(|v| v.get("organizationEventDetailFilters"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|f| {
                    let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                    (s("eventArn"), s("awsAccountId"))
                })
                .collect()
        })
        .unwrap_or_default();
    if filters.is_empty() || filters.len() > 10 {
        return Err(ApiError::bad(
            "ValidationException",
            "organizationEventDetailFilters must hold between 1 and 10 items.",
        ));
    }
    let events = account_model::health_events(&sim.org);
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for (arn, account) in &filters {
        let found = events.iter().find(|e| &e.arn == arn).filter(|e| {
            e.scope == "PUBLIC"
                || e.accounts
                    .iter()
                    .any(|i| &sim.org.accounts[*i].id == account)
        });
        match found {
            Some(e) => ok.push((account, e)),
            None => failed.push((arn, account)),
        }
    }
    let mut c = Cbor::new();
    c.map().str("successfulSet").array();
    for (account, e) in ok {
        c.map().kv("awsAccountId", account).str("event").map();
        event_fields(&mut c, e, false);
        c.end()
            .str("eventDescription")
            .map()
            .kv("latestDescription", &e.description)
            .end()
            .str("eventMetadata")
            .map()
            .end()
            .end();
    }
    c.end().str("failedSet").array();
    for (arn, account) in failed {
        c.map()
            .kv("awsAccountId", account)
            .kv("eventArn", arn)
            .kv("errorName", "NotFound")
            .kv(
                "errorMessage",
                "The event does not exist or does not affect this account.",
            )
            .end();
    }
    c.end().end();
    Ok(c.into_bytes())
}
