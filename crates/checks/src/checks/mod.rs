//! One module per check. Register a new check in [`CATALOGUE`]; nothing else changes.

mod access_key_not_rotated;
mod access_key_recently_created;
mod access_key_unused;
mod config_recorder_off;
mod console_user_without_mfa;
mod dormant_principal_reactivated;
mod guardduty_disabled;
mod guardduty_high_severity_finding;
mod health_risk_notification;
mod iam_common;
mod mining_class_instance;
mod new_service_spend;
mod no_active_trail;
mod principal_recently_created;
mod principals;
mod public_bucket;
mod quarantine_policy_attached;
mod recently_created_resource;
mod resource_common;
mod role_trusts_external_account;
mod root_access_keys;
mod root_email_outside_org_domains;
mod root_mfa_disabled;
mod root_recently_used;
mod security_contact_missing;
mod shared_outside_org;
mod spend_common;
mod spend_spike;
mod suspicious_event;
mod unexpected_region;
mod unexpected_region_spend;
mod unknown_principal;
mod unknown_resource;

#[cfg(test)]
pub(crate) mod fixtures;

use crate::Check;

/// Every check orgsweep runs, in the order `orgsweep checks` lists them.
pub static CATALOGUE: &[&dyn Check] = &[
    &health_risk_notification::HealthRiskNotification,
    &quarantine_policy_attached::QuarantinePolicyAttached,
    &root_access_keys::RootAccessKeys,
    &root_mfa_disabled::RootMfaDisabled,
    &root_recently_used::RootRecentlyUsed,
    &console_user_without_mfa::ConsoleUserWithoutMfa,
    &access_key_recently_created::AccessKeyRecentlyCreated,
    &access_key_not_rotated::AccessKeyNotRotated,
    &access_key_unused::AccessKeyUnused,
    &unknown_principal::UnknownPrincipal,
    &principal_recently_created::PrincipalRecentlyCreated,
    &role_trusts_external_account::RoleTrustsExternalAccount,
    &dormant_principal_reactivated::DormantPrincipalReactivated,
    &unknown_resource::UnknownResource,
    &unexpected_region::UnexpectedRegion,
    &recently_created_resource::RecentlyCreatedResource,
    &mining_class_instance::MiningClassInstance,
    &shared_outside_org::SharedOutsideOrg,
    &public_bucket::PublicBucket,
    &config_recorder_off::ConfigRecorderOff,
    &suspicious_event::SuspiciousEvent,
    &guardduty_high_severity_finding::GuardDutyHighSeverityFinding,
    &spend_spike::SpendSpike,
    &new_service_spend::NewServiceSpend,
    &unexpected_region_spend::UnexpectedRegionSpend,
    &no_active_trail::NoActiveTrail,
    &guardduty_disabled::GuardDutyDisabled,
    &security_contact_missing::SecurityContactMissing,
    &root_email_outside_org_domains::RootEmailOutsideOrgDomains,
];
