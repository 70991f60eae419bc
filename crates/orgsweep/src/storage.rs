//! Reading and writing reports where scheduled jobs keep them: a local directory or file,
//! or an S3 prefix or object (`s3://bucket/prefix/`, `s3://bucket/prefix/report.json`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use orgsweep_aws::{Limits, Location, Session, SessionOptions, Store};
use orgsweep_model::Report;
use orgsweep_report::Format;

/// How to reach AWS for S3 locations (the flags of commands that read or write them).
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub sse_kms_key: Option<String>,
}

impl Access {
    /// Connects only when one of `locations` is in S3: local work needs no credentials.
    pub async fn session_for(&self, locations: &[&str]) -> anyhow::Result<Option<Session>> {
        if !locations.iter().any(|l| l.starts_with("s3://")) {
            return Ok(None);
        }
        let session = Session::connect(
            SessionOptions {
                profile: self.profile.clone(),
                endpoint_url: self.endpoint_url.clone(),
                ..SessionOptions::default()
            },
            Limits::default(),
        )
        .await?;
        Ok(Some(session))
    }

    /// The store of an output location.
    pub async fn store(&self, location: &str, session: Option<&Session>) -> anyhow::Result<Store> {
        let location: Location = location.parse().map_err(|e: String| anyhow!("{e}"))?;
        Ok(Store::open(location, session, self.sse_kms_key.clone()).await?)
    }
}

/// Splits a report location into its directory (or prefix) and file name: a directory or
/// prefix means its `report.json`.
fn report_at(location: &str) -> (String, String) {
    if let Some(rest) = location.strip_prefix("s3://") {
        if location.ends_with(".json") {
            let (dir, name) = rest.rsplit_once('/').unwrap_or((rest, ""));
            return (format!("s3://{dir}/"), name.to_owned());
        }
        return (location.to_owned(), "report.json".to_owned());
    }
    let path = Path::new(location);
    if path.is_dir() {
        return (location.to_owned(), "report.json".to_owned());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = path.file_name().map_or_else(
        || "report.json".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    (dir.display().to_string(), name)
}

/// Reads and parses a report; errors name the location once.
pub async fn read_report(
    location: &str,
    access: &Access,
    session: Option<&Session>,
) -> anyhow::Result<Report> {
    let (dir, name) = report_at(location);
    let store = access.store(&dir, session).await?;
    let shown = store.describe(&name);
    let bytes = store
        .get(&name)
        .await?
        .ok_or_else(|| anyhow!("cannot read {shown}: no such file"))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("{shown}: not UTF-8 text"))?;
    orgsweep_model::parse_report(&text).map_err(|e| anyhow!("{shown}: {e}"))
}

/// The directory (or prefix) a report was read from: where its re-renders and plan go.
pub fn report_dir(location: &str) -> String {
    report_at(location).0
}

/// Renders `formats` and puts every file into `store`, each whole; returns where they went.
/// A directory gets them through [`orgsweep_report::write`] (all rendered before any is
/// renamed into place); an S3 prefix one object at a time, as each is rendered.
pub async fn write_report(
    store: &Store,
    report: &Report,
    formats: &[Format],
) -> anyhow::Result<Vec<String>> {
    if let Location::Local(dir) = store.location() {
        let paths = orgsweep_report::write(report, dir, formats)?;
        return Ok(paths.iter().map(|p| p.display().to_string()).collect());
    }
    let mut written = Vec::new();
    for rendered in orgsweep_report::render(report, formats) {
        let (name, text) = rendered?;
        written.push(
            store
                .put(name, text.into_bytes())
                .await
                .with_context(|| format!("cannot write {}", store.describe(name)))?,
        );
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_locations_split_into_directory_and_file() {
        assert_eq!(
            report_at("s3://b/run/"),
            ("s3://b/run/".to_owned(), "report.json".to_owned())
        );
        assert_eq!(
            report_at("s3://b/run/report.json"),
            ("s3://b/run/".to_owned(), "report.json".to_owned())
        );
        assert_eq!(
            report_at("reports/x/report.json"),
            ("reports/x".to_owned(), "report.json".to_owned())
        );
        assert_eq!(
            report_at("last.json"),
            (".".to_owned(), "last.json".to_owned())
        );
    }
}
