//! One module per check. Register a new check in [`CATALOGUE`]; nothing else changes.

mod access_key_recently_created;
mod console_user_without_mfa;
mod principal_recently_created;
mod principals;
mod quarantine_policy_attached;
mod resource_common;
mod unexpected_region;
mod unknown_principal;

#[cfg(test)]
pub(crate) mod fixtures;

use crate::Check;

/// Every check orgsweep runs, in the order `orgsweep checks` lists them.
pub static CATALOGUE: &[&dyn Check] = &[
    &quarantine_policy_attached::QuarantinePolicyAttached,
    &console_user_without_mfa::ConsoleUserWithoutMfa,
    &access_key_recently_created::AccessKeyRecentlyCreated,
    &unknown_principal::UnknownPrincipal,
    &principal_recently_created::PrincipalRecentlyCreated,
    &unexpected_region::UnexpectedRegion,
];
