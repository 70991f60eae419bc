//! The request path: identify the caller, the service and the operation from the signed
//! request, apply faults, expiry and limits, then answer from the operation table.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::future::Future as _;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body::Body as _;

use crate::clock::unix_secs;
use crate::faults::{Faults, Trickle};
use crate::iam_model::{self, AccountIam};
use crate::limits::{Bucket, Limit, Limits, Scope};
use crate::org::Org;
use crate::region_model::{self, RegionData, Tier};
use crate::rng::mix;
use crate::stats::{KeyStats, OpStats, SimStats};
use crate::wire::{self, ApiError, ErrorKind, Params, Protocol, ServiceDef};

/// How the simulator behaves (the organization itself is the `OrgSpec`).
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Added to every answer, errors included (`tokio::time::sleep`).
    pub latency: Duration,
    /// Lifetime of `AssumeRole` credentials (a shorter `DurationSeconds` wins).
    pub credential_lifetime: Duration,
    pub limits: Limits,
    pub faults: Faults,
    /// "Now" for credential expiry and generated dates.
    pub time_source: SharedTimeSource,
    /// Rendered bodies are kept until they take this many bytes; later ones are rendered
    /// per request (still correct, just not free).
    pub cache_budget_bytes: usize,
    /// `GenerateCredentialReport` answers `STARTED` this many times per account before
    /// `COMPLETE`, as AWS does for a fresh report.
    pub credential_report_polls: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            latency: Duration::from_millis(40),
            credential_lifetime: Duration::from_secs(3600),
            limits: Limits::aws_defaults(),
            faults: Faults::none(),
            time_source: SharedTimeSource::new(SystemTimeSource::new()),
            cache_budget_bytes: 512 << 20,
            credential_report_polls: 1,
        }
    }
}

pub(crate) type Handler = fn(&Sim, &Call<'_>) -> Result<Bytes, ApiError>;

/// One request, decoded.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) service: &'static ServiceDef,
    pub(crate) op: &'static str,
    /// The calling account's index.
    pub(crate) account: usize,
    pub(crate) region: &'a str,
    pub(crate) region_idx: Option<u16>,
    pub(crate) params: &'a Params,
    /// Wall-clock now, unix seconds, from the time source.
    pub(crate) now: i64,
    /// The segments a REST route's `{}` matched (the cluster of EKS's `/clusters/{}`, the
    /// bucket of S3's `/{}?policyStatus`), percent-decoded.
    pub(crate) path: Vec<String>,
    pub(crate) access_key: &'a str,
}

impl Call<'_> {
    /// The region index, for regional services (checked before handlers run).
    pub(crate) fn region(&self) -> u16 {
        self.region_idx.unwrap_or(0)
    }

    /// Whether the caller acts through assumed-role credentials.
    pub(crate) fn assumed(&self) -> bool {
        self.access_key.starts_with("ASIA")
    }
}

#[derive(Debug)]
struct Route {
    service: &'static str,
    method: &'static str,
    segments: Vec<&'static str>,
    /// A query key the request must carry (S3's subresources: `?policyStatus`).
    query: Option<&'static str>,
    op: &'static str,
}

/// Every operation the simulator answers, keyed by (signing name, operation).
#[derive(Debug, Default)]
pub(crate) struct Table {
    ops: HashMap<(&'static str, &'static str), (&'static str, Handler)>,
    routes: Vec<Route>,
}

impl Table {
    pub(crate) fn op(&mut self, service: &'static str, op: &'static str, h: Handler) -> &mut Self {
        self.ops.insert((service, op), (op, h));
        self
    }

    /// A REST operation: `path` segments of `{}` match any one segment; a `?key` suffix
    /// must be among the request's query keys (routes with one are tried first).
    pub(crate) fn route(
        &mut self,
        service: &'static str,
        method: &'static str,
        path: &'static str,
        op: &'static str,
        h: Handler,
    ) -> &mut Self {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        self.routes.push(Route {
            service,
            method,
            segments: path.split('/').filter(|s| !s.is_empty()).collect(),
            query,
            op,
        });
        self.routes.sort_by_key(|r| r.query.is_none());
        self.op(service, op, h)
    }

    fn handler(&self, service: &str, op: &str) -> Option<(&'static str, Handler)> {
        // `HashMap` is covariant in its key, so a map of `'static` keys can be read with
        // shorter-lived ones.
        let ops: &HashMap<(&str, &str), (&'static str, Handler)> = &self.ops;
        ops.get(&(service, op)).copied()
    }

    fn route_op(
        &self,
        service: &str,
        method: &str,
        path: &str,
        query: &str,
    ) -> Option<(&'static str, Vec<String>)> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let has_key = |key: &str| {
            query
                .split('&')
                .any(|pair| pair.split('=').next() == Some(key))
        };
        self.routes
            .iter()
            .filter(|r| r.service == service && r.method.eq_ignore_ascii_case(method))
            .find(|r| {
                r.segments.len() == segments.len()
                    && r.query.is_none_or(has_key)
                    && r.segments
                        .iter()
                        .zip(&segments)
                        .all(|(want, got)| *want == "{}" || want == got)
            })
            .map(|r| {
                let captured = r
                    .segments
                    .iter()
                    .zip(&segments)
                    .filter(|(want, _)| **want == "{}")
                    .map(|(_, got)| {
                        percent_encoding::percent_decode_str(got)
                            .decode_utf8_lossy()
                            .into_owned()
                    })
                    .collect();
                (r.op, captured)
            })
    }
}

const SHARDS: usize = 16;

/// A hash map split over a few locks, so concurrent requests rarely wait on each other.
#[derive(Debug)]
pub(crate) struct Shards<K, V>(Vec<Mutex<HashMap<K, V>>>);

impl<K: Hash + Eq, V> Shards<K, V> {
    fn new() -> Self {
        Shards((0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect())
    }

    fn lock(&self, key: &K) -> MutexGuard<'_, HashMap<K, V>> {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        self.0[h.finish() as usize % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn all(&self) -> impl Iterator<Item = MutexGuard<'_, HashMap<K, V>>> {
        self.0
            .iter()
            .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Which rendered body: (account, region, operation, two discriminators such as the page
/// offset and size). `SHARED` in account and region for bodies everyone gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub(crate) account: u32,
    pub(crate) region: u16,
    pub(crate) op: &'static str,
    pub(crate) a: u64,
    pub(crate) b: u64,
}

pub(crate) const SHARED_ACCOUNT: u32 = u32::MAX;
pub(crate) const GLOBAL_REGION: u16 = u16::MAX;
const OTHER_REGION: u16 = u16::MAX - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct BucketKey {
    service: &'static str,
    bucket: &'static str,
    account: u32,
    region: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum StatKey {
    Known(&'static str, &'static str),
    Other(String, String),
}

/// EC2 Describe* calls that paginate; without `MaxResults` or filters they fall into EC2's
/// "unfiltered and unpaginated" bucket.
const EC2_PAGINATED: [&str; 9] = [
    "DescribeInstances",
    "DescribeVolumes",
    "DescribeSnapshots",
    "DescribeImages",
    "DescribeSecurityGroups",
    "DescribeVpcs",
    "DescribeLaunchTemplates",
    "DescribeSpotInstanceRequests",
    "DescribeNatGateways",
];

#[derive(Debug)]
pub(crate) struct Sim {
    pub(crate) org: Org,
    pub(crate) config: SimConfig,
    faults: RwLock<Arc<Faults>>,
    table: Table,
    iam: Vec<OnceLock<Arc<AccountIam>>>,
    regions: Shards<(u32, u16), Arc<RegionData>>,
    cache: Shards<CacheKey, Bytes>,
    cache_bytes: AtomicUsize,
    buckets: Shards<BucketKey, Bucket>,
    stats: Mutex<HashMap<StatKey, OpStats>>,
    report_polls: Vec<AtomicU32>,
    pub(crate) key_counter: AtomicU64,
    request_counter: AtomicU64,
}

/// What a request gets.
pub(crate) enum Outcome {
    Reply {
        status: u16,
        body: Bytes,
        protocol: Protocol,
        error_type: Option<Cow<'static, str>>,
        header: Option<(&'static str, String)>,
        trickle: Option<Trickle>,
    },
    Reset,
    Stall,
}

impl Sim {
    pub(crate) fn new(org: Org, mut config: SimConfig) -> Sim {
        let mut table = Table::default();
        crate::services::register(&mut table);
        let n = org.accounts.len();
        let faults = std::mem::take(&mut config.faults);
        Sim {
            iam: (0..n).map(|_| OnceLock::new()).collect(),
            report_polls: (0..n).map(|_| AtomicU32::new(0)).collect(),
            org,
            config,
            faults: RwLock::new(Arc::new(faults)),
            table,
            regions: Shards::new(),
            cache: Shards::new(),
            cache_bytes: AtomicUsize::new(0),
            buckets: Shards::new(),
            stats: Mutex::new(HashMap::new()),
            key_counter: AtomicU64::new(0),
            request_counter: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(faults);
    }

    pub(crate) fn now(&self) -> i64 {
        unix_secs(self.config.time_source.now())
    }

    pub(crate) fn iam(&self, account: usize) -> Arc<AccountIam> {
        self.iam[account]
            .get_or_init(|| Arc::new(iam_model::generate(&self.org, account)))
            .clone()
    }

    /// The account-region's resources; `None` when it has none besides the defaults.
    pub(crate) fn region_data(&self, account: usize, region: u16) -> Option<Arc<RegionData>> {
        let tier = region_model::tier(&self.org, account, region);
        if tier == Tier::Empty {
            return None;
        }
        let key = (account as u32, region);
        if let Some(d) = self.regions.lock(&key).get(&key) {
            return Some(d.clone());
        }
        let data = Arc::new(region_model::generate(&self.org, account, region, tier));
        self.regions.lock(&key).entry(key).or_insert(data);
        self.regions.lock(&key).get(&key).cloned()
    }

    /// A body rendered once and then shared (while the cache has room).
    pub(crate) fn cached(
        &self,
        key: CacheKey,
        render: impl FnOnce() -> Result<Bytes, ApiError>,
    ) -> Result<Bytes, ApiError> {
        if let Some(b) = self.cache.lock(&key).get(&key) {
            return Ok(b.clone());
        }
        let body = render()?;
        let used = self.cache_bytes.load(Ordering::Relaxed);
        if used + body.len() <= self.config.cache_budget_bytes {
            if let Some(old) = self.cache.lock(&key).insert(key, body.clone()) {
                self.cache_bytes.fetch_sub(old.len(), Ordering::Relaxed);
            }
            self.cache_bytes.fetch_add(body.len(), Ordering::Relaxed);
        }
        Ok(body)
    }

    /// Counts a `GenerateCredentialReport` call; true once the report is complete.
    pub(crate) fn report_poll(&self, account: usize) -> bool {
        let polls = self.report_polls[account].fetch_add(1, Ordering::Relaxed);
        polls >= self.config.credential_report_polls
    }

    pub(crate) fn report_ready(&self, account: usize) -> bool {
        self.report_polls[account].load(Ordering::Relaxed) > self.config.credential_report_polls
    }

    fn count(&self, key: &StatKey, f: impl FnOnce(&mut OpStats)) {
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        match stats.get_mut(key) {
            Some(s) => f(s),
            None => f(stats.entry(key.clone()).or_default()),
        }
    }

    fn fraction(&self) -> f64 {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        (mix(n ^ self.org.spec.seed.rotate_left(17)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn failed(&self, stat: &StatKey, protocol: Protocol, xmlns: &str, err: ApiError) -> Outcome {
        self.count(stat, |s| match err.kind {
            ErrorKind::Throttled => s.throttled += 1,
            ErrorKind::Expired => s.expired += 1,
            ErrorKind::Fault => s.faults += 1,
            ErrorKind::Other => s.errors += 1,
        });
        let error_type = (protocol == Protocol::RestJson).then(|| err.code.clone());
        Outcome::Reply {
            status: err.status,
            body: wire::error_body(protocol, xmlns, &err),
            protocol,
            error_type,
            header: err.header,
            trickle: None,
        }
    }

    /// The calling account from the access key: an `ASIA` key names its account and its
    /// session token its expiry; any other key is the caller's own (the management account).
    fn identify(
        &self,
        protocol: Protocol,
        access_key: &str,
        token: Option<&str>,
        now: i64,
    ) -> Result<usize, ApiError> {
        let Some(rest) = access_key.strip_prefix("ASIA") else {
            return Ok(0);
        };
        let invalid = || {
            ApiError::new(
                403,
                match protocol {
                    Protocol::AwsJson | Protocol::RestJson | Protocol::RpcCbor => {
                        "UnrecognizedClientException"
                    }
                    Protocol::RestXml | Protocol::RestXmlWrapped => "InvalidAccessKeyId",
                    Protocol::AwsQuery | Protocol::Ec2Query => "InvalidClientTokenId",
                },
                "The security token included in the request is invalid.",
            )
        };
        let account = rest
            .get(..12)
            .and_then(|id| self.org.account_index(id))
            .ok_or_else(invalid)?;
        let expires = token
            .and_then(|t| crate::services::sts::token_expiry(t, &self.org.accounts[account].id))
            .ok_or_else(invalid)?;
        if now >= expires {
            return Err(expired(protocol));
        }
        Ok(account)
    }

    fn limit(&self, def: &ServiceDef, op: &'static str, params: &Params) -> Option<Limit> {
        let limits = &self.config.limits;
        if def.name == "ec2"
            && EC2_PAGINATED.contains(&op)
            && params.str("MaxResults").is_none()
            && !params.has_prefix("Filter.")
            && limits.enabled
            && let Some(l) = limits.ec2_unpaginated
        {
            return Some(l);
        }
        limits.lookup(def.name, op)
    }

    fn take(
        &self,
        def: &ServiceDef,
        op: &'static str,
        limit: Limit,
        account: usize,
        region: Option<u16>,
    ) -> bool {
        let (account, region) = match limit.scope {
            Scope::AccountRegion => (account as u32, region.unwrap_or(OTHER_REGION)),
            Scope::Account => (account as u32, GLOBAL_REGION),
            Scope::Organization => (0, GLOBAL_REGION),
        };
        let key = BucketKey {
            service: def.name,
            bucket: limit.shared.unwrap_or(op),
            account,
            region,
        };
        let now = tokio::time::Instant::now();
        let mut buckets = self.buckets.lock(&key);
        buckets
            .entry(key)
            .or_insert_with(|| Bucket::new(limit.rate, now))
            .take(now)
    }

    /// Decides the answer; everything but the waiting.
    pub(crate) fn answer(&self, request: &HttpRequest) -> Outcome {
        let headers = request.headers();
        let Some((access_key, region, service_name)) = headers
            .get("authorization")
            .and_then(wire::credential_scope)
        else {
            let protocol = guess_protocol(request);
            let stat = StatKey::Other("unsigned".to_owned(), String::new());
            self.count(&stat, |s| s.requests += 1);
            return self.failed(
                &stat,
                protocol,
                "",
                ApiError::new(
                    403,
                    "MissingAuthenticationToken",
                    "Request is missing Authentication Token",
                ),
            );
        };
        let (host, path, query) = split_uri(request.uri());
        // S3 Control signs as `s3`; its host tells it apart.
        let def = if service_name == "s3" && host.contains(".s3-control.") {
            wire::service("s3control")
        } else {
            wire::service(service_name)
        };
        let protocol = def.map_or_else(|| guess_protocol(request), |d| d.protocol);
        let xmlns = def.map_or("", |d| d.xmlns);
        let body = request.body().bytes().unwrap_or_default();
        let table_name = def.map_or(service_name, |d| d.name);

        let mut path_params = Vec::new();
        let (raw_op, params): (Cow<'_, str>, Params) = match protocol {
            Protocol::AwsQuery | Protocol::Ec2Query => {
                let params = Params::parse_form(body);
                let op = params.str("Action").unwrap_or_default().to_owned();
                (Cow::Owned(op), params)
            }
            Protocol::AwsJson => {
                let target = headers.get("x-amz-target").unwrap_or_default();
                let op = target.rsplit('.').next().unwrap_or_default();
                (Cow::Borrowed(op), Params::parse_json(body))
            }
            Protocol::RestJson | Protocol::RestXml | Protocol::RestXmlWrapped => {
                // A virtual-hosted bucket is the path's first segment, as in path style.
                let bucket = (protocol == Protocol::RestXml)
                    .then(|| s3_bucket(host))
                    .flatten();
                let path: Cow<'_, str> = match bucket {
                    Some(b) => Cow::Owned(format!("/{b}{path}")),
                    None => Cow::Borrowed(path),
                };
                let op = match self
                    .table
                    .route_op(table_name, request.method(), &path, query)
                {
                    Some((op, captured)) => {
                        path_params = captured;
                        Cow::Borrowed(op)
                    }
                    None => Cow::Owned(format!("{} {path}", request.method())),
                };
                let params = if protocol == Protocol::RestJson
                    && !body.iter().all(u8::is_ascii_whitespace)
                {
                    Params::parse_json(body)
                } else {
                    Params::parse_form(query.as_bytes())
                };
                (op, params)
            }
            Protocol::RpcCbor => {
                let op = path.rsplit('/').next().unwrap_or_default();
                (Cow::Borrowed(op), Params::parse_cbor(body))
            }
        };
        let resolved = def.and_then(|d| self.table.handler(d.name, &raw_op).map(|h| (d, h)));
        let stat = match resolved {
            Some((d, (op, _))) => StatKey::Known(d.name, op),
            None => StatKey::Other(service_name.to_owned(), raw_op.clone().into_owned()),
        };
        self.count(&stat, |s| s.requests += 1);

        let faults = self
            .faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut trickle = None;
        if !faults.is_off() {
            if faults.stalls(service_name, &raw_op) {
                self.count(&stat, |s| s.faults += 1);
                return Outcome::Stall;
            }
            if faults.connection_reset > 0.0 && self.fraction() < faults.connection_reset {
                self.count(&stat, |s| s.faults += 1);
                return Outcome::Reset;
            }
            if faults.internal_error > 0.0 && self.fraction() < faults.internal_error {
                let code = match protocol {
                    Protocol::AwsQuery
                    | Protocol::Ec2Query
                    | Protocol::RestXml
                    | Protocol::RestXmlWrapped => "InternalError",
                    Protocol::AwsJson | Protocol::RestJson | Protocol::RpcCbor => "InternalFailure",
                };
                let err = ApiError::new(
                    500,
                    code,
                    "We encountered an internal error. Please try again.",
                )
                .kind(ErrorKind::Fault);
                return self.failed(&stat, protocol, xmlns, err);
            }
            trickle = faults.trickles(service_name, &raw_op);
        }

        let now = self.now();
        let account = match self.identify(
            protocol,
            access_key,
            headers.get("x-amz-security-token"),
            now,
        ) {
            Ok(a) => a,
            Err(e) => return self.failed(&stat, protocol, xmlns, e),
        };
        let Some((def, (op, handler))) = resolved else {
            let err = match protocol {
                Protocol::AwsQuery | Protocol::Ec2Query => ApiError::bad(
                    "InvalidAction",
                    format!("orgsweep-sim has no responder for {service_name}:{raw_op}"),
                ),
                _ => ApiError::bad(
                    "UnknownOperationException",
                    format!("orgsweep-sim has no responder for {service_name}:{raw_op}"),
                ),
            };
            return self.failed(&stat, protocol, xmlns, err);
        };
        let region_idx = self.org.region_index(region);
        if def.regional && region_idx.is_none() {
            let err = match protocol {
                Protocol::Ec2Query => ApiError::new(
                    401,
                    "AuthFailure",
                    "AWS was not able to validate the provided access credentials",
                ),
                _ => ApiError::new(
                    400,
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                ),
            };
            return self.failed(&stat, protocol, xmlns, err);
        }
        if let Some(limit) = self.limit(def, op, &params)
            && !self.take(def, op, limit, account, region_idx)
        {
            let (status, code, message) = def.throttle;
            let err = ApiError::new(status, code, message).kind(ErrorKind::Throttled);
            return self.failed(&stat, protocol, xmlns, err);
        }
        let call = Call {
            service: def,
            op,
            account,
            region,
            region_idx,
            params: &params,
            now,
            path: path_params,
            access_key,
        };
        match handler(self, &call) {
            Ok(body) => Outcome::Reply {
                status: 200,
                body,
                protocol,
                error_type: None,
                header: None,
                trickle,
            },
            Err(e) => self.failed(&stat, protocol, xmlns, e),
        }
    }

    pub(crate) async fn serve(
        self: Arc<Self>,
        mut request: HttpRequest,
    ) -> Result<HttpResponse, ConnectorError> {
        receive(&mut request).await;
        let outcome = self.answer(&request);
        drop(request);
        if let Outcome::Stall = outcome {
            std::future::pending::<()>().await;
        }
        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
        respond(outcome)
    }

    pub(crate) fn stats(&self) -> SimStats {
        let mut out = SimStats::default();
        for (key, s) in self
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let (service, op) = match key {
                StatKey::Known(s, o) => ((*s).to_owned(), (*o).to_owned()),
                StatKey::Other(s, o) => (s.clone(), o.clone()),
            };
            out.operations.insert((service, op), *s);
        }
        for shard in self.buckets.all() {
            for (key, bucket) in shard.iter() {
                out.keys.push(KeyStats {
                    service: key.service.to_owned(),
                    bucket: key.bucket.to_owned(),
                    account_id: self
                        .org
                        .accounts
                        .get(key.account as usize)
                        .map_or_else(String::new, |a| a.id.clone()),
                    region: match key.region {
                        GLOBAL_REGION => "global".to_owned(),
                        OTHER_REGION => "other".to_owned(),
                        r => self.org.region_name(r).to_owned(),
                    },
                    per_second: bucket.rate.per_second,
                    burst: bucket.rate.burst,
                    calls: bucket.calls,
                    throttled: bucket.throttled,
                });
            }
        }
        out.keys.sort_by(|a, b| {
            b.min_seconds()
                .total_cmp(&a.min_seconds())
                .then(b.calls.cmp(&a.calls))
                .then_with(|| {
                    (&a.service, &a.bucket, &a.account_id, &a.region).cmp(&(
                        &b.service,
                        &b.bucket,
                        &b.account_id,
                        &b.region,
                    ))
                })
        });
        out
    }

    pub(crate) fn reset_stats(&self) {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        for mut shard in self.buckets.all() {
            for bucket in shard.values_mut() {
                bucket.calls = 0;
                bucket.throttled = 0;
            }
        }
    }

    pub(crate) fn cache_bytes(&self) -> usize {
        self.cache_bytes.load(Ordering::Relaxed)
    }
}

/// Reads the request body the way a connection sends it, polled to its end. The SDK's
/// upload stall protection watches that polling: a body read in one piece (`bytes()`) looks
/// like an upload that never finished, and any answer slower than its grace period would
/// fail as "minimum throughput" although nothing stalled.
async fn receive(request: &mut HttpRequest) {
    let mut body = std::mem::replace(request.body_mut(), SdkBody::taken());
    let mut bytes = Vec::new();
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
    {
        if let Some(data) = frame.data_ref() {
            bytes.extend_from_slice(data);
        }
    }
    *request.body_mut() = SdkBody::from(bytes);
}

pub(crate) fn expired(protocol: Protocol) -> ApiError {
    let err = match protocol {
        Protocol::AwsQuery => ApiError::new(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
        Protocol::Ec2Query => ApiError::new(400, "RequestExpired", "Request has expired."),
        Protocol::AwsJson => ApiError::new(
            400,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ),
        Protocol::RestJson => ApiError::new(
            403,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ),
        Protocol::RpcCbor => ApiError::new(
            400,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ),
        Protocol::RestXml | Protocol::RestXmlWrapped => {
            ApiError::new(400, "ExpiredToken", "The provided token has expired.")
        }
    };
    err.kind(ErrorKind::Expired)
}

/// (host, path, query) of a request URI (`https://host/path?query`, or a bare path).
fn split_uri(uri: &str) -> (&str, &str, &str) {
    let (rest, query) = uri.split_once('?').unwrap_or((uri, ""));
    match rest.find("://") {
        Some(i) => {
            let after = &rest[i + 3..];
            match after.find('/') {
                Some(j) => (&after[..j], &after[j..], query),
                None => (after, "/", query),
            }
        }
        None => ("", rest, query),
    }
}

/// The bucket of a virtual-hosted S3 request (`bucket.s3.region.amazonaws.com`).
fn s3_bucket(host: &str) -> Option<&str> {
    let i = host.find(".s3.").or_else(|| host.find(".s3-"))?;
    (i > 0).then(|| &host[..i])
}

fn guess_protocol(request: &HttpRequest) -> Protocol {
    let content_type = request.headers().get("content-type").unwrap_or_default();
    if content_type.contains("cbor") {
        Protocol::RpcCbor
    } else if content_type.contains("x-amz-json") {
        Protocol::AwsJson
    } else if content_type.contains("x-www-form-urlencoded") {
        Protocol::AwsQuery
    } else {
        Protocol::RestJson
    }
}

pub(crate) fn respond(outcome: Outcome) -> Result<HttpResponse, ConnectorError> {
    match outcome {
        Outcome::Reset | Outcome::Stall => Err(ConnectorError::io(
            std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer (orgsweep-sim fault injection)",
            )
            .into(),
        )),
        Outcome::Reply {
            status,
            body,
            protocol,
            error_type,
            header,
            trickle,
        } => {
            let status = StatusCode::try_from(status)
                .map_err(|e| ConnectorError::other(Box::new(e), None))?;
            let body = match trickle {
                Some(t) => SdkBody::from_body_1_x(TrickleBody {
                    data: body,
                    trickle: t,
                    sleep: None,
                }),
                None => SdkBody::from(body),
            };
            let mut response = HttpResponse::new(status, body);
            let h = response.headers_mut();
            h.insert("content-type", protocol.content_type());
            h.insert("x-amzn-requestid", wire::REQUEST_ID);
            if let Some(t) = error_type {
                h.insert("x-amzn-errortype", t.into_owned());
            }
            if protocol == Protocol::RpcCbor {
                h.insert("smithy-protocol", "rpc-v2-cbor");
            }
            if let Some((name, value)) = header {
                h.insert(name, value);
            }
            Ok(response)
        }
    }
}

/// A body that arrives `chunk_bytes` at a time.
struct TrickleBody {
    data: Bytes,
    trickle: Trickle,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl http_body::Body for TrickleBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        let this = &mut *self;
        if this.data.is_empty() {
            return Poll::Ready(None);
        }
        let interval = this.trickle.interval;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.sleep = None;
        let n = this.trickle.chunk_bytes.clamp(1, this.data.len());
        Poll::Ready(Some(Ok(http_body::Frame::data(this.data.split_to(n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }
}
