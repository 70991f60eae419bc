//! The operation table: one module per service, each registering its operations. Adding
//! an operation is a handler and one `table.op(..)` (or `table.route(..)` for REST) line;
//! adding a service also needs its `ServiceDef` in `wire::SERVICES`.

pub(crate) mod account;
pub(crate) mod cloudtrail;
pub(crate) mod config;
pub(crate) mod ec2;
pub(crate) mod iam;
pub(crate) mod organizations;
pub(crate) mod sts;

use crate::sim::Table;
use crate::wire::{ApiError, Params};

pub(crate) fn register(table: &mut Table) {
    sts::register(table);
    iam::register(table);
    ec2::register(table);
    organizations::register(table);
    cloudtrail::register(table);
    config::register(table);
    account::register(table);
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
