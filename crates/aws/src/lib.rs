//! AWS access for orgsweep: SDK configuration (one shared HTTP client, endpoint override,
//! retry and timeout policy), role assumption, organization and region discovery, the keyed
//! rate limits, the call counters, and the collectors that turn API responses into facts.
//!
//! Nothing above this crate sees an SDK type: the engine gets [`orgsweep_model::facts`].

mod collect;
mod containment;
mod counters;
mod error;
mod limits;
mod org;
mod security_hub;
mod session;
mod store;

pub use collect::{
    EventsRead, ParseLocationError, ParseReportError, TrailLogLocation, parse_credential_report,
    parse_log_file, parse_trail_event, policy_document,
};
pub use containment::{Action, DENY_ALL_POLICY, Outcome, REVOKE_SESSIONS_POLICY};
pub use counters::{Counters, CountersSnapshot};
pub use error::{AwsError, error_chain};
pub use limits::{LimitKey, Limits, Service};
pub use org::{CallerRole, DiscoveryOptions, OrgAccount, Organization, region_in_partition};
pub use security_hub::{BATCH_LIMIT, HubExport, to_finding};
pub use session::{
    AccountSession, Caller, DEFAULT_HOME_REGION, DEFAULT_MAX_ATTEMPTS, EventsChoice, EventsSource,
    Session, SessionOptions, https_client,
};
pub use store::{Location, Store, write_durably};
