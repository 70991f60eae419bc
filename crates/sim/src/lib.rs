//! orgsweep-sim: a simulated AWS, in process, for benchmarks and robustness tests.
//!
//! [`SimulatedAws`] is an [`HttpClient`]: plugged under the SDK (through
//! `SharedHttpClient::new(sim)`), it answers every call a scan makes in that service's real
//! wire protocol, so the real SDK clients, SigV4 signing, retries, rate limiters, collectors
//! and checks run unchanged against a generated organization of any size.
//!
//! - The caller is read from the SigV4 credential scope (`Credential=KEY/date/region/service`):
//!   `AssumeRole` hands out `ASIA<account id><counter>` keys, so later calls act in that
//!   account; any other key is the caller's own and acts in the management account.
//! - Answers are rendered once and shared as `Bytes`; common empty answers are one body.
//! - AWS's rate limits are enforced per key ([`Limits`]), throttling with each protocol's
//!   real error; [`SimulatedAws::stats`] counts requests, throttles and bucket use.
//! - Credentials expire on the configured clock; faults can be injected ([`Faults`]).
//! - Incidents are planted at known places ([`SimulatedAws::planted`]).
//!
//! Operations answered (anything else gets the protocol's unknown-operation error, so a
//! missing responder is loud; see `services/mod.rs` to add one):
//!
//! | service | protocol | operations |
//! |---|---|---|
//! | sts | awsQuery | AssumeRole, GetCallerIdentity |
//! | iam | awsQuery | GetAccountAuthorizationDetails (Marker/MaxItems), GenerateCredentialReport, GetCredentialReport, GetAccountSummary, ListAccessKeys, GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails (jobs complete at once) |
//! | ec2 | ec2 query | DescribeRegions, DescribeInstances, -Volumes, -Snapshots, -Images, -KeyPairs, -Addresses, -SecurityGroups, -Vpcs, -LaunchTemplates, -SpotInstanceRequests, -NatGateways (NextToken/MaxResults where EC2 paginates), DescribeSnapshotAttribute, DescribeImageAttribute |
//! | organizations | awsJson1_1 | DescribeOrganization, ListRoots, ListOrganizationalUnitsForParent, ListAccountsForParent, ListAccounts, DescribeAccount, ListParents, DescribeOrganizationalUnit, ListTagsForResource, ListDelegatedAdministrators |
//! | cloudtrail | awsJson1_1 | DescribeTrails, GetTrailStatus, GetEventSelectors, LookupEvents (pages of ≤ 50) |
//! | config | awsJson1_1 | DescribeConfigurationRecorders, DescribeConfigurationRecorderStatus |
//! | account | restJson1 | POST /getAlternateContact, POST /listRegions |
//! | lambda | restJson1 | ListFunctions (Marker/MaxItems ≤ 50) |
//! | ecs | awsJson1_1 | ListClusters, DescribeClusters, ListTasks (running tasks), DescribeTasks |
//! | eks | restJson1 | ListClusters, DescribeCluster |
//! | sagemaker | awsJson1_1 | ListNotebookInstances, ListTrainingJobs, DescribeTrainingJob, ListEndpoints, DescribeEndpoint, DescribeEndpointConfig (StatusEquals applied) |
//! | lightsail | awsJson1_1 | GetInstances |
//! | rds | awsQuery | DescribeDBInstances, DescribeDBSnapshots (manual only), DescribeDBSnapshotAttributes |
//! | guardduty | restJson1 | ListDetectors, GetDetector, ListFindings (severity and archived criteria), GetFindings |
//! | ce | awsJson1_1 | GetCostAndUsage (management account; DAILY/MONTHLY, GroupBy LINKED_ACCOUNT, SERVICE, REGION; pages of 1000 groups) |
//! | health | rpcv2Cbor | DescribeEventsForOrganization, DescribeAffectedAccountsForOrganization, DescribeEventDetailsForOrganization, DescribeHealthServiceStatusForOrganization (management account and delegated administrator) |
//! | s3 | restXml | ListBuckets, GetBucketPolicyStatus, GetPublicAccessBlock, GetBucketLocation, GetBucketTagging (virtual-hosted or path-style; another region's bucket is redirected) |
//! | s3control | restXml | GetPublicAccessBlock (the account's) |
//!
//! Simplifications: EC2 filters and `InstanceId.N` are ignored (the whole region is
//! listed), only the caller's own snapshots and images exist, LookupEvents ignores
//! `StartTime`/`EndTime` (every generated event lies within six days of the simulator's
//! start), and signatures are parsed, never verified. Cost Explorer ignores `Filter`,
//! Lightsail answers in every region, S3 Control does not compare the `x-amz-account-id`
//! it is asked about with the caller, and service last accessed data lists a subset of
//! IAM's services.

mod account_model;
mod clock;
mod faults;
mod faulty;
mod iam_model;
mod limits;
mod org;
mod region_model;
mod rng;
mod services;
mod sim;
mod stats;
mod wire;

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

pub use clock::AcceleratedClock;
pub use faults::{Faults, Trickle};
pub use faulty::{FaultConfig, FaultStats, FaultyTransport};
pub use limits::{Limit, Limits, Rate, Scope};
pub use org::{NOT_OPTED_IN_REGIONS, OUTSIDE_ACCOUNTS, OrgSpec, Planted, REGIONS, SimAccount};
pub use sim::SimConfig;
pub use stats::{KeyStats, OpStats, SimStats};

/// Counts of one account-region's resources and write events, defaults included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inventory {
    pub instances: usize,
    pub volumes: usize,
    pub snapshots: usize,
    pub images: usize,
    pub key_pairs: usize,
    pub addresses: usize,
    pub security_groups: usize,
    pub vpcs: usize,
    pub launch_templates: usize,
    pub spot_requests: usize,
    pub nat_gateways: usize,
    pub events: usize,
    pub lambda_functions: usize,
    pub ecs_clusters: usize,
    pub ecs_tasks: usize,
    pub eks_clusters: usize,
    pub sagemaker_notebooks: usize,
    pub sagemaker_training_jobs: usize,
    pub sagemaker_endpoints: usize,
    pub lightsail_instances: usize,
    pub rds_instances: usize,
    pub rds_snapshots: usize,
    pub guardduty_findings: usize,
}

/// The simulated AWS. Cheap to clone; clones share state (stats, caches, buckets).
#[derive(Debug, Clone)]
pub struct SimulatedAws {
    inner: Arc<sim::Sim>,
}

impl SimulatedAws {
    /// An organization generated from `spec`, with default behaviour ([`SimConfig`]).
    pub fn new(spec: OrgSpec) -> Self {
        Self::with_config(spec, SimConfig::default())
    }

    pub fn with_config(spec: OrgSpec, config: SimConfig) -> Self {
        let epoch = clock::unix_secs(config.time_source.now());
        let org = org::Org::generate(spec, epoch);
        SimulatedAws {
            inner: Arc::new(sim::Sim::new(org, config)),
        }
    }

    pub fn management_account_id(&self) -> &str {
        &self.inner.org.management().id
    }

    pub fn organization_id(&self) -> &str {
        &self.inner.org.org_id
    }

    /// Every account, management first, as Organizations describes them.
    pub fn accounts(&self) -> Vec<SimAccount> {
        (0..self.inner.org.accounts.len())
            .map(|i| self.inner.org.sim_account(i))
            .collect()
    }

    pub fn regions(&self) -> &[String] {
        &self.inner.org.spec.regions
    }

    pub fn spec(&self) -> &OrgSpec {
        &self.inner.org.spec
    }

    /// Every planted incident, sorted, with the check id orgsweep reports it under.
    pub fn planted(&self) -> Vec<Planted> {
        self.inner.org.planted()
    }

    pub fn stats(&self) -> SimStats {
        self.inner.stats()
    }

    /// Zeroes the counters (buckets keep their tokens).
    pub fn reset_stats(&self) {
        self.inner.reset_stats();
    }

    /// Replaces the fault settings from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.inner.set_faults(faults);
    }

    /// What one account-region holds (`None` for an unknown account or region), so a
    /// benchmark knows the size of what it scanned and a test can find a busy region.
    pub fn inventory(&self, account_id: &str, region: &str) -> Option<Inventory> {
        let org = &self.inner.org;
        let account = org.account_index(account_id)?;
        let region = org.region_index(region)?;
        let data = self.inner.region_data(account, region);
        let n = |f: fn(&region_model::RegionData) -> usize| data.as_deref().map_or(0, f);
        Some(Inventory {
            instances: n(|d| d.instances.len()),
            volumes: n(|d| d.volumes.len()),
            snapshots: n(|d| d.snapshots.len()),
            images: n(|d| d.images.len()),
            key_pairs: n(|d| d.key_pairs.len()),
            addresses: n(|d| d.addresses.len()),
            // The default VPC and its group are always there.
            security_groups: n(|d| d.security_groups.len()).max(1),
            vpcs: n(|d| d.vpcs.len()).max(1),
            launch_templates: n(|d| d.launch_templates.len()),
            spot_requests: n(|d| d.spot_requests.len()),
            nat_gateways: n(|d| d.nat_gateways.len()),
            events: n(|d| d.events.len()),
            lambda_functions: n(|d| d.lambdas.len()),
            ecs_clusters: n(|d| d.ecs_clusters.len()),
            ecs_tasks: n(|d| d.ecs_clusters.iter().map(|c| c.tasks.len()).sum()),
            eks_clusters: n(|d| d.eks_clusters.len()),
            sagemaker_notebooks: n(|d| d.notebooks.len()),
            sagemaker_training_jobs: n(|d| d.training_jobs.len()),
            sagemaker_endpoints: n(|d| d.endpoints.len()),
            lightsail_instances: n(|d| d.lightsail.len()),
            rds_instances: n(|d| d.db_instances.len()),
            rds_snapshots: n(|d| d.db_snapshots.len()),
            guardduty_findings: n(|d| d.findings.len()),
        })
    }

    /// Bytes of rendered bodies held in the cache.
    pub fn cached_bytes(&self) -> usize {
        self.inner.cache_bytes()
    }
}

impl HttpClient for SimulatedAws {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for SimulatedAws {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::new(self.inner.clone().serve(request))
    }
}
