//! What the billing checks share: which charges to judge, how both months are shown as
//! evidence, and the Cost Explorer command that shows where the money went.

use orgsweep_model::facts::MonthSpend;
use serde_json::{Value, json};

use crate::Context;

/// Less than a cent is "nothing": Cost Explorer reports rounding remainders of services
/// nobody used.
pub(crate) const NEGLIGIBLE_USD: f64 = 0.01;

/// Charges that follow other spend or are billed as a monthly fee rather than by use: tax
/// rises with every other service (which is reported itself), and a support plan's fee is
/// booked on the first of the month, so its "daily rate" early in a month is a whole
/// month's fee divided by a few days and would be a spike every month.
pub(crate) fn is_judged(service: &str) -> bool {
    service != "Tax" && !service.starts_with("AWS Support")
}

/// One month's figures for one service or region: amount, days, daily rate.
pub(crate) fn month_evidence(month: &MonthSpend, amount: f64) -> Value {
    json!({
        "start": month.start,
        "days": month.days,
        "amount_usd": round(amount),
        "daily_rate_usd": month.daily_rate(amount).map(round),
    })
}

/// Cents are enough for a reader, and keep the JSON free of float noise.
pub(crate) fn round(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// `12.34 USD`.
pub(crate) fn usd(amount: f64) -> String {
    format!("{amount:.2} USD")
}

/// A shell-safe single-quoted word, for values from AWS inside commands.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The Cost Explorer command (run in the management account) that shows the account's
/// daily spend this month for `key`=`value`, grouped by `group_by`.
pub(crate) fn cost_explorer_command(
    ctx: &Context<'_>,
    current: &MonthSpend,
    key: &str,
    value: &str,
    group_by: &str,
) -> String {
    let filter = json!({
        "And": [
            {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [ctx.account_id]}},
            {"Dimensions": {"Key": key, "Values": [value]}},
        ]
    });
    // Cost Explorer's End is exclusive: tomorrow includes today's charges so far.
    let end = ctx.now.date().next_day().unwrap_or(ctx.now.date());
    format!(
        "See it day by day, from the management account: aws ce get-cost-and-usage --time-period Start={},End={end} --granularity DAILY --metrics UnblendedCost --filter {} --group-by Type=DIMENSION,Key={group_by}",
        current.start,
        quoted(&filter.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_from_aws_cannot_leave_their_quotes() {
        assert_eq!(quoted("a'b"), r"'a'\''b'");
        assert!(is_judged("Amazon Elastic Compute Cloud - Compute"));
        assert!(!is_judged("Tax"));
        assert!(!is_judged("AWS Support (Business)"));
        assert_eq!(round(12.345_678), 12.35);
    }
}
