//! The operation table: one module per service, each registering its operations. Adding
//! an operation is a handler and one `table.op(..)` (or `table.route(..)` for REST) line;
//! adding a service also needs its `ServiceDef` in `wire::SERVICES`.

pub(crate) mod account;
pub(crate) mod ce;
pub(crate) mod cloudtrail;
pub(crate) mod config;
pub(crate) mod ec2;
pub(crate) mod ecs;
pub(crate) mod eks;
pub(crate) mod guardduty;
pub(crate) mod health;
pub(crate) mod iam;
pub(crate) mod lambda;
pub(crate) mod lightsail;
pub(crate) mod organizations;
pub(crate) mod rds;
pub(crate) mod s3;
pub(crate) mod sagemaker;
pub(crate) mod sts;

use std::fmt::Write as _;

use bytes::Bytes;

use crate::region_model::RegionData;
use crate::sim::{CacheKey, Call, GLOBAL_REGION, SHARED_ACCOUNT, Sim, Table};
use crate::wire::{ApiError, Params, jf};

pub(crate) fn register(table: &mut Table) {
    sts::register(table);
    iam::register(table);
    ec2::register(table);
    organizations::register(table);
    cloudtrail::register(table);
    config::register(table);
    account::register(table);
    lambda::register(table);
    ecs::register(table);
    eks::register(table);
    sagemaker::register(table);
    lightsail::register(table);
    rds::register(table);
    guardduty::register(table);
    ce::register(table);
    health::register(table);
    s3::register(table);
}

/// One page of a list: items `start..end`, and where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) next: Option<usize>,
    /// The requested size, for cache keys (`u64::MAX`: unpaginated).
    pub(crate) size: u64,
}

pub(crate) fn token(offset: usize) -> String {
    format!("sim{offset:010}")
}

/// Reads `token_param` and `size_param`: sizes below `min` are refused (AWS's validation),
/// above `max` capped, absent `default` (`None`: everything at once).
#[allow(clippy::too_many_arguments)]
pub(crate) fn page(
    params: &Params,
    token_param: &str,
    size_param: &str,
    total: usize,
    min: usize,
    max: usize,
    default: Option<usize>,
    invalid: &'static str,
) -> Result<Page, ApiError> {
    let start = match params.str(token_param) {
        Some(t) => t
            .strip_prefix("sim")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= total)
            .ok_or_else(|| ApiError::bad(invalid, format!("Invalid {token_param}: {t}")))?,
        None => 0,
    };
    let size = match params.int(size_param) {
        Some(n) if n < min as i64 => {
            return Err(ApiError::bad(
                invalid,
                format!(
                    "Value ({n}) for parameter {size_param} is invalid. Expected a value of at least {min}."
                ),
            ));
        }
        Some(n) => Some((n as usize).min(max)),
        None => default,
    };
    let end = size.map_or(total, |s| (start + s).min(total));
    Ok(Page {
        start,
        end,
        next: (end < total).then_some(end),
        size: size.map_or(u64::MAX, |s| s as u64),
    })
}

/// Who and where a list is rendered for.
pub(crate) struct Ctx<'a> {
    pub(crate) account: &'a str,
    pub(crate) region: &'a str,
}

/// A JSON list of one account-region's resources, paginated the service's way.
pub(crate) struct JsonList<T: 'static> {
    /// The list's key in the answer (`Functions`).
    pub(crate) key: &'static str,
    /// Request token and page-size parameters (`Marker`, `MaxItems`).
    pub(crate) token_in: &'static str,
    pub(crate) size_in: &'static str,
    /// The answer's token key (`NextMarker`).
    pub(crate) token_out: &'static str,
    pub(crate) max: usize,
    pub(crate) default: usize,
    pub(crate) invalid: &'static str,
    pub(crate) items: fn(&RegionData) -> &[T],
    pub(crate) item: fn(&mut String, &T, &Ctx<'_>),
}

/// Renders `{"<key>":[…],"<token_out>":"…"}` for the caller's account-region: one shared
/// body for the (many) empty account-regions, a cached one per page elsewhere.
pub(crate) fn json_list<T>(
    sim: &Sim,
    call: &Call<'_>,
    list: &JsonList<T>,
) -> Result<Bytes, ApiError> {
    let region = call.region();
    let data = sim.region_data(call.account, region);
    let items: &[T] = data.as_deref().map_or(&[], list.items);
    let p = page(
        call.params,
        list.token_in,
        list.size_in,
        items.len(),
        1,
        list.max,
        Some(list.default),
        list.invalid,
    )?;
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
        a: p.start as u64,
        b: p.size,
    };
    sim.cached(key, || {
        let ctx = Ctx {
            account: &sim.org.accounts[call.account].id,
            region: call.region,
        };
        let mut o = String::with_capacity(64 + 400 * (p.end - p.start));
        let _ = write!(o, "{{\"{}\":[", list.key);
        for (k, item) in items[p.start..p.end].iter().enumerate() {
            if k > 0 {
                o.push(',');
            }
            (list.item)(&mut o, item, &ctx);
        }
        o.push(']');
        if let Some(n) = p.next {
            jf(&mut o, false, list.token_out, &token(n));
        }
        o.push('}');
        Ok(Bytes::from(o))
    })
}

/// `,"key":n` (a number: epoch seconds, a size).
pub(crate) fn jn(out: &mut String, key: &str, n: impl std::fmt::Display) {
    let _ = write!(out, ",\"{key}\":{n}");
}

/// A 64-bit digest of request values, for cache keys of bodies that depend on them.
pub(crate) fn hash_of<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    use std::hash::Hasher as _;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}
