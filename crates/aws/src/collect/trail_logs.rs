//! The second event source: an organization (or account) trail's log files in S3, read
//! instead of LookupEvents with `--cloudtrail-s3 s3://bucket/prefix`. Files are delivered as
//! `<prefix>/AWSLogs/[<org id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`; only the
//! days of the window are listed, and only write events are kept, so both sources yield the
//! same events (and therefore the same findings).

use std::io::Read;
use std::str::FromStr;

use flate2::read::GzDecoder;
use serde_json::Value;
use time::{Date, Duration, OffsetDateTime};

use super::cloudtrail::{EventsRead, parse_trail_event};
use crate::error::AwsError;
use crate::session::AccountSession;

/// Where a trail delivers its log files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailLogLocation {
    pub bucket: String,
    /// Everything before `AWSLogs/`, empty or ending in `/`.
    pub prefix: String,
}

#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not an S3 location (expected s3://bucket or s3://bucket/prefix)")]
pub struct ParseLocationError(String);

impl FromStr for TrailLogLocation {
    type Err = ParseLocationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| ParseLocationError(s.to_owned()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ParseLocationError(s.to_owned()));
        }
        let prefix = prefix.trim_matches('/');
        Ok(TrailLogLocation {
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        })
    }
}

/// The largest log file read: CloudTrail delivers files of a few MB; a larger one (or a
/// gzip bomb) is refused instead of exhausting memory.
const MAX_LOG_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The write events of one delivered log file (gzipped JSON with a `Records` list), with a
/// count of the records that could not be parsed.
pub fn parse_log_file(gzipped: &[u8]) -> Result<EventsRead, String> {
    let mut text = String::new();
    GzDecoder::new(gzipped)
        .take(MAX_LOG_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("not a gzipped log file: {e}"))?;
    if text.len() as u64 > MAX_LOG_FILE_BYTES {
        return Err(format!(
            "larger than {} MB once decompressed",
            MAX_LOG_FILE_BYTES / 1024 / 1024
        ));
    }
    let file: Value =
        serde_json::from_str(&text).map_err(|e| format!("not a CloudTrail log file: {e}"))?;
    let records = file
        .get("Records")
        .and_then(Value::as_array)
        .ok_or("not a CloudTrail log file: no Records list")?;
    let mut read = EventsRead::default();
    for record in records
        .iter()
        // LookupEvents is asked for ReadOnly=false; keep the same events here.
        .filter(|r| r.get("readOnly").and_then(Value::as_bool) != Some(true))
    {
        read.push(parse_trail_event(record));
    }
    Ok(read)
}

fn days(start: OffsetDateTime, end: OffsetDateTime) -> Vec<Date> {
    let mut day = start.date();
    let mut out = Vec::new();
    while day <= end.date() {
        out.push(day);
        day = day.next_day().unwrap_or(day);
        if out.last() == Some(&day) {
            break;
        }
    }
    out
}

impl std::fmt::Display for TrailLogLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

impl AccountSession {
    /// The organization trail of this (management) account and its log location, when the
    /// caller can list its bucket; otherwise why not, in a few words.
    pub(crate) async fn readable_organization_trail(
        &self,
    ) -> Result<(String, TrailLogLocation), String> {
        let home = self.home_region();
        let described = self
            .cloudtrail(Some(&home))
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot look for an organization trail: {}",
                    self.error("cloudtrail:DescribeTrails", e)
                )
            })?;
        let trail = described
            .trail_list()
            .iter()
            .find(|t| t.is_organization_trail() == Some(true) && t.s3_bucket_name().is_some())
            .ok_or("no organization trail")?;
        let name = trail.name().unwrap_or_default().to_owned();
        let bucket = trail.s3_bucket_name().unwrap_or_default();
        let location: TrailLogLocation = match trail.s3_key_prefix() {
            Some(prefix) => format!("s3://{bucket}/{prefix}"),
            None => format!("s3://{bucket}"),
        }
        .parse()
        .map_err(|e: ParseLocationError| e.to_string())?;
        self.s3()
            .list_objects_v2()
            .bucket(&location.bucket)
            .prefix(format!("{}AWSLogs/", location.prefix))
            .max_keys(1)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "the organization trail's bucket {} is not readable: {}",
                    location.bucket,
                    self.error("s3:ListObjectsV2", e)
                )
            })?;
        Ok((name, location))
    }

    /// The write events of `account` in `region` over the window, from the trail's files.
    /// `self` is the session that can read the bucket (the caller's).
    pub async fn trail_events_from_s3(
        &self,
        location: &TrailLogLocation,
        account: &str,
        region: &str,
        window_days: u32,
    ) -> Result<EventsRead, AwsError> {
        let end = OffsetDateTime::now_utc();
        let start = end - Duration::days(i64::from(window_days));
        let s3 = self.s3();

        // Account trails deliver under AWSLogs/<account>/, organization trails under
        // AWSLogs/<org id>/<account>/: find which exist once.
        let root = format!("{}AWSLogs/", location.prefix);
        let listed = s3
            .list_objects_v2()
            .bucket(&location.bucket)
            .prefix(&root)
            .delimiter("/")
            .send()
            .await
            .map_err(|e| self.error("s3:ListObjectsV2", e))?;
        let mut bases = vec![format!("{root}{account}/")];
        bases.extend(
            listed
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix())
                .filter(|p| p[root.len()..].starts_with("o-"))
                .map(|p| format!("{p}{account}/")),
        );

        let mut read = EventsRead::default();
        for base in &bases {
            for day in days(start, end) {
                let prefix = format!(
                    "{base}CloudTrail/{region}/{:04}/{:02}/{:02}/",
                    day.year(),
                    u8::from(day.month()),
                    day.day()
                );
                let mut pages = s3
                    .list_objects_v2()
                    .bucket(&location.bucket)
                    .prefix(&prefix)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| self.error("s3:ListObjectsV2", e))?;
                    for key in page.contents().iter().filter_map(|o| o.key()) {
                        let object = s3
                            .get_object()
                            .bucket(&location.bucket)
                            .key(key)
                            .send()
                            .await
                            .map_err(|e| self.error("s3:GetObject", e))?;
                        let bytes = object.body.collect().await.map_err(|e| AwsError::Other {
                            operation: "s3:GetObject",
                            message: format!("reading s3://{}/{key}: {e}", location.bucket),
                        })?;
                        match parse_log_file(&bytes.into_bytes()) {
                            Ok(mut parsed) => {
                                parsed
                                    .events
                                    .retain(|e| e.event_time >= start && e.event_time <= end);
                                read.extend(parsed);
                            }
                            // One damaged file is counted, not the end of the source.
                            Err(message) => {
                                read.push(Err(format!("s3://{}/{key}: {message}", location.bucket)))
                            }
                        }
                    }
                }
            }
        }
        Ok(read.finish())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    #[test]
    fn locations_parse_and_bad_ones_are_named() {
        let l: TrailLogLocation = "s3://logs/org/trail/".parse().expect("valid");
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("logs", "org/trail/")
        );
        let bare: TrailLogLocation = "s3://logs".parse().expect("valid");
        assert_eq!(bare.prefix, "");
        let err = "logs/org".parse::<TrailLogLocation>().unwrap_err();
        assert!(err.to_string().contains("'logs/org'"));
        assert!("s3:///x".parse::<TrailLogLocation>().is_err());
    }

    #[test]
    fn log_files_keep_write_events_only() {
        let file = serde_json::json!({"Records": [
            {"eventID": "1", "eventName": "StopLogging", "eventTime": "2026-11-20T10:00:00Z", "readOnly": false},
            {"eventID": "2", "eventName": "DescribeTrails", "eventTime": "2026-11-20T10:00:01Z", "readOnly": true},
            {"eventID": "3", "eventName": "ConsoleLogin", "eventTime": "2026-11-20T10:00:02Z"},
            {"eventName": "DeleteTrail", "eventTime": "2026-11-20T10:00:03Z"}
        ]});
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(file.to_string().as_bytes()).expect("gzip");
        let read = parse_log_file(&gz.finish().expect("gzip")).expect("parses");
        let names: Vec<&str> = read.events.iter().map(|e| e.event_name.as_str()).collect();
        // The last record has no eventID: counted, not dropped silently.
        assert_eq!(names, ["StopLogging", "ConsoleLogin"]);
        assert_eq!(read.unparsed, 1);
        assert_eq!(read.first_problem.as_deref(), Some("no eventID"));
        assert!(parse_log_file(b"plain text").is_err());
    }
}
