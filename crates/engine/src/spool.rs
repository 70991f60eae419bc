//! The on-disk spool of a scan: each account's results are written as soon as that account
//! completes, durably (temporary file, fsync, rename, fsync of the directory), and dropped
//! from memory. The final report is assembled from it, and it is the journal `--resume`
//! continues from: an account with a record is complete, anything else is scanned again, so
//! `kill -9` loses at most the accounts in flight.
//!
//! Layout, inside the output directory: `.orgsweep-spool/scan.json` (what the scan looks at,
//! so a resume with other flags is refused) and `.orgsweep-spool/accounts/<id>.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use orgsweep_model::{Account, Coverage, Finding, InventoryItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The spool format; a spool of another version is not resumed.
const SPOOL_VERSION: u32 = 1;
const SPOOL_DIR: &str = ".orgsweep-spool";

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("cannot {action} {}: {error}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    #[error("{}: not a spool record of this orgsweep: {error}", path.display())]
    Corrupt { path: PathBuf, error: String },
    #[error("nothing to resume in {}: no interrupted scan there", .0.display())]
    NothingToResume(PathBuf),
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

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SpoolError + 'a {
    move |error| SpoolError::Io {
        action,
        path: path.to_owned(),
        error,
    }
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

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    accounts: PathBuf,
    header: SpoolHeader,
}

impl Spool {
    /// Whether `out` holds a spool (an interrupted scan).
    pub fn exists(out: &Path) -> bool {
        out.join(SPOOL_DIR).join("scan.json").is_file()
    }

    /// Starts a fresh spool in `out`, replacing any earlier one.
    pub fn create(
        out: &Path,
        scope: Scope,
        started_at: OffsetDateTime,
    ) -> Result<Spool, SpoolError> {
        let dir = out.join(SPOOL_DIR);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_error("remove the old spool", &dir))?;
        }
        let accounts = dir.join("accounts");
        fs::create_dir_all(&accounts).map_err(io_error("create", &accounts))?;
        let header = SpoolHeader {
            version: SPOOL_VERSION,
            scope,
            started_at,
        };
        let bytes = serde_json::to_vec_pretty(&header).map_err(|e| SpoolError::Corrupt {
            path: dir.clone(),
            error: e.to_string(),
        })?;
        write_durably(&dir, &dir.join("scan.json"), &bytes)?;
        Ok(Spool {
            dir,
            accounts,
            header,
        })
    }

    /// Opens the spool of an interrupted scan in `out`, refusing one whose scope differs
    /// from `scope`, naming the first difference.
    pub fn resume(out: &Path, scope: &Scope) -> Result<Spool, SpoolError> {
        let dir = out.join(SPOOL_DIR);
        let path = dir.join("scan.json");
        if !path.is_file() {
            return Err(SpoolError::NothingToResume(out.to_owned()));
        }
        let text = fs::read(&path).map_err(io_error("read", &path))?;
        let header: SpoolHeader =
            serde_json::from_slice(&text).map_err(|e| SpoolError::Corrupt {
                path: path.clone(),
                error: e.to_string(),
            })?;
        if header.version != SPOOL_VERSION {
            return Err(SpoolError::Corrupt {
                path,
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
            accounts: dir.join("accounts"),
            dir,
            header,
        })
    }

    pub fn header(&self) -> &SpoolHeader {
        &self.header
    }

    fn record_path(&self, account_id: &str) -> PathBuf {
        self.accounts.join(format!("{account_id}.json"))
    }

    /// The accounts whose records are complete.
    pub fn completed(&self) -> Result<BTreeSet<String>, SpoolError> {
        let mut done = BTreeSet::new();
        let entries = fs::read_dir(&self.accounts).map_err(io_error("list", &self.accounts))?;
        for entry in entries {
            let entry = entry.map_err(io_error("list", &self.accounts))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Temporary files of an interrupted write start with a dot.
            if let Some(id) = name.strip_suffix(".json")
                && !id.starts_with('.')
            {
                done.insert(id.to_owned());
            }
        }
        Ok(done)
    }

    /// Writes one account's record durably.
    pub fn write(&self, account_id: &str, record: &AccountRecord) -> Result<(), SpoolError> {
        let path = self.record_path(account_id);
        let bytes = serde_json::to_vec(record).map_err(|e| SpoolError::Corrupt {
            path: path.clone(),
            error: e.to_string(),
        })?;
        write_durably(&self.accounts, &path, &bytes)
    }

    pub fn read(&self, account_id: &str) -> Result<AccountRecord, SpoolError> {
        let path = self.record_path(account_id);
        let bytes = fs::read(&path).map_err(io_error("read", &path))?;
        serde_json::from_slice(&bytes).map_err(|e| SpoolError::Corrupt {
            path,
            error: e.to_string(),
        })
    }

    /// Removes the spool once the report it fed is written.
    pub fn remove(self) -> Result<(), SpoolError> {
        fs::remove_dir_all(&self.dir).map_err(io_error("remove", &self.dir))
    }
}

/// Writes `bytes` to `path` so that after a crash it holds either nothing or all of them:
/// a temporary file in the same directory, fsync, rename, fsync of the directory.
fn write_durably(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), SpoolError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> io::Result<()> {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        File::open(dir)?.sync_all()
    };
    write().map_err(|error| {
        let _ = fs::remove_file(&temp);
        SpoolError::Io {
            action: "write",
            path: path.to_owned(),
            error,
        }
    })
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

    #[test]
    fn records_survive_and_a_different_scope_is_refused_by_name() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let spool =
            Spool::create(tmp.path(), scope("7"), OffsetDateTime::UNIX_EPOCH).expect("created");
        spool
            .write("111111111111", &AccountRecord::default())
            .expect("written");
        // A temporary file of an interrupted write is not a completed account.
        fs::write(spool.accounts.join(".222222222222.json.1.tmp"), b"{").expect("junk");
        assert!(Spool::exists(tmp.path()));

        let resumed = Spool::resume(tmp.path(), &scope("7")).expect("same scope resumes");
        assert_eq!(
            resumed.completed().expect("listed"),
            BTreeSet::from(["111111111111".to_owned()])
        );
        assert!(resumed.read("111111111111").is_ok());

        let err = Spool::resume(tmp.path(), &scope("30")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resume: the interrupted scan used window_days = 7, this run asks for 30; \
             rerun with the same flags, or scan into another --out"
        );
        resumed.remove().expect("removed");
        assert!(matches!(
            Spool::resume(tmp.path(), &scope("7")),
            Err(SpoolError::NothingToResume(_))
        ));
    }
}
