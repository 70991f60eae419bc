//! AWS's request-rate limits as token buckets, so a scan that outruns them is throttled the
//! way AWS would throttle it.
//!
//! Buckets refill on tokio's clock (`tokio::time::Instant`), which follows a paused test
//! clock; wall-clock "now" (credential expiry, dates) comes from the time source instead.

use std::collections::HashMap;

/// Requests per second and bucket size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    pub const fn new(per_second: f64, burst: f64) -> Self {
        Rate { per_second, burst }
    }
}

/// Whose calls share a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The calling account in the request's region (EC2, CloudTrail, Config).
    AccountRegion,
    /// The calling account, whatever the region (IAM, STS, Account).
    Account,
    /// The whole organization: one bucket, kept under the management account.
    Organization,
}

/// One limit. Operations that name the same `shared` bucket draw from one bucket (EC2's
/// non-mutating Describe* calls do); otherwise each operation has its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub rate: Rate,
    pub scope: Scope,
    pub shared: Option<&'static str>,
}

impl Limit {
    pub const fn per_op(per_second: f64, burst: f64, scope: Scope) -> Self {
        Limit {
            rate: Rate::new(per_second, burst),
            scope,
            shared: None,
        }
    }

    pub const fn shared(name: &'static str, per_second: f64, burst: f64, scope: Scope) -> Self {
        Limit {
            rate: Rate::new(per_second, burst),
            scope,
            shared: Some(name),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ServiceLimits {
    default: Option<Limit>,
    operations: HashMap<&'static str, Limit>,
}

/// The limit of every (service, operation). Operation entries override the service's.
#[derive(Debug, Clone)]
pub struct Limits {
    pub enabled: bool,
    services: HashMap<&'static str, ServiceLimits>,
    /// EC2's "unfiltered and unpaginated" category: a paginated Describe* called without
    /// `MaxResults` and without filters draws from this smaller bucket instead.
    pub ec2_unpaginated: Option<Limit>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::aws_defaults()
    }
}

impl Limits {
    /// No limits at all.
    pub fn unlimited() -> Self {
        Limits {
            enabled: false,
            services: HashMap::new(),
            ec2_unpaginated: None,
        }
    }

    /// AWS's published figures where there are some, documented guesses elsewhere:
    /// - EC2 non-mutating Describe*: bucket 100, refill 20/s per account-region (one bucket
    ///   for all of them); unfiltered and unpaginated: bucket 50, refill 10/s.
    /// - CloudTrail LookupEvents: 2/s per account-region; the other CloudTrail reads 10/s
    ///   (unpublished for most; AWS quotes 10 TPS for trail reads).
    /// - Organizations: about 8/s with a burst of 12 per operation for the whole
    ///   organization; DescribeAccount 20/s.
    /// - Account GetAlternateContact and ListRegions: 10/s per account.
    /// - STS: 600/s per calling account.
    /// - IAM: unpublished; 20/s with a burst of 20 per operation and account, which matches
    ///   what large scans observe before IAM starts answering `Throttling`.
    /// - Config Describe*: unpublished; 10/s per operation and account-region.
    /// - Lambda control plane 15/s, ECS categories, RDS 300/12, S3 5,500 GET/s: published
    ///   (cited below); EKS, SageMaker, Lightsail, GuardDuty, Cost Explorer, Health, S3
    ///   Control and ListBuckets: unpublished, documented guesses below.
    pub fn aws_defaults() -> Self {
        let mut limits = Limits {
            enabled: true,
            services: HashMap::new(),
            ec2_unpaginated: Some(Limit::shared(
                "unfiltered-unpaginated",
                10.0,
                50.0,
                Scope::AccountRegion,
            )),
        };
        limits
            .set_service(
                "ec2",
                Limit::shared("non-mutating", 20.0, 100.0, Scope::AccountRegion),
            )
            .set_service(
                "cloudtrail",
                Limit::per_op(10.0, 10.0, Scope::AccountRegion),
            )
            .set_operation(
                "cloudtrail",
                "LookupEvents",
                Limit::per_op(2.0, 2.0, Scope::AccountRegion),
            )
            .set_service(
                "organizations",
                Limit::per_op(8.0, 12.0, Scope::Organization),
            )
            .set_operation(
                "organizations",
                "DescribeAccount",
                Limit::per_op(20.0, 20.0, Scope::Organization),
            )
            .set_service("account", Limit::per_op(10.0, 10.0, Scope::Account))
            .set_service("sts", Limit::per_op(600.0, 600.0, Scope::Account))
            .set_service("iam", Limit::per_op(20.0, 20.0, Scope::Account))
            .set_service("config", Limit::per_op(10.0, 10.0, Scope::AccountRegion))
            // Lambda: control-plane calls (all but invocations, GetFunction and GetPolicy)
            // share 15 requests per second per account-region (Lambda quotas page).
            .set_service(
                "lambda",
                Limit::shared("control-plane", 15.0, 15.0, Scope::AccountRegion),
            )
            // ECS: per account-region categories ("Request throttling for the Amazon ECS
            // API"): cluster reads (ListClusters, DescribeClusters) bucket 50, refill 20/s;
            // cluster resource reads (ListTasks, DescribeTasks, …) bucket 100, refill 20/s.
            .set_service(
                "ecs",
                Limit::shared("cluster-resource-read", 20.0, 100.0, Scope::AccountRegion),
            )
            .set_operation(
                "ecs",
                "ListClusters",
                Limit::shared("cluster-read", 20.0, 50.0, Scope::AccountRegion),
            )
            // RDS: "up to 300 requests in a burst and a sustained 12 requests per second"
            // per account-region ("Request throttling for the Amazon RDS API"), per API.
            .set_service("rds", Limit::per_op(12.0, 300.0, Scope::AccountRegion))
            // Unpublished: EKS, SageMaker, Lightsail and GuardDuty reads at 10/s per
            // operation and account-region, the figure AWS quotes for most read APIs.
            .set_service("eks", Limit::per_op(10.0, 10.0, Scope::AccountRegion))
            .set_service("sagemaker", Limit::per_op(10.0, 10.0, Scope::AccountRegion))
            .set_service("lightsail", Limit::per_op(10.0, 10.0, Scope::AccountRegion))
            .set_service("guardduty", Limit::per_op(10.0, 10.0, Scope::AccountRegion))
            // Unpublished: Cost Explorer answers a few requests per second (each costs
            // USD 0.01); Health's organizational view a few per second as well.
            .set_service("ce", Limit::per_op(5.0, 5.0, Scope::Account))
            .set_service("health", Limit::per_op(5.0, 10.0, Scope::Account))
            // S3: 5,500 GET/HEAD requests per second per prefix ("Best practices design
            // patterns: optimizing Amazon S3 performance"); bucket subresource reads of an
            // account are modelled as one such prefix. ListBuckets and S3 Control:
            // unpublished, 10/s per account.
            .set_service("s3", Limit::per_op(5_500.0, 5_500.0, Scope::Account))
            .set_operation(
                "s3",
                "ListBuckets",
                Limit::per_op(10.0, 10.0, Scope::Account),
            )
            .set_service("s3control", Limit::per_op(10.0, 10.0, Scope::Account));
        limits
    }

    pub fn set_service(&mut self, service: &'static str, limit: Limit) -> &mut Self {
        self.services.entry(service).or_default().default = Some(limit);
        self
    }

    pub fn set_operation(
        &mut self,
        service: &'static str,
        operation: &'static str,
        limit: Limit,
    ) -> &mut Self {
        self.services
            .entry(service)
            .or_default()
            .operations
            .insert(operation, limit);
        self
    }

    /// Multiplies every rate and burst, e.g. to stress a scan with a tenth of AWS's room.
    pub fn scaled(mut self, factor: f64) -> Self {
        let scale = |l: &mut Limit| {
            l.rate.per_second *= factor;
            l.rate.burst = (l.rate.burst * factor).max(1.0);
        };
        for service in self.services.values_mut() {
            service.default.iter_mut().for_each(scale);
            service.operations.values_mut().for_each(scale);
        }
        self.ec2_unpaginated.iter_mut().for_each(scale);
        self
    }

    pub(crate) fn lookup(&self, service: &str, operation: &str) -> Option<Limit> {
        if !self.enabled {
            return None;
        }
        let s = self.services.get(service)?;
        s.operations.get(operation).copied().or(s.default)
    }
}

/// A token bucket with its call counters.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    last: tokio::time::Instant,
    pub(crate) rate: Rate,
    pub(crate) calls: u64,
    pub(crate) throttled: u64,
}

impl Bucket {
    pub(crate) fn new(rate: Rate, now: tokio::time::Instant) -> Self {
        Bucket {
            tokens: rate.burst,
            last: now,
            rate,
            calls: 0,
            throttled: 0,
        }
    }

    /// Takes a token if there is one; counts the call either way.
    pub(crate) fn take(&mut self, now: tokio::time::Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        self.last = now;
        self.calls += 1;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.throttled += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn operation_overrides_service_and_buckets_refill() {
        let limits = Limits::aws_defaults();
        let lookup = limits.lookup("cloudtrail", "LookupEvents").expect("limit");
        assert_eq!(lookup.rate, Rate::new(2.0, 2.0));
        let trails = limits
            .lookup("cloudtrail", "DescribeTrails")
            .expect("limit");
        assert_eq!(trails.rate.per_second, 10.0);
        assert!(Limits::unlimited().lookup("ec2", "DescribeVpcs").is_none());

        let t0 = tokio::time::Instant::now();
        let mut b = Bucket::new(Rate::new(2.0, 2.0), t0);
        assert!(b.take(t0) && b.take(t0));
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(500)));
        assert_eq!((b.calls, b.throttled), (4, 1));
    }
}
