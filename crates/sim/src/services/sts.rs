//! STS (awsQuery): AssumeRole hands out keys that name their account, GetCallerIdentity.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use crate::clock::iso;
use crate::rng::{base32, hash};
use crate::sim::{Call, Sim, Table};
use crate::wire::{ApiError, el, query_body};

pub(crate) fn register(t: &mut Table) {
    t.op("sts", "AssumeRole", assume_role)
        .op("sts", "GetCallerIdentity", get_caller_identity);
}

/// Looks like a real session token, and carries what the simulator needs to check it.
fn session_token(account_id: &str, expires: i64, n: u64) -> String {
    format!("IQoJb3JpZ2luX2VjEAAaCXVzLWVhc3QtMSJGMEQCIGsim/{account_id}/{expires}/{n}")
}

/// The expiry (unix seconds) a session token carries, if it was issued for `account_id`.
pub(crate) fn token_expiry(token: &str, account_id: &str) -> Option<i64> {
    let mut parts = token.rsplit('/');
    let _n = parts.next()?;
    let expires = parts.next()?.parse().ok()?;
    (parts.next()? == account_id).then_some(expires)
}

/// Four base-36 digits, so an access key id stays 20 characters long.
fn counter(n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = n % 36u64.pow(4);
    let mut out = [b'0'; 4];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn caller_arn(sim: &Sim, call: &Call<'_>) -> String {
    let account = &sim.org.accounts[call.account].id;
    if call.account == 0 && !call.assumed() {
        format!("arn:aws:iam::{account}:user/orgsweep-operator")
    } else {
        format!(
            "arn:aws:sts::{account}:assumed-role/{}/orgsweep",
            sim.org.spec.role_name
        )
    }
}

fn assume_role(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let missing = |p: &str| ApiError::bad("ValidationError", format!("{p} is required"));
    let role_arn = call
        .params
        .str("RoleArn")
        .ok_or_else(|| missing("RoleArn"))?;
    let session = call
        .params
        .str("RoleSessionName")
        .ok_or_else(|| missing("RoleSessionName"))?;
    let denied = || {
        ApiError::new(
            403,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller_arn(sim, call)
            ),
        )
    };
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    let [_, _, "iam", _, account_id, resource] = parts.as_slice() else {
        return Err(ApiError::bad(
            "ValidationError",
            format!("{role_arn} is not a valid role ARN"),
        ));
    };
    let role_name = resource
        .strip_prefix("role/")
        .and_then(|r| r.rsplit('/').next())
        .ok_or_else(denied)?;
    let target = sim.org.account_index(account_id).ok_or_else(denied)?;
    let account = &sim.org.accounts[target];
    if account.status != "ACTIVE" || account.role_missing || role_name != sim.org.spec.role_name {
        return Err(denied());
    }
    let mut lifetime = i64::try_from(sim.config.credential_lifetime.as_secs()).unwrap_or(3600);
    if let Some(requested) = call.params.int("DurationSeconds") {
        if !(900..=43_200).contains(&requested) {
            return Err(ApiError::bad(
                "ValidationError",
                "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint",
            ));
        }
        lifetime = lifetime.min(requested);
    }
    let expires = call.now + lifetime;
    let n = sim.key_counter.fetch_add(1, Ordering::Relaxed);
    let key = format!("ASIA{}{}", account.id, counter(n));
    let role_id = format!(
        "AROA{}",
        base32(hash(&[sim.org.spec.seed, 21, target as u64, 3, 0]), 17)
    );
    Ok(query_body(call.service.xmlns, "AssumeRole", |o| {
        o.push_str("<AssumedRoleUser>");
        el(o, "AssumedRoleId", &format!("{role_id}:{session}"));
        el(
            o,
            "Arn",
            &format!(
                "arn:aws:sts::{}:assumed-role/{role_name}/{session}",
                account.id
            ),
        );
        o.push_str("</AssumedRoleUser><Credentials>");
        el(o, "AccessKeyId", &key);
        el(
            o,
            "SecretAccessKey",
            &format!("sim{}", base32(hash(&[n, 99]), 36)),
        );
        el(o, "SessionToken", &session_token(&account.id, expires, n));
        el(o, "Expiration", &iso(expires));
        o.push_str("</Credentials>");
    }))
}

fn get_caller_identity(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let account = &sim.org.accounts[call.account].id;
    Ok(query_body(call.service.xmlns, "GetCallerIdentity", |o| {
        el(o, "Arn", &caller_arn(sim, call));
        el(o, "UserId", "AIDASIMULATEDCALLER01");
        el(o, "Account", account);
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_counters() {
        assert_eq!(
            token_expiry(&session_token("123456789012", 99, 3), "123456789012"),
            Some(99)
        );
        assert_eq!(
            token_expiry(&session_token("123456789012", 99, 3), "210987654321"),
            None
        );
        assert_eq!(counter(0), "0000");
        assert_eq!(counter(37), "0011");
    }
}
