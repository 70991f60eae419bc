//! The check abstraction and the catalogue.
//!
//! A check is a pure function from [`Facts`] to findings, with its metadata (id, title,
//! severity, rationale, remediation) next to its code, in the spirit of Prowler. Checks never
//! call AWS: they declare the [`Source`]s they read, the engine collects each source once per
//! scope, and a failed source turns into a coverage gap for exactly the checks that need it.
//! Adding a check means adding a module under `checks/` and one line to [`CATALOGUE`]; the
//! engine does not change.

mod checks;
mod known;
mod mute;

use std::collections::{BTreeMap, BTreeSet};

use orgsweep_model::facts::{
    AccessKey, AccountSpend, AccountSummary, AlternateContacts, ConfigRecorder, CredentialReport,
    Ec2Instance, Facts, GuardDutyStatus, HealthEvent, IamAuthorizationDetails, LastAccessed,
    ResourceView, S3Bucket, Source, Trail, TrailEvent,
};
use orgsweep_model::{Finding, GLOBAL_REGION, Severity, finding_id};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

pub use checks::CATALOGUE;
pub use known::{AllowRule, Known, ResourceRef, principal_key};
pub use mute::MuteRule;

/// Where a check runs: once per account (IAM and other global data) or once per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Region,
}

/// A check's description, shown by `orgsweep checks` and copied into every finding.
#[derive(Debug)]
pub struct CheckMeta {
    /// Stable id (the README's catalogue): reports, baselines and tests refer to it.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub scope: Scope,
    pub sources: &'static [Source],
    /// Why a responder should care.
    pub rationale: &'static str,
    /// Generic steps, used when a finding has no more specific remediation of its own.
    pub remediation: &'static [&'static str],
}

/// The scan settings that change a verdict, the same for every scope of a scan.
#[derive(Debug, Clone)]
pub struct Settings {
    pub window_days: u32,
    /// Regions the organization normally operates in; empty when not configured.
    pub expected_regions: Vec<String>,
    /// An active access key older than this many days should have been rotated.
    pub rotation_days: u32,
    /// An active access key not used for this many days is unused.
    pub unused_days: u32,
    /// Account ids outside the organization that roles may trust (partners, vendors).
    pub trusted_accounts: BTreeSet<String>,
    /// Every account id of the organization, filled in by the engine after discovery.
    pub organization_accounts: BTreeSet<String>,
    /// The organization's id (`o-…`), filled in by the engine: sharing with an ARN of this
    /// organization (or one of its OUs) stays inside it.
    pub organization_id: Option<String>,
    /// The e-mail domains the organization's root addresses belong to; empty when not set.
    pub email_domains: Vec<String>,
    /// The role orgsweep assumes in member accounts; never reported as unknown.
    pub scan_role_name: String,
    /// The known principals and resources; `None` when neither a baseline nor known
    /// principals were given, and checks that need a reference do not run.
    pub known: Option<Known>,
    /// A service's daily spend rate this month at least this many times last month's is a
    /// spike.
    pub spend_spike_ratio: f64,
    /// Spend below this many USD this month is never reported: small amounts move by large
    /// ratios without meaning anything.
    pub spend_min_usd: f64,
    /// Accepted risks (`[[mute]]`): matching findings are kept, marked muted, with the
    /// rule's reason.
    pub mutes: Vec<MuteRule>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window_days: 7,
            expected_regions: Vec::new(),
            rotation_days: 90,
            unused_days: 90,
            trusted_accounts: BTreeSet::new(),
            organization_accounts: BTreeSet::new(),
            organization_id: None,
            email_domains: Vec::new(),
            scan_role_name: "OrganizationAccountAccessRole".to_owned(),
            known: None,
            spend_spike_ratio: 2.0,
            spend_min_usd: 10.0,
            mutes: Vec::new(),
        }
    }
}

/// What a check sees: the facts of one scope, plus the scan's settings.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub account_id: &'a str,
    /// The region for region-scope checks, [`GLOBAL_REGION`] for account-scope ones.
    pub region: &'a str,
    pub now: OffsetDateTime,
    pub settings: &'a Settings,
    pub facts: &'a Facts,
}

impl<'a> Context<'a> {
    /// The start of the look-back window.
    pub fn window_start(&self) -> OffsetDateTime {
        self.days_ago(self.settings.window_days)
    }

    /// The moment `days` days before now.
    pub fn days_ago(&self, days: u32) -> OffsetDateTime {
        self.now - Duration::days(i64::from(days))
    }

    pub fn iam_authorization_details(&self) -> Result<&'a IamAuthorizationDetails, CheckError> {
        self.facts
            .iam_authorization_details
            .as_ref()
            .ok_or(CheckError::MissingSource(Source::IamAuthorizationDetails))
    }

    pub fn access_keys(&self) -> Result<&'a [AccessKey], CheckError> {
        self.facts
            .access_keys
            .as_deref()
            .ok_or(CheckError::MissingSource(Source::AccessKeys))
    }

    pub fn credential_report(&self) -> Result<&'a CredentialReport, CheckError> {
        self.facts
            .credential_report
            .as_ref()
            .ok_or(CheckError::MissingSource(Source::CredentialReport))
    }

    pub fn account_summary(&self) -> Result<&'a AccountSummary, CheckError> {
        self.facts
            .account_summary
            .as_ref()
            .ok_or(CheckError::MissingSource(Source::AccountSummary))
    }

    /// Every collected resource of the region. A kind whose source failed is simply absent
    /// here: the engine records that source's failure in `coverage` for every check that
    /// declares it, so the check's verdict on the other kinds still counts while the gap
    /// stays visible. Fails only when no resource source at all was collected.
    pub fn resources(&self) -> Result<Vec<ResourceView<'a>>, CheckError> {
        if self.facts.ec2_instances.is_none() && self.facts.ec2_resources.is_empty() {
            return Err(CheckError::MissingSource(Source::Ec2Instances));
        }
        Ok(self.facts.resources().collect())
    }

    pub fn config_recorders(&self) -> Result<&'a [ConfigRecorder], CheckError> {
        self.facts
            .config_recorders
            .as_deref()
            .ok_or(CheckError::MissingSource(Source::ConfigRecorders))
    }

    /// Whether the baseline or an allow rule knows the resource.
    pub fn knows_resource(&self, r: &ResourceView<'_>) -> bool {
        self.settings
            .known
            .as_ref()
            .is_some_and(|k| k.knows_view(self.account_id, self.region, r))
    }

    /// [`Context::knows_resource`] by a rule anchored on the account or the resource id.
    /// Tags are written by whoever launched the resource, so a tag-only rule must not
    /// silence the checks an attacker would most like to silence.
    pub fn knows_resource_anchored(&self, r: &ResourceView<'_>) -> bool {
        self.settings
            .known
            .as_ref()
            .is_some_and(|k| k.knows_view_anchored(self.account_id, self.region, r))
    }

    pub fn trails(&self) -> Result<&'a [Trail], CheckError> {
        self.facts
            .trails
            .as_deref()
            .ok_or(CheckError::MissingSource(Source::Trails))
    }

    pub fn alternate_contacts(&self) -> Result<&'a AlternateContacts, CheckError> {
        self.facts
            .alternate_contacts
            .as_ref()
            .ok_or(CheckError::MissingSource(Source::AlternateContacts))
    }

    pub fn trail_events(&self) -> Result<&'a [TrailEvent], CheckError> {
        self.facts
            .trail_events
            .as_deref()
            .ok_or(CheckError::MissingSource(Source::TrailEvents))
    }

    pub fn account_spend(&self) -> Result<&'a AccountSpend, CheckError> {
        self.facts
            .account_spend
            .as_ref()
            .ok_or(CheckError::MissingSource(Source::CostAndUsage))
    }

    pub fn health_events(&self) -> Result<&'a [HealthEvent], CheckError> {
        self.facts
            .health_events
            .as_deref()
            .ok_or(CheckError::MissingSource(Source::HealthEvents))
    }

    pub fn guardduty(&self) -> Result<&'a GuardDutyStatus, CheckError> {
        self.facts
            .guardduty
            .as_ref()
            .ok_or(CheckError::MissingSource(Source::GuardDuty))
    }

    pub fn last_accessed(&self) -> Result<&'a BTreeMap<String, LastAccessed>, CheckError> {
        self.facts
            .last_accessed
            .as_ref()
            .ok_or(CheckError::MissingSource(Source::LastAccessed))
    }

    pub fn s3_buckets(&self) -> Result<&'a [S3Bucket], CheckError> {
        self.facts
            .s3_buckets
            .as_deref()
            .ok_or(CheckError::MissingSource(Source::S3Buckets))
    }

    pub fn ec2_instances(&self) -> Result<&'a [Ec2Instance], CheckError> {
        self.facts
            .ec2_instances
            .as_deref()
            .ok_or(CheckError::MissingSource(Source::Ec2Instances))
    }

    /// Whether `when` falls inside the look-back window.
    pub fn in_window(&self, when: Option<OffsetDateTime>) -> bool {
        when.is_some_and(|t| t >= self.window_start())
    }
}

/// Why a check produced no verdict. The engine records it in `coverage`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// A source the check needs was not collected. Checks ask for sources through the
    /// [`Context`] accessors, so a check with a fallback (root MFA from the account summary
    /// when the credential report failed) fails only when it really cannot decide.
    #[error("data source {0} unavailable")]
    MissingSource(Source),
    /// The check needs configuration that was not given; the reason says which.
    #[error("{0}")]
    NotConfigured(&'static str),
}

impl CheckError {
    /// Whether this is a deliberate skip rather than a failure.
    pub fn is_skip(&self) -> bool {
        matches!(self, CheckError::NotConfigured(_))
    }
}

/// One finding before the engine stamps it with the check's identity and scope.
#[derive(Debug, Clone, Default)]
pub struct FindingDraft {
    pub resource_type: String,
    pub resource_id: String,
    pub title: String,
    pub detail: String,
    pub evidence: Map<String, Value>,
    /// Specific steps with the real identifiers; empty means "use the check's generic steps".
    pub remediation: Vec<String>,
    /// Overrides the check's default severity for this one finding.
    pub severity: Option<Severity>,
    /// Overrides the finding's region: an account-scope check about a regional thing (a
    /// bucket, a region's spend) names that region instead of `global`, so the finding sorts,
    /// filters and is identified with the region it is about.
    pub region: Option<String>,
}

impl FindingDraft {
    pub fn new(resource_type: &str, resource_id: &str, title: String, detail: String) -> Self {
        FindingDraft {
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.to_owned(),
            title,
            detail,
            ..FindingDraft::default()
        }
    }

    pub fn evidence(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.evidence.insert(key.to_owned(), value.into());
        self
    }

    pub fn remediation(mut self, steps: Vec<String>) -> Self {
        self.remediation = steps;
        self
    }

    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }
}

/// A check: metadata plus a pure evaluation over the facts of one scope.
pub trait Check: Sync {
    fn meta(&self) -> &'static CheckMeta;
    fn evaluate(&self, ctx: &Context<'_>) -> Result<Vec<FindingDraft>, CheckError>;
}

/// Runs `check` and turns its drafts into report findings with stable ids.
pub fn run(check: &dyn Check, ctx: &Context<'_>) -> Result<Vec<Finding>, CheckError> {
    let meta = check.meta();
    let scope_region = match meta.scope {
        Scope::Account => GLOBAL_REGION,
        Scope::Region => ctx.region,
    };
    let drafts = check.evaluate(ctx)?;
    let mut findings: Vec<Finding> = drafts
        .into_iter()
        .map(|d| {
            let region = d.region.unwrap_or_else(|| scope_region.to_owned());
            Finding {
                id: finding_id(
                    meta.id,
                    ctx.account_id,
                    &region,
                    &d.resource_type,
                    &d.resource_id,
                ),
                check_id: meta.id.to_owned(),
                severity: d.severity.unwrap_or(meta.severity),
                account_id: ctx.account_id.to_owned(),
                region,
                resource_type: d.resource_type,
                resource_id: d.resource_id,
                title: d.title,
                detail: d.detail,
                evidence: d.evidence,
                remediation: if d.remediation.is_empty() {
                    meta.remediation.iter().map(|s| (*s).to_owned()).collect()
                } else {
                    d.remediation
                },
                change: None,
                muted: false,
                mute_reason: None,
                scanner_identity: false,
            }
        })
        .collect();
    mute::apply(&ctx.settings.mutes, &mut findings, ctx.now, |f| {
        ctx.facts
            .resources()
            .find(|r| r.resource_type == f.resource_type && r.id == f.resource_id)
            .map(|r| r.tags)
    });
    Ok(findings)
}

/// Looks a check up by id.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    CATALOGUE.iter().copied().find(|c| c.meta().id == id)
}

/// Formats a time for evidence and details: RFC 3339 in UTC, to the second (a reader needs
/// no nanoseconds, and `2026-11-26T10:29:41Z` is what every other tool prints).
pub(crate) fn rfc3339(when: Option<OffsetDateTime>) -> Value {
    when.and_then(|t| {
        t.to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .ok()?
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .map_or(Value::Null, Value::String)
}

/// A resource type as people say it: `ec2_instance` → "EC2 instance".
pub fn resource_label(resource_type: &str) -> String {
    let mut words = resource_type.split('_');
    let Some(service) = words.next() else {
        return resource_type.to_owned();
    };
    let service = match service {
        "ec2" | "iam" | "s3" | "rds" | "ecs" | "eks" | "ami" => service.to_ascii_uppercase(),
        "sagemaker" => "SageMaker".to_owned(),
        "lambda" => "Lambda".to_owned(),
        "lightsail" => "Lightsail".to_owned(),
        other => other.to_owned(),
    };
    let rest: Vec<&str> = words.collect();
    if rest.is_empty() {
        service
    } else {
        format!("{service} {}", rest.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn catalogue_ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for check in CATALOGUE {
            let meta = check.meta();
            assert!(seen.insert(meta.id), "duplicate id {}", meta.id);
            assert!(meta.id.contains('.'), "{} lacks a family prefix", meta.id);
            // Only an account check may read nothing but what discovery already knows.
            assert!(
                !meta.sources.is_empty() || meta.scope == Scope::Account,
                "{} reads nothing",
                meta.id
            );
            assert!(
                !meta.remediation.is_empty(),
                "{} has no remediation",
                meta.id
            );
            assert!(!meta.rationale.is_empty(), "{} has no rationale", meta.id);
            let regional = meta.sources.iter().any(|s| s.is_regional());
            assert_eq!(
                regional,
                meta.scope == Scope::Region,
                "{}: scope and sources disagree",
                meta.id
            );
        }
        assert!(find("iam.quarantine_policy_attached").is_some());
        assert!(find("no.such_check").is_none());
    }

    #[test]
    fn labels_and_times_read_like_prose() {
        assert_eq!(resource_label("ec2_instance"), "EC2 instance");
        assert_eq!(
            resource_label("ec2_spot_instance_request"),
            "EC2 spot instance request"
        );
        assert_eq!(resource_label("iam_user"), "IAM user");
        assert_eq!(resource_label("principal"), "principal");
        let t = time::macros::datetime!(2026-11-26 10:29:41.123456789 UTC);
        assert_eq!(
            rfc3339(Some(t)),
            Value::String("2026-11-26T10:29:41Z".into())
        );
    }
}
