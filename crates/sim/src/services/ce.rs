//! Cost Explorer (awsJson1_1): GetCostAndUsage over the whole organization, for the
//! management account only, grouped by up to two of LINKED_ACCOUNT, SERVICE and REGION.
//! Amounts are the generated daily rates times the days of each period that have passed
//! (days after "today" cost nothing); `Filter` is not applied.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bytes::Bytes;
use serde_json::Value;

use crate::account_model;
use crate::clock::DAY;
use crate::services::{page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, Sim, Table};
use crate::wire::{ApiError, jf, js};

pub(crate) fn register(t: &mut Table) {
    t.op("ce", "GetCostAndUsage", get_cost_and_usage);
}

/// Groups per page.
const PAGE: usize = 1000;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn parse_date(s: &str) -> Option<i64> {
    let mut parts = s.get(..10)?.split('-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
}

fn fmt_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn first_of_next_month(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    }
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::bad("ValidationException", message)
}

/// The periods `[start, end)` of the request, split by its granularity.
fn periods(start: i64, end: i64, granularity: &str) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let next = match granularity {
            "DAILY" => at + 1,
            _ => first_of_next_month(at).min(end),
        };
        out.push((at, next.min(end)));
        at = next;
    }
    out
}

fn get_cost_and_usage(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    if call.account != 0 {
        return Err(ApiError::bad(
            "AccessDeniedException",
            "User is not authorized to view the organization's costs: only the management account has the consolidated bill.",
        ));
    }
    let json = call.params.json().cloned().unwrap_or(Value::Null);
    let period = &json["TimePeriod"];
    let (Some(start), Some(end)) = (
        period["Start"].as_str().and_then(parse_date),
        period["End"].as_str().and_then(parse_date),
    ) else {
        return Err(invalid(
            "TimePeriod.Start and TimePeriod.End must be dates (YYYY-MM-DD).",
        ));
    };
    if start >= end {
        return Err(invalid(
            "Start date (inclusive) must be before end date (exclusive).",
        ));
    }
    let granularity = json["Granularity"].as_str().unwrap_or("MONTHLY");
    if !matches!(granularity, "DAILY" | "MONTHLY") {
        return Err(invalid(format!(
            "Granularity {granularity} is not supported."
        )));
    }
    let metrics: Vec<String> = json["Metrics"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if metrics.is_empty() {
        return Err(invalid("Metrics must contain at least one metric."));
    }
    let group_by: Vec<(String, String)> = json["GroupBy"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|g| {
                    (
                        g["Type"].as_str().unwrap_or("DIMENSION").to_owned(),
                        g["Key"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if group_by.len() > 2 {
        return Err(invalid("You can group by at most two dimensions or tags."));
    }
    let periods = periods(start, end, granularity);
    // The request (token aside) picks the rendering; its pages are cached.
    let mut request = json.clone();
    if let Some(o) = request.as_object_mut() {
        o.remove("NextPageToken");
    }
    let request_key = super::hash_of(&request.to_string());
    let groups = groups(sim, &periods, &group_by);
    let total: usize = groups.iter().map(Vec::len).sum();
    let p = page(
        call.params,
        "NextPageToken",
        "",
        total,
        1,
        PAGE,
        Some(PAGE),
        "InvalidNextTokenException",
    )?;
    let key = CacheKey {
        account: 0,
        region: GLOBAL_REGION,
        op: call.op,
        a: request_key,
        b: p.start as u64,
    };
    let today = sim.org.epoch.div_euclid(DAY);
    sim.cached(key, || {
        let mut o = String::with_capacity(256 + 150 * (p.end - p.start));
        o.push_str("{\"GroupDefinitions\":[");
        for (k, (t, key)) in group_by.iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            o.push('{');
            jf(&mut o, true, "Type", t);
            jf(&mut o, false, "Key", key);
            o.push('}');
        }
        o.push_str("],\"ResultsByTime\":[");
        let mut at = 0usize;
        let mut accounts_seen = Vec::new();
        for (k, ((from, to), list)) in periods.iter().zip(&groups).enumerate() {
            let lo = p.start.max(at).min(at + list.len()) - at;
            let hi = p.end.max(at).min(at + list.len()) - at;
            at += list.len();
            if k > 0 {
                o.push(',');
            }
            o.push_str("{\"TimePeriod\":{");
            jf(&mut o, true, "Start", &fmt_date(*from));
            jf(&mut o, false, "End", &fmt_date(*to));
            o.push_str("},\"Total\":{");
            if group_by.is_empty() {
                let amount: f64 = list.iter().map(|(_, a)| a).sum();
                metric_values(&mut o, &metrics, amount);
            }
            o.push_str("},\"Groups\":[");
            // Without GroupBy the period's one entry is its total, not a group.
            let shown = if group_by.is_empty() {
                &[][..]
            } else {
                &list[lo..hi]
            };
            for (g, (keys, amount)) in shown.iter().enumerate() {
                if g > 0 {
                    o.push(',');
                }
                o.push_str("{\"Keys\":[");
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        o.push(',');
                    }
                    js(&mut o, key);
                    if group_by[i].1 == "LINKED_ACCOUNT" {
                        accounts_seen.push(key.clone());
                    }
                }
                o.push_str("],\"Metrics\":{");
                metric_values(&mut o, &metrics, *amount);
                o.push_str("}}");
            }
            let _ = write!(o, "],\"Estimated\":{}}}", *from <= today && today < *to);
        }
        o.push_str("],\"DimensionValueAttributes\":[");
        accounts_seen.sort();
        accounts_seen.dedup();
        for (k, id) in accounts_seen.iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            let name = sim
                .org
                .account_index(id)
                .map_or("", |i| sim.org.accounts[i].name.as_str());
            o.push('{');
            jf(&mut o, true, "Value", id);
            o.push_str(",\"Attributes\":{");
            jf(&mut o, true, "description", name);
            o.push_str("}}");
        }
        o.push(']');
        if let Some(n) = p.next {
            jf(&mut o, false, "NextPageToken", &token(n));
        }
        o.push('}');
        Ok(Bytes::from(o))
    })
}

fn metric_values(o: &mut String, metrics: &[String], amount: f64) {
    for (k, m) in metrics.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        js(o, m);
        let (value, unit) = if m == "UsageQuantity" {
            (amount / 0.1, "N/A")
        } else {
            (amount, "USD")
        };
        let _ = write!(o, ":{{\"Amount\":\"{value:.10}\",\"Unit\":\"{unit}\"}}");
    }
}

/// Each period's groups, sorted by their keys: (keys, amount). Without `GroupBy`, one
/// group per period (its total).
fn groups(
    sim: &Sim,
    periods: &[(i64, i64)],
    group_by: &[(String, String)],
) -> Vec<Vec<(Vec<String>, f64)>> {
    let org = &sim.org;
    let today = org.epoch.div_euclid(DAY);
    let (y, m, _) = civil_from_days(today);
    let month_start = days_from_civil(y, m, 1);
    let charges: Vec<(usize, Vec<account_model::Charge>)> = (0..org.accounts.len())
        .filter(|i| org.accounts[*i].status == "ACTIVE")
        .map(|i| (i, account_model::charges(org, i)))
        .collect();
    periods
        .iter()
        .map(|(from, to)| {
            // Days up to and including today are billed.
            let to = (*to).min(today + 1);
            let current = (to - (*from).max(month_start)).max(0) as f64;
            let previous = (to.min(month_start) - from).max(0) as f64;
            let mut sums: BTreeMap<Vec<String>, f64> = BTreeMap::new();
            for (i, list) in &charges {
                for c in list {
                    let amount = c.previous * previous + c.current * current;
                    if amount <= 0.0 {
                        continue;
                    }
                    let keys: Vec<String> = group_by
                        .iter()
                        .map(|(t, key)| match (t.as_str(), key.as_str()) {
                            ("DIMENSION", "LINKED_ACCOUNT") => org.accounts[*i].id.clone(),
                            ("DIMENSION", "SERVICE") => c.service.to_owned(),
                            ("DIMENSION", "REGION") => c.region.to_owned(),
                            ("DIMENSION", "RECORD_TYPE") => "Usage".to_owned(),
                            _ => "NoTagKey".to_owned(),
                        })
                        .collect();
                    *sums.entry(keys).or_default() += amount;
                }
            }
            sums.into_iter().collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_split_by_month() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(fmt_date(days_from_civil(2024, 2, 29)), "2024-02-29");
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        let start = days_from_civil(2024, 1, 1);
        let end = days_from_civil(2024, 3, 15);
        let p = periods(start, end, "MONTHLY");
        assert_eq!(p.len(), 3);
        assert_eq!(fmt_date(p[1].0), "2024-02-01");
        assert_eq!(fmt_date(p[2].1), "2024-03-15");
        assert_eq!(periods(start, start + 3, "DAILY").len(), 3);
    }
}
