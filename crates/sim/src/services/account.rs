//! Account (restJson1): alternate contacts and the account's regions.

use bytes::Bytes;
use serde_json::Value;

use crate::org::{NOT_OPTED_IN_REGIONS, REGIONS};
use crate::region_model;
use crate::services::{page, token};
use crate::sim::{Call, Sim, Table};
use crate::wire::{ApiError, jf};

pub(crate) fn register(t: &mut Table) {
    t.route(
        "account",
        "POST",
        "/getAlternateContact",
        "GetAlternateContact",
        get_alternate_contact,
    )
    .route(
        "account",
        "POST",
        "/listRegions",
        "ListRegions",
        list_regions,
    );
}

/// The account asked about: the caller's own, or (from the management account) `AccountId`.
fn target(sim: &Sim, call: &Call<'_>) -> Result<usize, ApiError> {
    match call
        .params
        .json()
        .and_then(|v| v.get("AccountId"))
        .and_then(Value::as_str)
    {
        None => Ok(call.account),
        Some(id) => match sim.org.account_index(id) {
            Some(i) if call.account == 0 || i == call.account => Ok(i),
            _ => Err(ApiError::new(
                403,
                "AccessDeniedException",
                "User is not authorized to perform: account:GetAlternateContact",
            )),
        },
    }
}

fn get_alternate_contact(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let account = target(sim, call)?;
    let kind = call.params.str("AlternateContactType").unwrap_or_default();
    let slot = match kind {
        "SECURITY" => 0,
        "BILLING" => 1,
        "OPERATIONS" => 2,
        _ => {
            return Err(ApiError::bad(
                "ValidationException",
                "Invalid AlternateContactType",
            ));
        }
    };
    if !region_model::contacts(&sim.org, account)[slot] {
        return Err(ApiError::new(
            404,
            "ResourceNotFoundException",
            "No contact of the inputted alternate contact type found.",
        ));
    }
    let name = sim.org.accounts[account].name.as_str();
    let lower = kind.to_ascii_lowercase();
    let mut o = String::from("{\"AlternateContact\":{");
    jf(&mut o, true, "AlternateContactType", kind);
    jf(
        &mut o,
        false,
        "EmailAddress",
        &format!("{lower}+{name}@example.com"),
    );
    jf(&mut o, false, "Name", &format!("{name} {lower} team"));
    jf(&mut o, false, "PhoneNumber", "+1-555-0100");
    jf(&mut o, false, "Title", &format!("{kind} contact"));
    o.push_str("}}");
    Ok(Bytes::from(o))
}

fn list_regions(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    target(sim, call)?;
    let mut regions: Vec<(&str, &str)> = sim
        .org
        .spec
        .regions
        .iter()
        .map(|r| {
            let status = if REGIONS.contains(&r.as_str()) {
                "ENABLED_BY_DEFAULT"
            } else {
                "ENABLED"
            };
            (r.as_str(), status)
        })
        .collect();
    regions.extend(
        NOT_OPTED_IN_REGIONS
            .iter()
            .filter(|r| !sim.org.spec.regions.iter().any(|s| s == *r))
            .map(|r| (*r, "DISABLED")),
    );
    let p = page(
        call.params,
        "NextToken",
        "MaxResults",
        regions.len(),
        1,
        50,
        Some(50),
        "ValidationException",
    )?;
    let mut o = String::from("{\"Regions\":[");
    for (k, (name, status)) in regions[p.start..p.end].iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        o.push('{');
        jf(&mut o, true, "RegionName", name);
        jf(&mut o, false, "RegionOptStatus", status);
        o.push('}');
    }
    o.push(']');
    if let Some(n) = p.next {
        jf(&mut o, false, "NextToken", &token(n));
    }
    o.push('}');
    Ok(Bytes::from(o))
}
