//! The spool of a scan: each account's results are written as soon as that account
//! completes, durably (locally: temporary file, fsync, rename, fsync of the directory; in
//! S3: one whole PutObject), and dropped from memory. The final report is assembled from
//! it, and it is the journal `--resume` continues from: an account with a record is
//! complete, anything else is scanned again, so `kill -9` loses at most the accounts in
//! flight. With `--out s3://…` the spool is in S3 too, so a job retried on another machine
//! resumes where the killed one stopped.
//!
//! Layout, inside the output location: `.orgsweep-spool/scan.json` (what the scan looks at,
//! so a resume with other flags is refused) and `.orgsweep-spool/accounts/<id>.json`.

use std::collections::{BTreeMap, BTreeSet};

use orgsweep_aws::{AwsError, Store};
use orgsweep_model::{Account, Coverage, Finding, InventoryItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The spool format; a spool of another version is not resumed.
const SPOOL_VERSION: u32 = 1;
const SPOOL_DIR: &str = ".orgsweep-spool";

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("{0}")]
    Store(#[from] AwsError),
    #[error("{path}: not a spool record of this orgsweep: {error}")]
    Corrupt { path: String, error: String },
    #[error("nothing to resume in {0}: no interrupted scan there")]
    NothingToResume(String),
    #[error(
        "cannot resume: the interrupted scan used {key} = {was}, this run asks for {now}; \
         rerun with the same flags, or scan into another --out"
    )]
    DifferentScope {
        key: String,
        was: String,
        now: String,
    },
}

/// What a scan looks at and how it judges, by name: two runs with the same scope give the
/// same report for the same organization state.
pub type Scope = BTreeMap<String, String>;

/// The spool's header.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpoolHeader {
    pub version: u32,
    pub scope: Scope,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
}

/// One account's part of the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountRecord {
    pub account: Option<Account>,
    pub coverage: Vec<Coverage>,
    pub findings: Vec<Finding>,
    pub inventory: Vec<InventoryItem>,
}

#[derive(Debug, Clone)]
pub struct Spool {
    dir: Store,
    accounts: Store,
    header: SpoolHeader,
}

impl Spool {
    /// Whether `out` holds a spool (an interrupted scan).
    pub async fn exists(out: &Store) -> Result<bool, SpoolError> {
        Ok(out.sub(SPOOL_DIR).exists("scan.json").await?)
    }

    /// Starts a fresh spool in `out`, replacing any earlier one.
    pub async fn create(
        out: &Store,
        scope: Scope,
        started_at: OffsetDateTime,
    ) -> Result<Spool, SpoolError> {
        let dir = out.sub(SPOOL_DIR);
        dir.delete_all().await?;
        let header = SpoolHeader {
            version: SPOOL_VERSION,
            scope,
            started_at,
        };
        let bytes = serde_json::to_vec_pretty(&header).map_err(|e| SpoolError::Corrupt {
            path: dir.describe("scan.json"),
            error: e.to_string(),
        })?;
        dir.put("scan.json", bytes).await?;
        Ok(Spool {
            accounts: dir.sub("accounts"),
            dir,
            header,
        })
    }

    /// Opens the spool of an interrupted scan in `out`, refusing one whose scope differs
    /// from `scope`, naming the first difference.
    pub async fn resume(out: &Store, scope: &Scope) -> Result<Spool, SpoolError> {
        let dir = out.sub(SPOOL_DIR);
        let Some(text) = dir.get("scan.json").await? else {
            return Err(SpoolError::NothingToResume(out.location().to_string()));
        };
        let header: SpoolHeader =
            serde_json::from_slice(&text).map_err(|e| SpoolError::Corrupt {
                path: dir.describe("scan.json"),
                error: e.to_string(),
            })?;
        if header.version != SPOOL_VERSION {
            return Err(SpoolError::Corrupt {
                path: dir.describe("scan.json"),
                error: format!("spool version {}", header.version),
            });
        }
        let keys: BTreeSet<&String> = header.scope.keys().chain(scope.keys()).collect();
        for key in keys {
            let was = header.scope.get(key).map_or("(unset)", String::as_str);
            let now = scope.get(key).map_or("(unset)", String::as_str);
            if was != now {
                return Err(SpoolError::DifferentScope {
                    key: key.clone(),
                    was: was.to_owned(),
                    now: now.to_owned(),
                });
            }
        }
        Ok(Spool {
            accounts: dir.sub("accounts"),
            dir,
            header,
        })
    }

    pub fn header(&self) -> &SpoolHeader {
        &self.header
    }

    /// The accounts whose records are complete.
    pub async fn completed(&self) -> Result<BTreeSet<String>, SpoolError> {
        Ok(self
            .accounts
            .list()
            .await?
            .into_iter()
            // Temporary files of an interrupted local write start with a dot.
            .filter_map(|name| {
                name.strip_suffix(".json")
                    .filter(|id| !id.starts_with('.'))
                    .map(str::to_owned)
            })
            .collect())
    }

    /// Writes one account's record durably.
    pub async fn write(&self, account_id: &str, record: &AccountRecord) -> Result<(), SpoolError> {
        let name = format!("{account_id}.json");
        let bytes = serde_json::to_vec(record).map_err(|e| SpoolError::Corrupt {
            path: self.accounts.describe(&name),
            error: e.to_string(),
        })?;
        self.accounts.put(&name, bytes).await?;
        Ok(())
    }

    pub async fn read(&self, account_id: &str) -> Result<AccountRecord, SpoolError> {
        let name = format!("{account_id}.json");
        let bytes = self
            .accounts
            .get(&name)
            .await?
            .ok_or_else(|| SpoolError::Corrupt {
                path: self.accounts.describe(&name),
                error: "missing".to_owned(),
            })?;
        serde_json::from_slice(&bytes).map_err(|e| SpoolError::Corrupt {
            path: self.accounts.describe(&name),
            error: e.to_string(),
        })
    }

    /// Removes the spool once the report it fed is written.
    pub async fn remove(self) -> Result<(), SpoolError> {
        Ok(self.dir.delete_all().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(window: &str) -> Scope {
        Scope::from([
            ("accounts".to_owned(), "all".to_owned()),
            ("window_days".to_owned(), window.to_owned()),
        ])
    }

    #[tokio::test]
    async fn records_survive_and_a_different_scope_is_refused_by_name() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = Store::local(tmp.path());
        let spool = Spool::create(&out, scope("7"), OffsetDateTime::UNIX_EPOCH)
            .await
            .expect("created");
        spool
            .write("111111111111", &AccountRecord::default())
            .await
            .expect("written");
        // A temporary file of an interrupted write is not a completed account.
        std::fs::write(
            tmp.path().join(".orgsweep-spool/accounts/.orgsweep-x.tmp"),
            b"{",
        )
        .expect("junk");
        assert!(Spool::exists(&out).await.expect("exists"));

        let resumed = Spool::resume(&out, &scope("7"))
            .await
            .expect("same scope resumes");
        assert_eq!(
            resumed.completed().await.expect("listed"),
            BTreeSet::from(["111111111111".to_owned()])
        );
        assert!(resumed.read("111111111111").await.is_ok());

        let err = Spool::resume(&out, &scope("30")).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resume: the interrupted scan used window_days = 7, this run asks for 30; \
             rerun with the same flags, or scan into another --out"
        );
        resumed.remove().await.expect("removed");
        assert!(matches!(
            Spool::resume(&out, &scope("7")).await,
            Err(SpoolError::NothingToResume(_))
        ));
    }
}
