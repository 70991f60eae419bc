//! A fault-injecting transport in front of any other one (moto over loopback, or the
//! simulator): it answers like AWS under load — each protocol's own throttling error from a
//! token bucket per access key × region × service, a share of HTTP 500s and of connection
//! resets — and passes everything else through. Robustness tests scan through it and
//! expect exactly the findings of a clean scan.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// How hostile the transport is.
#[derive(Debug, Clone, Copy)]
pub struct FaultConfig {
    /// Requests per second per (access key, region, service).
    pub per_second: f64,
    pub burst: f64,
    /// Share of passed requests answered HTTP 500 instead.
    pub server_errors: f64,
    /// Share of passed requests whose connection is reset.
    pub resets: f64,
    pub seed: u64,
}

/// What the transport did.
#[derive(Debug, Default)]
pub struct FaultStats {
    pub passed: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub resets: AtomicU64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: tokio::time::Instant,
}

#[derive(Debug)]
struct State {
    config: FaultConfig,
    buckets: Mutex<HashMap<(String, String, String), Bucket>>,
    rng: Mutex<u64>,
    stats: Arc<FaultStats>,
}

/// The transport; clone it into `SessionOptions.http_client` via [`FaultyTransport::shared`].
#[derive(Debug, Clone)]
pub struct FaultyTransport {
    inner: SharedHttpClient,
    state: Arc<State>,
}

enum Protocol {
    Json,
    Query,
    Ec2,
    RestXml,
    RestJson,
}

fn protocol(request: &HttpRequest, service: &str) -> Protocol {
    let content_type = request.headers().get("content-type").unwrap_or("");
    if content_type.starts_with("application/x-amz-json") {
        Protocol::Json
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        if service == "ec2" {
            Protocol::Ec2
        } else {
            Protocol::Query
        }
    } else if service == "s3" {
        Protocol::RestXml
    } else {
        Protocol::RestJson
    }
}

/// `(status, body, x-amzn-errortype)` of an error in the request's protocol.
fn error(protocol: &Protocol, throttling: bool) -> (u16, String, Option<&'static str>) {
    let (code, status, message) = if throttling {
        ("Throttling", 400, "Rate exceeded")
    } else {
        (
            "InternalError",
            500,
            "We encountered an internal error. Please try again.",
        )
    };
    match protocol {
        Protocol::Json => {
            let code = if throttling {
                "ThrottlingException"
            } else {
                "InternalFailure"
            };
            (
                status,
                format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"),
                None,
            )
        }
        Protocol::Query => (
            status,
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>faulty</RequestId></ErrorResponse>"
            ),
            None,
        ),
        Protocol::Ec2 => {
            let (code, status) = if throttling {
                ("RequestLimitExceeded", 503)
            } else {
                ("InternalError", 500)
            };
            (
                status,
                format!(
                    "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>faulty</RequestID></Response>"
                ),
                None,
            )
        }
        Protocol::RestXml => {
            let (code, status) = if throttling {
                ("SlowDown", 503)
            } else {
                ("InternalError", 500)
            };
            (
                status,
                format!(
                    "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>faulty</RequestId></Error>"
                ),
                None,
            )
        }
        Protocol::RestJson => {
            let (code, status) = if throttling {
                ("TooManyRequestsException", 429)
            } else {
                ("InternalServerException", 500)
            };
            (status, format!("{{\"message\":\"{message}\"}}"), Some(code))
        }
    }
}

impl FaultyTransport {
    pub fn new(inner: SharedHttpClient, config: FaultConfig) -> FaultyTransport {
        FaultyTransport {
            inner,
            state: Arc::new(State {
                config,
                buckets: Mutex::new(HashMap::new()),
                rng: Mutex::new(config.seed.max(1)),
                stats: Arc::new(FaultStats::default()),
            }),
        }
    }

    pub fn shared(self) -> SharedHttpClient {
        SharedHttpClient::new(self)
    }

    pub fn stats(&self) -> Arc<FaultStats> {
        self.state.stats.clone()
    }
}

impl State {
    /// A number in [0, 1) from a seeded xorshift: reproducible runs.
    fn roll(&self) -> f64 {
        let Ok(mut x) = self.rng.lock() else {
            return 1.0;
        };
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        (*x >> 11) as f64 / (1u64 << 53) as f64
    }

    fn take_token(&self, key: (String, String, String)) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        let now = tokio::time::Instant::now();
        let config = self.config;
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: config.burst,
            at: now,
        });
        let elapsed = now.duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * config.per_second).min(config.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl HttpClient for FaultyTransport {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            state: self.state.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    state: Arc<State>,
}

/// (access key, region, service) of a SigV4-signed request.
fn scope(request: &HttpRequest) -> (String, String, String) {
    let authorization = request.headers().get("authorization").unwrap_or("");
    let credential = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split(',').next())
        .unwrap_or("");
    let mut parts = credential.split('/');
    let key = parts.next().unwrap_or("").to_owned();
    let _date = parts.next();
    let region = parts.next().unwrap_or("").to_owned();
    let service = parts.next().unwrap_or("").to_owned();
    (key, region, service)
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let state = self.state.clone();
        let key = scope(&request);
        let protocol = protocol(&request, &key.2);
        let stats = state.stats.clone();
        if !state.take_token(key) {
            stats.throttled.fetch_add(1, Ordering::Relaxed);
            return reply(&protocol, true);
        }
        let roll = state.roll();
        if roll < state.config.resets {
            stats.resets.fetch_add(1, Ordering::Relaxed);
            return HttpConnectorFuture::ready(Err(ConnectorError::io(
                std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset by peer (fault injection)",
                )
                .into(),
            )));
        }
        if roll < state.config.resets + state.config.server_errors {
            stats.server_errors.fetch_add(1, Ordering::Relaxed);
            return reply(&protocol, false);
        }
        stats.passed.fetch_add(1, Ordering::Relaxed);
        self.inner.call(request)
    }
}

fn reply(protocol: &Protocol, throttling: bool) -> HttpConnectorFuture {
    let (status, body, error_type) = error(protocol, throttling);
    let response = StatusCode::try_from(status)
        .map_err(|e| ConnectorError::other(Box::new(e), None))
        .map(|status| {
            let mut response = HttpResponse::new(status, SdkBody::from(body));
            let content_type = match protocol {
                Protocol::Json => "application/x-amz-json-1.1",
                Protocol::RestJson => "application/json",
                _ => "text/xml",
            };
            response.headers_mut().insert("content-type", content_type);
            if let Some(t) = error_type {
                response.headers_mut().insert("x-amzn-errortype", t);
            }
            response
        });
    HttpConnectorFuture::ready(response)
}
