//! Collectors: each turns one [`Source`] of one scope into plain facts.

mod billing;
mod buckets;
mod cloudtrail;
mod compute;
mod credential_report;
mod ec2;
mod guardduty;
mod health;
mod iam;
mod last_accessed;
mod rds;
mod resources;
mod trail_logs;

use aws_smithy_types::DateTime;
use orgsweep_model::facts::{Facts, Source};
use time::OffsetDateTime;

pub use cloudtrail::{EventsRead, parse_trail_event};
pub use credential_report::{ParseReportError, parse_credential_report};
pub use iam::policy_document;
pub use trail_logs::{ParseLocationError, TrailLogLocation, parse_log_file};

pub(crate) use billing::OrganizationSpend;

use crate::error::AwsError;
use crate::session::AccountSession;

impl AccountSession {
    /// [`Source::LastAccessed`] into `facts`, reading `also` (principals the checks found,
    /// see `last_accessed`'s module documentation) after the collector's own principals of
    /// interest. Needs the sources before it in `Source` order already in `facts`.
    pub async fn collect_last_accessed(
        &self,
        facts: &mut Facts,
        also: &[String],
    ) -> Result<(), AwsError> {
        let (accessed, problems) = self.last_accessed(facts, also).await?;
        facts
            .problems
            .extend(problems.into_iter().map(|p| (Source::LastAccessed, p)));
        facts.last_accessed = Some(accessed);
        Ok(())
    }

    /// Collects `source` into `facts`. `region` is the scope's region for regional sources
    /// and ignored for global ones.
    pub async fn collect(
        &self,
        source: Source,
        region: &str,
        facts: &mut Facts,
    ) -> Result<(), AwsError> {
        match source {
            Source::IamAuthorizationDetails => {
                facts.iam_authorization_details = Some(self.iam_authorization_details().await?);
            }
            Source::CredentialReport => {
                facts.credential_report = Some(self.credential_report().await?);
            }
            Source::AccessKeys => {
                let users = facts
                    .iam_authorization_details
                    .as_ref()
                    .map(|d| d.users.as_slice())
                    .ok_or_else(|| AwsError::Other {
                        operation: "iam:ListAccessKeys",
                        message: "the user list (iam:GetAccountAuthorizationDetails) is \
                                  unavailable"
                            .to_owned(),
                    })?;
                let keys = self.all_access_keys(users).await?;
                if let Some(report) = facts.credential_report.as_mut() {
                    iam::fill_key_ids(report, &keys);
                }
                facts.access_keys = Some(keys);
            }
            Source::AccountSummary => {
                facts.account_summary = Some(self.account_summary().await?);
            }
            Source::Ec2Instances => {
                facts.ec2_instances = Some(self.ec2_instances(region).await?);
            }
            // The other services' kinds; a kind read only in part says so.
            Source::Ec2Resources(kind) if !kind.is_ec2() => {
                let (resources, problem) = self.service_resources(kind, region).await?;
                if let Some(problem) = problem {
                    facts.problems.push((source, problem));
                }
                facts.ec2_resources.insert(kind, resources);
            }
            Source::Ec2Resources(kind) => {
                let resources = self.ec2_resources(kind, region).await?;
                facts.ec2_resources.insert(kind, resources);
            }
            Source::Trails => facts.trails = Some(self.trails().await?),
            Source::AlternateContacts => {
                facts.alternate_contacts = Some(self.alternate_contacts().await?);
            }
            Source::TrailEvents => {
                let window = self.shared.options.window_days;
                let read = match self.events_source() {
                    Some(location) => {
                        self.caller()
                            .trail_events_from_s3(&location, &self.account_id, region, window)
                            .await?
                    }
                    None => self.trail_events(region, window).await?,
                };
                if read.unparsed > 0 {
                    facts.problems.push((
                        Source::TrailEvents,
                        format!(
                            "{} CloudTrail record(s) could not be parsed (first: {})",
                            read.unparsed,
                            read.first_problem.as_deref().unwrap_or("unknown")
                        ),
                    ));
                }
                facts.trail_events = Some(read.events);
            }
            Source::ConfigRecorders => {
                facts.config_recorders = Some(self.config_recorders(region).await?);
            }
            Source::CostAndUsage => {
                facts.account_spend = Some(self.account_spend().await?);
            }
            Source::HealthEvents => {
                facts.health_events = Some(self.account_health_events().await?);
            }
            Source::GuardDuty => {
                let (status, problem) = self.guardduty_status(region).await?;
                if let Some(problem) = problem {
                    facts.problems.push((source, problem));
                }
                facts.guardduty = Some(status);
            }
            // Collected after the users, keys and credential report (sources are collected
            // in `Source` order), which name the principals worth reading.
            Source::LastAccessed => self.collect_last_accessed(facts, &[]).await?,
            Source::S3Buckets => {
                let found = self.s3_buckets().await?;
                facts
                    .problems
                    .extend(found.problems.into_iter().map(|p| (source, p)));
                facts.s3_account_public_access_block = found.account_block;
                facts.s3_buckets = Some(found.buckets);
            }
        }
        Ok(())
    }
}

/// SDK timestamps to `time`, the model's type.
pub(crate) fn to_time(value: Option<&DateTime>) -> Option<OffsetDateTime> {
    let value = value?;
    OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(value.secs()) * 1_000_000_000 + i128::from(value.subsec_nanos()),
    )
    .ok()
}
