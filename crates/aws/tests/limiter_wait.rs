//! The attempt timeout counts from the rate-limit token, not from the queue before it: a
//! call that waits its turn behind a slow limit must not time out before the server ever
//! sees it, while a server that does not answer, or answers too slowly, still times out.
//!
//! A mock transport answers LookupEvents (one page, no events); on tokio's paused clock, so
//! the limiter's waits, the server's delays and the SDK's timers all run on one clock and the
//! machine's load cannot make the tests flake.

mod common;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body::{Body, Frame};
use orgsweep_aws::{Limits, Service, Session, SessionOptions};
use tokio::time::{Instant, Sleep};

const ACCOUNT: &str = "111111111111";
const REGION: &str = "us-east-1";
const PAGE: &str = r#"{"Events":[]}"#;

/// How the mock server answers.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// The whole page after a delay.
    After(Duration),
    /// Never.
    Never,
    /// Headers at once, then the page one byte per interval.
    Trickle(Duration),
}

#[derive(Debug)]
struct Server {
    answer: Answer,
    requests: Arc<AtomicUsize>,
}

impl HttpConnector for Server {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let answer = self.answer;
        HttpConnectorFuture::new(async move {
            let body = match answer {
                Answer::After(delay) => {
                    tokio::time::sleep(delay).await;
                    SdkBody::from(PAGE)
                }
                Answer::Never => std::future::pending().await,
                Answer::Trickle(interval) => SdkBody::from_body_1_x(Trickle {
                    rest: PAGE.as_bytes().to_vec(),
                    interval,
                    next: Box::pin(tokio::time::sleep(interval)),
                }),
            };
            let mut response = HttpResponse::new(200.try_into().expect("status"), body);
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.1");
            Ok(response)
        })
    }
}

/// A streamed body that yields one byte per interval.
struct Trickle {
    rest: Vec<u8>,
    interval: Duration,
    next: Pin<Box<Sleep>>,
}

impl Body for Trickle {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        if self.next.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let at = Instant::now() + self.interval;
        self.next.as_mut().reset(at);
        let byte = self.rest.remove(0);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![byte])))))
    }
}

/// A session whose LookupEvents calls go to `answer`, one call per second per key.
async fn session(answer: Answer, options: SessionOptions) -> (Session, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    let http: SharedHttpClient = http_client_fn(move |_, _| {
        SharedHttpConnector::new(Server {
            answer,
            requests: seen.clone(),
        })
    });
    let options = common::offline(
        ACCOUNT,
        SessionOptions {
            http_client: Some(http),
            ..options
        },
    );
    let limits = Limits::new(|s| match s {
        Service::CloudTrailLookup => (1, 1),
        other => other.default_quota(),
    });
    let session = Session::connect(options, limits).await.expect("session");
    (session, requests)
}

/// Twelve calls on one key at one per second: the last one waits about 11 s for its token,
/// far longer than the 2 s an attempt may take, yet none times out and none is retried.
#[tokio::test(start_paused = true)]
async fn waiting_for_a_token_does_not_count_against_the_attempt() {
    const CALLS: usize = 12;
    let (session, requests) = session(
        Answer::After(Duration::from_millis(200)),
        SessionOptions {
            attempt_timeout: Duration::from_secs(2),
            ..SessionOptions::default()
        },
    )
    .await;
    let account = session.own(ACCOUNT);
    let started = Instant::now();
    let results =
        futures::future::join_all((0..CALLS).map(|_| account.trail_events(REGION, 7))).await;
    let elapsed = started.elapsed();

    let failed: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect();
    assert!(failed.is_empty(), "calls failed: {failed:#?}");
    let counters = session.counters().snapshot();
    assert_eq!(counters.retries, 0, "retried: {counters:?}");
    assert_eq!(counters.throttled, 0, "throttled: {counters:?}");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        CALLS,
        "one request per call"
    );
    // The calls really queued: one token per second, the last answered 200 ms after its own.
    assert!(
        elapsed >= Duration::from_secs(11),
        "the limit was not applied: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(13), "{elapsed:?}");
}

/// Runs one call against `answer` with two attempts of 2 s each; returns its error and how
/// long it took.
async fn times_out(answer: Answer) -> (String, Duration, usize) {
    let (session, requests) = session(
        answer,
        SessionOptions {
            attempt_timeout: Duration::from_secs(2),
            max_attempts: 2,
            ..SessionOptions::default()
        },
    )
    .await;
    let started = Instant::now();
    let result = session.own(ACCOUNT).trail_events(REGION, 7).await;
    let elapsed = started.elapsed();
    let err = result.expect_err("the call should fail").to_string();
    (err, elapsed, requests.load(Ordering::SeqCst))
}

/// Two attempts of 2 s and, between them, the SDK's first backoff (at most 1 s; the
/// limiter's one-second spacing is over by then): how long a failing call may take.
const TWO_ATTEMPTS: Duration = Duration::from_secs(2 * 2 + 1);

/// The connector's deadline, not the operation timeout, ended the attempts.
const ATTEMPT_TIMED_OUT: &str = "attempt timed out after 2 s";

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out_each_attempt() {
    let (err, elapsed, requests) = times_out(Answer::Never).await;
    assert!(err.contains(ATTEMPT_TIMED_OUT), "{err}");
    assert_eq!(requests, 2, "both attempts reached the server");
    assert!(elapsed <= TWO_ATTEMPTS, "{elapsed:?}: {err}");
}

/// The deadline covers the body: headers in time do not let a trickling body run on.
#[tokio::test(start_paused = true)]
async fn a_body_that_trickles_past_the_deadline_times_out() {
    let (err, elapsed, requests) = times_out(Answer::Trickle(Duration::from_secs(1))).await;
    assert!(err.contains(ATTEMPT_TIMED_OUT), "{err}");
    assert_eq!(requests, 2, "both attempts reached the server");
    assert!(elapsed <= TWO_ATTEMPTS, "{elapsed:?}: {err}");
}

/// A streamed body that is complete within the deadline is read whole, once.
#[tokio::test(start_paused = true)]
async fn a_slow_body_within_the_deadline_is_read() {
    // 13 bytes at 100 ms: 1.3 s of the 2 s.
    let (session, requests) = session(
        Answer::Trickle(Duration::from_millis(100)),
        SessionOptions {
            attempt_timeout: Duration::from_secs(2),
            ..SessionOptions::default()
        },
    )
    .await;
    let read = session.own(ACCOUNT).trail_events(REGION, 7).await;
    assert!(read.is_ok(), "{read:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    assert_eq!(session.counters().snapshot().retries, 0);
}
