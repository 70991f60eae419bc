//! AWS Config (awsJson1_1): the customer-managed recorder and its status.

use bytes::Bytes;

use crate::region_model;
use crate::sim::{CacheKey, Call, GLOBAL_REGION, SHARED_ACCOUNT, Sim, Table};
use crate::wire::{ApiError, jf};

pub(crate) fn register(t: &mut Table) {
    t.op(
        "config",
        "DescribeConfigurationRecorders",
        describe_configuration_recorders,
    )
    .op(
        "config",
        "DescribeConfigurationRecorderStatus",
        describe_configuration_recorder_status,
    );
}

fn describe_configuration_recorders(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let Some(_) = region_model::config_recorder(&sim.org, call.account, call.region()) else {
        return Ok(Bytes::from_static(b"{\"ConfigurationRecorders\":[]}"));
    };
    // The body names no region: one per account.
    let key = CacheKey {
        account: call.account as u32,
        region: GLOBAL_REGION,
        op: call.op,
        a: 0,
        b: 0,
    };
    sim.cached(key, || {
        let id = &sim.org.accounts[call.account].id;
        let mut o = String::from("{\"ConfigurationRecorders\":[{");
        jf(&mut o, true, "name", "default");
        jf(
            &mut o,
            false,
            "roleARN",
            &format!("arn:aws:iam::{id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
        );
        o.push_str(",\"recordingGroup\":{\"allSupported\":true,\"includeGlobalResourceTypes\":false,\"resourceTypes\":[]},\"recordingMode\":{\"recordingFrequency\":\"CONTINUOUS\"}}]}");
        Ok(Bytes::from(o))
    })
}

fn describe_configuration_recorder_status(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let Some(recording) = region_model::config_recorder(&sim.org, call.account, call.region())
    else {
        return Ok(Bytes::from_static(b"{\"ConfigurationRecordersStatus\":[]}"));
    };
    let key = CacheKey {
        account: SHARED_ACCOUNT,
        region: GLOBAL_REGION,
        op: call.op,
        a: u64::from(recording),
        b: 0,
    };
    let epoch = sim.org.epoch;
    sim.cached(key, || {
        let started = epoch - 300 * 86_400;
        let body = if recording {
            format!(
                "{{\"ConfigurationRecordersStatus\":[{{\"name\":\"default\",\"lastStartTime\":{started},\"recording\":true,\"lastStatus\":\"SUCCESS\",\"lastStatusChangeTime\":{}}}]}}",
                epoch - 3_600
            )
        } else {
            format!(
                "{{\"ConfigurationRecordersStatus\":[{{\"name\":\"default\",\"lastStartTime\":{started},\"lastStopTime\":{},\"recording\":false,\"lastStatus\":\"SUCCESS\",\"lastStatusChangeTime\":{}}}]}}",
                epoch - 15 * 86_400,
                epoch - 15 * 86_400
            )
        };
        Ok(Bytes::from(body))
    })
}
