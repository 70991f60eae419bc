//! What the tests that answer the SDK from a mock share.

use aws_credential_types::Credentials;
use orgsweep_aws::{Caller, SessionOptions};

/// `options` with static test credentials and the caller already known as a user of
/// `account`, so connecting makes no call (no `sts:GetCallerIdentity` for a mock to answer).
pub fn offline(account: &str, options: SessionOptions) -> SessionOptions {
    SessionOptions {
        credentials: Some(Credentials::new(
            "AKIDTEST",
            "test-secret",
            None,
            None,
            "test",
        )),
        caller: Caller::from_arn(&format!("arn:aws:iam::{account}:user/tester"), None),
        ..options
    }
}
