//! Reading a multi-target report (`scan --targets`) per customer: an MSP scans several
//! customers' organizations and standalone accounts in one run, but hands each customer its
//! own part, and a responder must see at a glance whose account a finding is in.
//!
//! One grouping serves the HTML page and the plan, so both list the same customers in the
//! same order. A report without targets (one organization) has no customers, and every
//! renderer keeps its single-organization output exactly as it was.

use std::collections::HashMap;

use orgsweep_model::{Report, Target, TargetKind};

/// One customer: the targets it owns, in the run's order. `name` is `None` for the accounts
/// a hand-edited or merged report left without a customer: their findings must still be
/// shown somewhere, never dropped.
pub(crate) struct Customer<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) targets: Vec<&'a Target>,
}

/// Whether the report is of several targets and so is read per customer.
pub(crate) fn is_multi_target(report: &Report) -> bool {
    !report.run.targets.is_empty()
}

/// The customers of a multi-target report in the order their first target appears (the
/// order of `targets.toml`), then any customer only an account names, then the accounts of
/// no customer if there are any; empty for a single-organization report.
pub(crate) fn customers(report: &Report) -> Vec<Customer<'_>> {
    if !is_multi_target(report) {
        return Vec::new();
    }
    let mut out: Vec<Customer<'_>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let named = report
        .run
        .targets
        .iter()
        .map(|t| (t.customer.as_str(), Some(t)))
        .chain(
            report
                .accounts
                .iter()
                .filter_map(|a| Some((a.customer.as_deref()?, None))),
        );
    for (name, target) in named {
        let i = *index.entry(name).or_insert_with(|| {
            out.push(Customer {
                name: Some(name),
                targets: Vec::new(),
            });
            out.len() - 1
        });
        out[i].targets.extend(target);
    }
    let mut orphans = report.accounts.iter().any(|a| a.customer.is_none());
    // A finding in an account the report does not list has no customer either.
    let accounts = customer_of_accounts(report);
    orphans |= report
        .findings
        .iter()
        .any(|f| !accounts.contains_key(f.account_id.as_str()));
    if orphans {
        out.push(Customer {
            name: None,
            targets: Vec::new(),
        });
    }
    out
}

/// Account id to customer, for the accounts that have one.
pub(crate) fn customer_of_accounts(report: &Report) -> HashMap<&str, &str> {
    report
        .accounts
        .iter()
        .filter_map(|a| Some((a.account_id.as_str(), a.customer.as_deref()?)))
        .collect()
}

/// What the run covered, instead of a management account it does not have:
/// "3 targets · 2 customers". `None` for a single-organization report.
pub(crate) fn run_scope(report: &Report) -> Option<String> {
    if !is_multi_target(report) {
        return None;
    }
    let targets = report.run.targets.len();
    let customers = customers(report)
        .iter()
        .filter(|c| c.name.is_some())
        .count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    Some(format!(
        "{} · {}",
        plural(targets, "target"),
        plural(customers, "customer")
    ))
}

pub(crate) fn kind_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Organization => "organization",
        TargetKind::Account => "account",
    }
}

/// The id a person knows the target by: the organization's id, else its (management or
/// standalone) account id; `None` before either was discovered.
pub(crate) fn target_id(target: &Target) -> Option<&str> {
    match target.kind {
        TargetKind::Organization => target
            .organization_id
            .as_deref()
            .or(target.account_id.as_deref()),
        TargetKind::Account => target.account_id.as_deref(),
    }
}

/// How commands reach an account of a multi-target report: the account a member's role is
/// assumed from (its organization's management account), or `None` when the account is a
/// target's own management or standalone account, used with its own credentials.
pub(crate) struct Reach<'a> {
    targets: HashMap<&'a str, &'a Target>,
    account_target: HashMap<&'a str, &'a str>,
}

/// Where a plan step's commands run, see [`Reach::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunIn<'a> {
    /// An organization's management account: its own administrator credentials.
    Management,
    /// A standalone account: its own administrator credentials.
    Standalone,
    /// A member account: a role assumed from this management account (empty when unknown).
    Member { from: &'a str },
}

impl<'a> Reach<'a> {
    pub(crate) fn of(report: &'a Report) -> Self {
        Reach {
            targets: report
                .run
                .targets
                .iter()
                .map(|t| (t.name.as_str(), t))
                .collect(),
            account_target: report
                .accounts
                .iter()
                .filter_map(|a| Some((a.account_id.as_str(), a.target.as_deref()?)))
                .collect(),
        }
    }

    /// Where commands for `account_id` run, from the report's run when it is of one
    /// organization (`management`), else from the account's target.
    pub(crate) fn run_in(&self, account_id: &str, management: &'a str) -> RunIn<'a> {
        let target = self
            .account_target
            .get(account_id)
            .and_then(|name| self.targets.get(name));
        let Some(target) = target else {
            return if account_id == management {
                RunIn::Management
            } else {
                RunIn::Member { from: management }
            };
        };
        let own = target.account_id.as_deref() == Some(account_id);
        match (target.kind, own) {
            (TargetKind::Account, _) => RunIn::Standalone,
            (TargetKind::Organization, true) => RunIn::Management,
            (TargetKind::Organization, false) => RunIn::Member {
                from: target.account_id.as_deref().unwrap_or(""),
            },
        }
    }
}
