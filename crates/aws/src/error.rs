//! One error type for every AWS call, with messages a person can act on.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AwsError {
    #[error("no usable AWS credentials: {0}")]
    Credentials(String),
    #[error("cannot reach the AWS endpoint {endpoint} ({operation}): {message}")]
    Unreachable {
        endpoint: String,
        operation: &'static str,
        message: String,
    },
    #[error(
        "the credentials belong to account {caller} ({caller_arn}), which is neither the \
         organization's management account {management} nor a delegated administrator: \
         run orgsweep with credentials of {management}"
    )]
    WrongAccount {
        caller: String,
        caller_arn: String,
        management: String,
    },
    #[error("cannot assume role {role_arn}: {message}")]
    AssumeRole { role_arn: String, message: String },
    #[error("{operation} failed: {code}: {message}")]
    Service {
        operation: &'static str,
        code: String,
        message: String,
    },
    #[error("{operation} failed: {message}")]
    Other {
        operation: &'static str,
        message: String,
    },
}

/// Codes of transient failures: throttling and server-side errors, which a later attempt
/// may not meet.
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

impl AwsError {
    /// The AWS error code, for callers that treat some codes specially.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the failure is transient (throttling, a server error, a stalled or reset
    /// connection) rather than a refusal or a configuration problem.
    pub fn is_retryable(&self) -> bool {
        match self {
            AwsError::Service { code, .. } => {
                TRANSIENT_CODES.contains(&code.as_str()) || code.starts_with("HTTP 5")
            }
            AwsError::Unreachable { message, .. } => {
                !(message.contains("Connection refused") || message.contains("dns error"))
            }
            _ => false,
        }
    }

    /// Whether AWS refused the caller's permission (as opposed to a failure).
    pub fn is_access_denied(&self) -> bool {
        self.code().is_some_and(|c| {
            c.contains("AccessDenied")
                || c == "UnauthorizedOperation"
                || c == "HTTP 403 (access denied)"
        })
    }
}

/// The error and its sources on one line, skipping sources whose text the parent repeats.
pub fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text.replace('\n', " ")
}

/// Converts an SDK error into an [`AwsError`] naming the operation and, for transport
/// failures, the endpoint.
pub(crate) fn from_sdk<E>(
    operation: &'static str,
    endpoint: &str,
    err: &SdkError<E, HttpResponse>,
) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(context) => {
            let e = context.err();
            let status = context.raw().status().as_u16();
            // Some endpoints (and some AWS failures) answer without a parsable error code:
            // the HTTP status is then the best name for what happened.
            let code = e
                .code()
                .map_or_else(|| http_status_name(status), str::to_owned);
            let message = e.message().unwrap_or("no details in the response");
            AwsError::Service {
                operation,
                code,
                message: message.replace('\n', " "),
            }
        }
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            AwsError::Unreachable {
                endpoint: endpoint.to_owned(),
                operation,
                message: error_chain(err),
            }
        }
        // An error answer the SDK could not parse (an emulator or proxy speaking another
        // protocol): the status still says what happened.
        SdkError::ResponseError(context) => AwsError::Service {
            operation,
            code: http_status_name(context.raw().status().as_u16()),
            message: "the response body could not be parsed".to_owned(),
        },
        SdkError::TimeoutError(_) => AwsError::Unreachable {
            endpoint: endpoint.to_owned(),
            operation,
            message: "timed out".to_owned(),
        },
        _ => AwsError::Other {
            operation,
            message: error_chain(err),
        },
    }
}

fn http_status_name(status: u16) -> String {
    let name = match status {
        400 => "bad request",
        401 => "unauthorized",
        403 => "access denied",
        404 => "not found",
        429 => "too many requests",
        500 => "internal server error",
        503 => "service unavailable",
        _ => "error",
    };
    format!("HTTP {status} ({name})")
}
