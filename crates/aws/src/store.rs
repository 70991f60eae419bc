//! Where a scan's files live: a local directory or an S3 prefix (`--out s3://bucket/prefix/`,
//! `merge s3://…`, `--previous s3://…`). Both give the same guarantee: a reader sees a
//! whole file or none. Locally a file is written to a temporary name, synced and renamed;
//! in S3 an object is uploaded whole with one PutObject, which S3 makes visible only once
//! complete. Objects are encrypted at rest (SSE-S3, or SSE-KMS with `--sse-kms-key`).

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use time::OffsetDateTime;

use crate::error::AwsError;
use crate::session::Session;

/// A directory or an S3 prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3 {
        bucket: String,
        /// Empty, or ending in `/`.
        prefix: String,
    },
}

impl FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("s3://") {
            None if s.is_empty() => Err("an empty path".to_owned()),
            None => Ok(Location::Local(PathBuf::from(s))),
            Some(rest) => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(format!(
                        "'{s}' names no bucket (expected s3://bucket/prefix/)"
                    ));
                }
                let prefix = prefix.trim_matches('/');
                Ok(Location::S3 {
                    bucket: bucket.to_owned(),
                    prefix: if prefix.is_empty() {
                        String::new()
                    } else {
                        format!("{prefix}/")
                    },
                })
            }
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

impl Location {
    pub fn is_s3(&self) -> bool {
        matches!(self, Location::S3 { .. })
    }

    /// A sub-directory (or sub-prefix).
    pub fn join(&self, name: &str) -> Location {
        match self {
            Location::Local(path) => Location::Local(path.join(name)),
            Location::S3 { bucket, prefix } => Location::S3 {
                bucket: bucket.clone(),
                prefix: format!("{prefix}{}/", name.trim_matches('/')),
            },
        }
    }

    /// Replaces `{date}` (UTC `YYYY-MM-DD`), `{week}` (ISO week, `2026-W48`) and `{shard}`
    /// (`I-of-N`) so a scheduled job and its merge agree on one place per run without a
    /// shell to compute it.
    pub fn expand(text: &str, now: OffsetDateTime, shard: Option<(u32, u32)>) -> String {
        let (year, week, _) = now.to_iso_week_date();
        let mut out = text
            .replace(
                "{date}",
                &format!(
                    "{:04}-{:02}-{:02}",
                    now.year(),
                    u8::from(now.month()),
                    now.day()
                ),
            )
            .replace("{week}", &format!("{year:04}-W{week:02}"));
        if let Some((index, count)) = shard {
            out = out.replace("{shard}", &format!("{index}-of-{count}"));
        }
        out
    }
}

/// Files in a [`Location`], through the caller's credentials for S3.
#[derive(Debug, Clone)]
pub struct Store {
    location: Location,
    s3: Option<aws_sdk_s3::Client>,
    kms_key: Option<String>,
}

fn io_error(what: &str, location: &str, e: io::Error) -> AwsError {
    AwsError::Other {
        operation: "file",
        message: format!("cannot {what} {location}: {e}"),
    }
}

impl Store {
    /// A local store needs no session.
    pub fn local(dir: &Path) -> Store {
        Store {
            location: Location::Local(dir.to_owned()),
            s3: None,
            kms_key: None,
        }
    }

    /// A store at `location`; S3 needs `session` (the caller's credentials) and finds the
    /// bucket's region first, so a bucket elsewhere than the home region works.
    pub async fn open(
        location: Location,
        session: Option<&Session>,
        kms_key: Option<String>,
    ) -> Result<Store, AwsError> {
        let s3 = match &location {
            Location::Local(_) => None,
            Location::S3 { bucket, .. } => {
                let session = session.ok_or_else(|| AwsError::Other {
                    operation: "s3",
                    message: format!("{location}: S3 needs AWS credentials"),
                })?;
                let caller = session.own(&session.caller().account_id);
                let client = caller.s3();
                // HeadBucket needs s3:ListBucket on the bucket, which a writer limited to
                // its prefix may lack; S3 names the bucket's region in the 403 as well, and
                // the probe write that follows is what decides whether the store is usable.
                let region = match client.head_bucket().bucket(bucket).send().await {
                    Ok(head) => head.bucket_region().map(str::to_owned),
                    Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => e
                        .raw_response()
                        .and_then(|r| r.headers().get("x-amz-bucket-region"))
                        .map(str::to_owned),
                    Err(e) => return Err(caller.error("s3:HeadBucket", e)),
                };
                match region.as_deref() {
                    Some(region)
                        if Some(region) != client.config().region().map(|r| r.as_ref()) =>
                    {
                        let config = client
                            .config()
                            .to_builder()
                            .region(aws_sdk_s3::config::Region::new(region.to_owned()))
                            .build();
                        Some(aws_sdk_s3::Client::from_conf(config))
                    }
                    _ => Some(client),
                }
            }
        };
        Ok(Store {
            location,
            s3,
            kms_key,
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The same store one level down.
    pub fn sub(&self, name: &str) -> Store {
        Store {
            location: self.location.join(name),
            s3: self.s3.clone(),
            kms_key: self.kms_key.clone(),
        }
    }

    fn key(prefix: &str, name: &str) -> String {
        format!("{prefix}{name}")
    }

    /// Where `name` is, for messages.
    pub fn describe(&self, name: &str) -> String {
        match &self.location {
            Location::Local(dir) => dir.join(name).display().to_string(),
            Location::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}{name}"),
        }
    }

    /// Writes `bytes` as `name`, whole or not at all (see the module doc). Local files are
    /// readable by their owner only: a report maps the organization's weaknesses.
    pub async fn put(&self, name: &str, bytes: Vec<u8>) -> Result<String, AwsError> {
        let shown = self.describe(name);
        match (&self.location, &self.s3) {
            (Location::Local(dir), _) => {
                write_durably(dir, &dir.join(name), &bytes)
                    .map_err(|e| io_error("write", &shown, e))?;
            }
            (Location::S3 { bucket, prefix }, Some(s3)) => {
                let mut put = s3
                    .put_object()
                    .bucket(bucket)
                    .key(Store::key(prefix, name))
                    .body(ByteStream::from(bytes));
                put = match &self.kms_key {
                    Some(key) => put
                        .server_side_encryption(ServerSideEncryption::AwsKms)
                        .ssekms_key_id(key),
                    None => put.server_side_encryption(ServerSideEncryption::Aes256),
                };
                put.send()
                    .await
                    .map_err(|e| s3_error("s3:PutObject", &shown, e))?;
            }
            (Location::S3 { .. }, None) => return Err(no_client(&shown)),
        }
        Ok(shown)
    }

    /// Reads `name`; `None` when it does not exist.
    pub async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, AwsError> {
        let shown = self.describe(name);
        match (&self.location, &self.s3) {
            (Location::Local(dir), _) => match fs::read(dir.join(name)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_error("read", &shown, e)),
            },
            (Location::S3 { bucket, prefix }, Some(s3)) => {
                match s3
                    .get_object()
                    .bucket(bucket)
                    .key(Store::key(prefix, name))
                    .send()
                    .await
                {
                    Ok(object) => {
                        let bytes = object.body.collect().await.map_err(|e| AwsError::Other {
                            operation: "s3:GetObject",
                            message: format!("reading {shown}: {e}"),
                        })?;
                        Ok(Some(bytes.into_bytes().to_vec()))
                    }
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                    Err(e) => Err(s3_error("s3:GetObject", &shown, e)),
                }
            }
            (Location::S3 { .. }, None) => Err(no_client(&shown)),
        }
    }

    pub async fn exists(&self, name: &str) -> Result<bool, AwsError> {
        match (&self.location, &self.s3) {
            (Location::Local(dir), _) => Ok(dir.join(name).exists()),
            (Location::S3 { bucket, prefix }, Some(s3)) => {
                let listed = s3
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(Store::key(prefix, name))
                    .max_keys(1)
                    .send()
                    .await
                    .map_err(|e| s3_error("s3:ListObjectsV2", &self.describe(name), e))?;
                Ok(listed
                    .contents()
                    .iter()
                    .any(|o| o.key() == Some(Store::key(prefix, name).as_str())))
            }
            (Location::S3 { .. }, None) => Err(no_client(&self.describe(name))),
        }
    }

    /// The names directly in this store (files and, with a trailing `/`, sub-directories).
    pub async fn list(&self) -> Result<Vec<String>, AwsError> {
        match (&self.location, &self.s3) {
            (Location::Local(dir), _) => {
                let entries = match fs::read_dir(dir) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(io_error("list", &self.location.to_string(), e)),
                };
                let mut names = Vec::new();
                for entry in entries {
                    let entry =
                        entry.map_err(|e| io_error("list", &self.location.to_string(), e))?;
                    let mut name = entry.file_name().to_string_lossy().into_owned();
                    if entry.path().is_dir() {
                        name.push('/');
                    }
                    names.push(name);
                }
                names.sort();
                Ok(names)
            }
            (Location::S3 { bucket, prefix }, Some(s3)) => {
                let mut pages = s3
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .delimiter("/")
                    .into_paginator()
                    .send();
                let mut names = Vec::new();
                while let Some(page) = pages.next().await {
                    let page = page
                        .map_err(|e| s3_error("s3:ListObjectsV2", &self.location.to_string(), e))?;
                    names.extend(
                        page.contents()
                            .iter()
                            .filter_map(|o| o.key())
                            .filter_map(|k| k.strip_prefix(prefix.as_str()))
                            .map(str::to_owned),
                    );
                    names.extend(
                        page.common_prefixes()
                            .iter()
                            .filter_map(|p| p.prefix())
                            .filter_map(|k| k.strip_prefix(prefix.as_str()))
                            .map(str::to_owned),
                    );
                }
                names.sort();
                Ok(names)
            }
            (Location::S3 { .. }, None) => Err(no_client(&self.location.to_string())),
        }
    }

    /// Deletes `name`; a missing one is fine.
    pub async fn delete(&self, name: &str) -> Result<(), AwsError> {
        let shown = self.describe(name);
        match (&self.location, &self.s3) {
            (Location::Local(dir), _) => match fs::remove_file(dir.join(name)) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io_error("remove", &shown, e)),
            },
            (Location::S3 { bucket, prefix }, Some(s3)) => s3
                .delete_object()
                .bucket(bucket)
                .key(Store::key(prefix, name))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| s3_error("s3:DeleteObject", &shown, e)),
            (Location::S3 { .. }, None) => Err(no_client(&shown)),
        }
    }

    /// Deletes everything in this store (a spool that served its purpose).
    pub async fn delete_all(&self) -> Result<(), AwsError> {
        if let Location::Local(dir) = &self.location {
            return match fs::remove_dir_all(dir) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io_error("remove", &dir.display().to_string(), e)),
            };
        }
        for name in self.list().await? {
            match name.strip_suffix('/') {
                Some(sub) => Box::pin(self.sub(sub).delete_all()).await?,
                None => self.delete(&name).await?,
            }
        }
        Ok(())
    }

    /// Checks, before an hour of scanning, that files can be written here, leaving nothing
    /// behind (and, locally, creating no directory).
    pub async fn check_writable(&self) -> Result<(), AwsError> {
        match &self.location {
            Location::Local(dir) => check_local_writable(dir)
                .map_err(|e| io_error("write in", &dir.display().to_string(), e)),
            Location::S3 { .. } => {
                let probe = ".orgsweep-write-probe";
                self.put(probe, Vec::new()).await?;
                self.delete(probe).await
            }
        }
    }
}

fn no_client(shown: &str) -> AwsError {
    AwsError::Other {
        operation: "s3",
        message: format!("{shown}: no S3 client"),
    }
}

fn s3_error<E>(
    operation: &'static str,
    shown: &str,
    err: aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> AwsError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    match crate::error::from_sdk(operation, shown, &err) {
        AwsError::Service {
            operation,
            code,
            message,
        } => AwsError::Service {
            operation,
            code,
            message: format!("{shown}: {message}"),
        },
        other => other,
    }
}

/// Checks that `dir`, or the nearest ancestor that exists, is a directory a file can be
/// created in, without creating anything that stays.
fn check_local_writable(dir: &Path) -> io::Result<()> {
    let mut existing = dir;
    while !existing.exists() {
        match existing.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    if !existing.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", existing.display()),
        ));
    }
    let probe = existing.join(format!(".orgsweep-probe-{}", std::process::id()));
    File::create(&probe)?;
    fs::remove_file(&probe)
}

/// Writes `bytes` to `path` so that after a crash it holds either the old content or all
/// of the new: a temporary file in the same directory, fsync, rename, fsync of the
/// directory. Creates the directory when missing; the file is readable by its owner only.
pub fn write_durably(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".orgsweep-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    // The rename itself is durable only once the directory is.
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_placeholders_expand() {
        assert_eq!(
            "s3://reports/orgsweep/".parse::<Location>(),
            Ok(Location::S3 {
                bucket: "reports".into(),
                prefix: "orgsweep/".into()
            })
        );
        assert_eq!(
            "s3://reports".parse::<Location>(),
            Ok(Location::S3 {
                bucket: "reports".into(),
                prefix: String::new()
            })
        );
        assert!("s3:///x".parse::<Location>().is_err());
        assert_eq!(
            "out/dir".parse::<Location>(),
            Ok(Location::Local(PathBuf::from("out/dir")))
        );
        let now = time::macros::datetime!(2026-11-26 10:00 UTC);
        assert_eq!(
            Location::expand("s3://b/{week}/{date}/{shard}", now, Some((2, 4))),
            "s3://b/2026-W48/2026-11-26/2-of-4"
        );
        let base: Location = "s3://b/run/".parse().expect("valid");
        assert_eq!(
            base.join("shard-1-of-4").to_string(),
            "s3://b/run/shard-1-of-4/"
        );
    }

    #[tokio::test]
    async fn local_files_are_whole_and_listed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = Store::local(&tmp.path().join("out"));
        store.check_writable().await.expect("writable");
        assert!(
            !tmp.path().join("out").exists(),
            "the check created the directory"
        );
        store.put("report.json", b"{}".to_vec()).await.expect("put");
        store
            .sub("accounts")
            .put("1.json", b"x".to_vec())
            .await
            .expect("put");
        assert_eq!(
            store.get("report.json").await.expect("get"),
            Some(b"{}".to_vec())
        );
        assert_eq!(store.get("missing").await.expect("get"), None);
        assert_eq!(
            store.list().await.expect("list"),
            ["accounts/".to_owned(), "report.json".to_owned()]
        );
        store.delete("report.json").await.expect("delete");
        assert!(!store.exists("report.json").await.expect("exists"));
    }
}
