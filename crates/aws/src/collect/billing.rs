//! The organization's charges from Cost Explorer, read once per scan from the caller's own
//! account (the management account sees every member's charges as LINKED_ACCOUNT) and
//! handed to each account as its own slice.
//!
//! Calls per scan: GetCostAndUsage for the previous full month and for the current month to
//! date (yesterday included, today not: its charges are incomplete), each grouped once by
//! LINKED_ACCOUNT + SERVICE and once by LINKED_ACCOUNT + REGION, granularity MONTHLY, metric
//! UnblendedCost: 4 requests plus one per further page (none on the first day of a month,
//! when the current month has no whole day yet: 2). Cost Explorer charges 0.01 USD per
//! request, so the count is logged. The requests only depend on the date, so the same day's
//! scans send the same requests (emulators that answer per request body rely on it).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_costexplorer::types::{DateInterval, GroupDefinition, GroupDefinitionType};
use orgsweep_model::facts::{AccountSpend, MonthSpend};
use time::{Date, Duration, OffsetDateTime};

use crate::error::AwsError;
use crate::session::AccountSession;

/// The metric every amount is read from: what the account was charged, before credits
/// are shared across the organization.
pub const METRIC: &str = "UnblendedCost";

/// Cost Explorer's price per request, in USD.
const USD_PER_REQUEST: f64 = 0.01;

/// The organization's charges: each account's, and the empty spend (both periods, no
/// charges) of an account Cost Explorer lists nothing for.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrganizationSpend {
    pub(crate) empty: AccountSpend,
    pub(crate) accounts: BTreeMap<String, AccountSpend>,
}

/// The two periods read on `today` (UTC): the previous full month, and the current month
/// up to today exclusive. `End` is exclusive in Cost Explorer.
pub fn periods(today: Date) -> [(Date, Date); 2] {
    let first = today.replace_day(1).unwrap_or(today);
    let previous_first = (first - Duration::days(1)).replace_day(1).unwrap_or(first);
    [(previous_first, first), (first, today)]
}

fn ymd(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn month(start: Date, end: Date) -> MonthSpend {
    MonthSpend {
        start: ymd(start),
        days: u32::try_from((end - start).whole_days()).unwrap_or(0),
        ..MonthSpend::default()
    }
}

/// What the caller lacks, in words, for Cost Explorer's refusals.
fn explain(err: AwsError) -> AwsError {
    let hint = if err.is_access_denied() {
        "the scanning identity needs ce:GetCostAndUsage in the management account, and Cost \
         Explorer must have been opened once in its console (which enables it)"
    } else if err.code() == Some("DataUnavailableException") {
        "Cost Explorer has no data yet: it is enabled from the management account's Billing \
         console and takes about a day to prepare"
    } else {
        return err;
    };
    AwsError::Other {
        operation: "ce:GetCostAndUsage",
        message: format!("{err}; {hint}"),
    }
}

impl AccountSession {
    /// This account's charges, from the organization's read on first use (see
    /// [`AccountSession::organization_spend`]). A failure of that read is every account's.
    pub(crate) async fn account_spend(&self) -> Result<AccountSpend, AwsError> {
        let today = OffsetDateTime::now_utc().date();
        let all = self
            .shared
            .spend
            .get_or_init(|| async { self.caller().organization_spend(today).await })
            .await;
        match all {
            Ok(all) => Ok(all
                .accounts
                .get(&self.account_id)
                .cloned()
                .unwrap_or_else(|| all.empty.clone())),
            Err(err) => Err(err.clone()),
        }
    }

    /// Reads the organization's charges through this (the caller's) session, in us-east-1
    /// (Cost Explorer's endpoint; cn-northwest-1 in China).
    pub(crate) async fn organization_spend(
        &self,
        today: Date,
    ) -> Result<OrganizationSpend, AwsError> {
        let region = if self.shared.caller.partition == "aws-cn" {
            "cn-northwest-1"
        } else {
            "us-east-1"
        };
        let client = self.costexplorer(Some(region));
        let [(p_start, p_end), (c_start, c_end)] = periods(today);
        let mut spend = OrganizationSpend {
            empty: AccountSpend {
                previous_month: month(p_start, p_end),
                current_month: month(c_start, c_end),
            },
            accounts: BTreeMap::new(),
        };
        let mut requests = 0u32;
        for (current, start, end) in [(false, p_start, p_end), (true, c_start, c_end)] {
            if start >= end {
                continue;
            }
            for dimension in ["SERVICE", "REGION"] {
                let interval = DateInterval::builder()
                    .start(ymd(start))
                    .end(ymd(end))
                    .build()
                    .map_err(|e| AwsError::Other {
                        operation: "ce:GetCostAndUsage",
                        message: e.to_string(),
                    })?;
                let mut token: Option<String> = None;
                let mut seen = BTreeSet::new();
                loop {
                    let page = client
                        .get_cost_and_usage()
                        .time_period(interval.clone())
                        .granularity(aws_sdk_costexplorer::types::Granularity::Monthly)
                        .metrics(METRIC)
                        .group_by(
                            GroupDefinition::builder()
                                .r#type(GroupDefinitionType::Dimension)
                                .key("LINKED_ACCOUNT")
                                .build(),
                        )
                        .group_by(
                            GroupDefinition::builder()
                                .r#type(GroupDefinitionType::Dimension)
                                .key(dimension)
                                .build(),
                        )
                        .set_next_page_token(token.take())
                        .send()
                        .await;
                    requests += 1;
                    let page = page.map_err(|e| explain(self.error("ce:GetCostAndUsage", e)))?;
                    for result in page.results_by_time() {
                        for group in result.groups() {
                            let [account, key] = group.keys() else {
                                continue;
                            };
                            let Some(amount) = group
                                .metrics()
                                .and_then(|m| m.get(METRIC))
                                .and_then(|m| m.amount())
                                .and_then(|a| a.trim().parse::<f64>().ok())
                                .filter(|a| a.is_finite())
                            else {
                                continue;
                            };
                            let entry = spend
                                .accounts
                                .entry(account.clone())
                                .or_insert_with(|| spend.empty.clone());
                            let month = if current {
                                &mut entry.current_month
                            } else {
                                &mut entry.previous_month
                            };
                            let by = if dimension == "SERVICE" {
                                &mut month.services
                            } else {
                                &mut month.regions
                            };
                            *by.entry(key.clone()).or_insert(0.0) += amount;
                        }
                    }
                    match page.next_page_token() {
                        Some(next) if !next.is_empty() => {
                            // A token handed out before would read the same pages forever.
                            if !seen.insert(next.to_owned()) {
                                return Err(AwsError::Other {
                                    operation: "ce:GetCostAndUsage",
                                    message: format!(
                                        "Cost Explorer returned a page token it had returned \
                                         before, after {requests} request(s); the charges \
                                         were not read"
                                    ),
                                });
                            }
                            token = Some(next.to_owned());
                        }
                        _ => break,
                    }
                }
            }
        }
        tracing::info!(
            requests,
            cost_usd = f64::from(requests) * USD_PER_REQUEST,
            accounts = spend.accounts.len(),
            "read the organization's charges from Cost Explorer"
        );
        Ok(spend)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn periods_are_the_previous_month_and_this_month_to_date() {
        assert_eq!(
            periods(date!(2026 - 11 - 24)),
            [
                (date!(2026 - 10 - 01), date!(2026 - 11 - 01)),
                (date!(2026 - 11 - 01), date!(2026 - 11 - 24))
            ]
        );
        // January looks back into December; the 1st has no whole day of its month yet.
        assert_eq!(
            periods(date!(2027 - 01 - 01)),
            [
                (date!(2026 - 12 - 01), date!(2027 - 01 - 01)),
                (date!(2027 - 01 - 01), date!(2027 - 01 - 01))
            ]
        );
        let m = month(date!(2026 - 02 - 01), date!(2026 - 03 - 01));
        assert_eq!((m.start.as_str(), m.days), ("2026-02-01", 28));
    }
}
