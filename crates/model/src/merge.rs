//! One consolidated report from the shards of a sharded scan (`scan --shard I/N` on several
//! machines, then `orgsweep merge`). Parts must come from the same run configuration (same
//! organization, scope digest, window and shard count); a duplicated shard is an error, and a
//! missing one is a coverage gap for every account it would have scanned, never silently
//! fewer accounts.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Account, Coverage, CoverageStatus, Report, shard_of};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("{0} is not a shard of a sharded scan (scan --shard I/N writes shards)")]
    NotAShard(String),
    #[error("{first} and {second} are from different runs: {what} differ ({a} vs {b})")]
    DifferentRuns {
        first: String,
        second: String,
        what: &'static str,
        a: String,
        b: String,
    },
    #[error("shard {index} of {count} appears twice: {first} and {second}")]
    Duplicate {
        index: u32,
        count: u32,
        first: String,
        second: String,
    },
}

/// Merges `parts` (each with the name it was read from, for messages).
pub fn merge(parts: Vec<(String, Report)>) -> Result<Report, MergeError> {
    let Some((first_name, first)) = parts.first() else {
        return Err(MergeError::Empty);
    };
    let first_shard = first
        .run
        .shard
        .clone()
        .ok_or_else(|| MergeError::NotAShard(first_name.clone()))?;
    let mut seen: BTreeMap<u32, String> = BTreeMap::new();
    for (name, part) in &parts {
        let shard = part
            .run
            .shard
            .as_ref()
            .ok_or_else(|| MergeError::NotAShard(name.clone()))?;
        let differ = |what: &'static str, a: String, b: String| {
            if a == b {
                Ok(())
            } else {
                Err(MergeError::DifferentRuns {
                    first: first_name.clone(),
                    second: name.clone(),
                    what,
                    a,
                    b,
                })
            }
        };
        differ(
            "management accounts",
            first.run.management_account_id.clone(),
            part.run.management_account_id.clone(),
        )?;
        differ(
            "organizations",
            format!("{:?}", first.run.organization_id),
            format!("{:?}", part.run.organization_id),
        )?;
        differ(
            "scopes (flags, settings, baseline)",
            format!("{:?}", first.run.scope_digest),
            format!("{:?}", part.run.scope_digest),
        )?;
        differ(
            "windows",
            first.run.window_days.to_string(),
            part.run.window_days.to_string(),
        )?;
        differ(
            "shard counts",
            first_shard.count.to_string(),
            shard.count.to_string(),
        )?;
        if let Some(other) = seen.insert(shard.index, name.clone()) {
            return Err(MergeError::Duplicate {
                index: shard.index,
                count: shard.count,
                first: other,
                second: name.clone(),
            });
        }
    }

    let count = first_shard.count;
    let selected: BTreeSet<String> = parts
        .iter()
        .filter_map(|(_, p)| p.run.shard.as_ref())
        .flat_map(|s| s.selected_accounts.iter().cloned())
        .collect();
    let mut parts: Vec<Report> = parts.into_iter().map(|(_, p)| p).collect();
    let mut merged = parts.remove(0);
    merged.run.shard = None;
    for part in parts {
        absorb(&mut merged, part);
    }

    // The accounts of a missing shard: listed, not scanned, and a gap each.
    let present: BTreeSet<u32> = seen.keys().copied().collect();
    let known: BTreeSet<String> = merged
        .accounts
        .iter()
        .map(|a| a.account_id.clone())
        .collect();
    for id in selected.iter().filter(|id| !known.contains(*id)) {
        let shard = shard_of(id, count);
        let why = if present.contains(&shard) {
            format!("not in shard {shard} of {count}, which should have scanned it")
        } else {
            format!("shard {shard} of {count} is missing from the merge")
        };
        merged.accounts.push(Account {
            account_id: id.clone(),
            status: "UNKNOWN".to_owned(),
            scanned: false,
            ..Account::default()
        });
        merged.coverage.push(Coverage {
            account_id: id.clone(),
            region: None,
            check_id: None,
            status: CoverageStatus::Failed,
            error: Some(why),
        });
    }
    merged.sort();
    Ok(merged)
}

/// Adds `part`'s accounts, coverage, findings, inventory and counters to `merged`, and
/// widens its run to cover both (times, regions, events sources).
pub(crate) fn absorb(merged: &mut Report, part: Report) {
    merged.run.started_at = merged.run.started_at.min(part.run.started_at);
    merged.run.finished_at = merged.run.finished_at.max(part.run.finished_at);
    merged.run.regions.extend(part.run.regions);
    merged.run.regions.sort();
    merged.run.regions.dedup();
    if let Some(source) = part.run.events_source
        && !merged
            .run
            .events_source
            .as_deref()
            .is_some_and(|mine| mine.split("; ").any(|s| s == source))
    {
        let joined = match merged.run.events_source.take() {
            Some(mine) => format!("{mine}; {source}"),
            None => source,
        };
        merged.run.events_source = Some(joined);
    }
    merged.accounts.extend(part.accounts);
    merged.coverage.extend(part.coverage);
    merged.findings.extend(part.findings);
    merged.inventory.extend(part.inventory);
    let stats = &mut merged.stats;
    stats.duration_ms = stats.duration_ms.max(part.stats.duration_ms);
    for (call, n) in part.stats.api_calls {
        *stats.api_calls.entry(call).or_default() += n;
    }
    stats.throttled += part.stats.throttled;
    stats.retries += part.stats.retries;
    stats.resumed_accounts += part.stats.resumed_accounts;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{finding, report};
    use crate::{Shard, shard_of};

    fn part(index: u32, count: u32, all: &[&str]) -> (String, Report) {
        let mut r = report(Vec::new(), Vec::new());
        r.run.scope_digest = Some("d".to_owned());
        r.run.shard = Some(Shard {
            index,
            count,
            selected_accounts: all.iter().map(|s| (*s).to_owned()).collect(),
        });
        let mine: Vec<&str> = all
            .iter()
            .copied()
            .filter(|a| shard_of(a, count) == index)
            .collect();
        r.accounts = mine
            .iter()
            .map(|a| Account {
                account_id: (*a).to_owned(),
                scanned: true,
                ..Account::default()
            })
            .collect();
        r.coverage.clear();
        r.findings = mine
            .iter()
            .map(|a| {
                let mut f = finding(a);
                f.account_id = (*a).to_owned();
                f
            })
            .collect();
        r.stats
            .api_calls
            .insert("sts.AssumeRole".to_owned(), mine.len() as u64);
        (format!("part-{index}"), r)
    }

    const ACCOUNTS: [&str; 6] = [
        "100000000001",
        "100000000002",
        "100000000003",
        "100000000004",
        "100000000005",
        "100000000006",
    ];

    #[test]
    fn shards_merge_into_one_report_and_a_missing_shard_is_a_gap() {
        let all: Vec<(String, Report)> = (1..=3).map(|i| part(i, 3, &ACCOUNTS)).collect();
        let merged = merge(all.clone()).expect("merges");
        assert_eq!(merged.accounts.len(), ACCOUNTS.len());
        assert_eq!(merged.findings.len(), ACCOUNTS.len());
        assert!(merged.run.shard.is_none());
        assert_eq!(
            merged.stats.api_calls.get("sts.AssumeRole"),
            Some(&(ACCOUNTS.len() as u64))
        );
        assert!(merged.coverage.is_empty());

        let missing_one: Vec<_> = all.iter().filter(|(n, _)| n != "part-2").cloned().collect();
        let merged = merge(missing_one).expect("merges");
        assert_eq!(
            merged.accounts.len(),
            ACCOUNTS.len(),
            "never silently fewer accounts"
        );
        let gaps: Vec<&Coverage> = merged.coverage.iter().collect();
        let in_two = ACCOUNTS.iter().filter(|a| shard_of(a, 3) == 2).count();
        assert_eq!(gaps.len(), in_two);
        assert!(gaps.iter().all(|c| c.status == CoverageStatus::Failed
            && c.error.as_deref() == Some("shard 2 of 3 is missing from the merge")));
    }

    #[test]
    fn duplicated_shards_and_other_runs_are_refused() {
        let a = part(1, 3, &ACCOUNTS);
        let err = merge(vec![a.clone(), a.clone()]).unwrap_err();
        assert!(
            matches!(err, MergeError::Duplicate { index: 1, .. }),
            "{err}"
        );
        let mut other = part(2, 3, &ACCOUNTS);
        other.1.run.scope_digest = Some("e".to_owned());
        let err = merge(vec![a.clone(), other]).unwrap_err();
        assert!(err.to_string().contains("scopes"), "{err}");
        let err = merge(vec![a, part(2, 4, &ACCOUNTS)]).unwrap_err();
        assert!(err.to_string().contains("shard counts"), "{err}");
        let mut plain = part(1, 3, &ACCOUNTS);
        plain.1.run.shard = None;
        assert_eq!(
            merge(vec![plain]).unwrap_err(),
            MergeError::NotAShard("part-1".to_owned())
        );
    }
}
