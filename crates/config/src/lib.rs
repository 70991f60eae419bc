//! The two files a user edits: the settings file (`orgsweep.toml`, `--config`) and the
//! baseline (`--baseline`, written by `orgsweep baseline`). Both are TOML; unknown keys and
//! bad values are errors that name the file and the line, because a typo that silently
//! falls back to a default would make a security scan quietly weaker.

mod baseline;
mod mute;
mod rules;
mod settings;
mod targets;

pub use baseline::{BASELINE_VERSION, Baseline, baseline_from_report};
pub use settings::ConfigFile;
pub use targets::{Reach, TargetEntry, TargetSpec, Targets, load_targets};

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The line (1-based) of a byte offset, for messages.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

/// Parses TOML, turning toml's multi-line message into one line with the line number.
fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Invalid {
        path: path.to_owned(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().replace('\n', " "),
    })
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

/// A region name as AWS spells them (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`):
/// checked before connecting so a typo fails at once, naming where it is.
pub fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// A short digest of a file's text, so two runs can tell whether they used the same one.
fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    hash[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// A 12-digit AWS account id.
fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}
