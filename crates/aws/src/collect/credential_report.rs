//! Parses the IAM credential report, AWS's documented CSV format, with a real CSV reader:
//! columns are found by header name, so AWS adding a column does not shift the others.

use std::collections::HashMap;

use orgsweep_model::facts::{AccessKeySlot, CredentialReport, CredentialReportRow};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, thiserror::Error)]
pub enum ParseReportError {
    #[error("credential report is not valid CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("credential report lacks the column {0}")]
    MissingColumn(&'static str),
}

/// Cells AWS writes where there is no value.
fn is_absent(cell: &str) -> bool {
    matches!(cell, "" | "N/A" | "not_supported" | "no_information")
}

fn time_cell(cell: &str) -> Option<OffsetDateTime> {
    if is_absent(cell) {
        return None;
    }
    OffsetDateTime::parse(cell, &Rfc3339).ok()
}

fn bool_cell(cell: &str) -> Option<bool> {
    match cell {
        "true" | "TRUE" | "True" => Some(true),
        "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn text_cell(cell: &str) -> Option<String> {
    (!is_absent(cell)).then(|| cell.to_owned())
}

/// Column positions of one access-key slot; `None` where the report lacks the column.
struct SlotColumns {
    active: Option<usize>,
    rotated: Option<usize>,
    used: Option<usize>,
    region: Option<usize>,
    service: Option<usize>,
}

pub fn parse_credential_report(
    csv_bytes: &[u8],
    generated_at: Option<OffsetDateTime>,
) -> Result<CredentialReport, ParseReportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_bytes);
    let headers: HashMap<String, usize> = reader
        .headers()?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_owned(), i))
        .collect();
    let column = |name: &'static str| {
        headers
            .get(name)
            .copied()
            .ok_or(ParseReportError::MissingColumn(name))
    };
    let user = column("user")?;
    let arn = column("arn")?;
    // Optional columns: a report without them still yields what it has.
    let col = |name: &str| headers.get(name).copied();
    let creation = col("user_creation_time");
    let password_enabled = col("password_enabled");
    let password_last_used = col("password_last_used");
    let mfa = col("mfa_active");
    let slot_columns = |n: u8| SlotColumns {
        active: col(&format!("access_key_{n}_active")),
        rotated: col(&format!("access_key_{n}_last_rotated")),
        used: col(&format!("access_key_{n}_last_used_date")),
        region: col(&format!("access_key_{n}_last_used_region")),
        service: col(&format!("access_key_{n}_last_used_service")),
    };
    let slots = [slot_columns(1), slot_columns(2)];

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
        let slot = |c: &SlotColumns| AccessKeySlot {
            active: bool_cell(cell(c.active)).unwrap_or(false),
            last_rotated: time_cell(cell(c.rotated)),
            last_used_date: time_cell(cell(c.used)),
            last_used_region: text_cell(cell(c.region)),
            last_used_service: text_cell(cell(c.service)),
            key_id: None,
        };
        rows.push(CredentialReportRow {
            user: cell(Some(user)).to_owned(),
            arn: cell(Some(arn)).to_owned(),
            user_creation_time: time_cell(cell(creation)),
            password_enabled: bool_cell(cell(password_enabled)),
            password_last_used: time_cell(cell(password_last_used)),
            mfa_active: bool_cell(cell(mfa)).unwrap_or(false),
            access_keys: [slot(&slots[0]), slot(&slots[1])],
        });
    }
    Ok(CredentialReport { generated_at, rows })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    /// The header and rows as AWS documents them (root row included).
    const REPORT: &str = "\
user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111111111111:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-20T08:00:00+00:00,not_supported,not_supported,false,true,2021-03-04T05:06:07+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111111111111:user/alice,2024-05-01T10:00:00+00:00,true,no_information,2024-05-01T10:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,true,2026-11-23T09:30:00+00:00,2026-11-24T01:00:00+00:00,eu-west-1,s3,false,N/A,false,N/A
";

    #[test]
    fn parses_rows_slots_and_absent_values() {
        let report = parse_credential_report(REPORT.as_bytes(), None).expect("valid report");
        assert_eq!(report.rows.len(), 2);
        let root = &report.rows[0];
        assert!(root.is_root());
        assert_eq!(root.password_enabled, None);
        assert_eq!(
            root.password_last_used,
            Some(datetime!(2026-11-20 08:00 UTC))
        );
        assert!(root.access_keys[0].active);
        assert_eq!(root.access_keys[0].last_used_date, None);

        let alice = &report.rows[1];
        assert_eq!(alice.password_enabled, Some(true));
        assert_eq!(alice.password_last_used, None);
        assert!(!alice.mfa_active);
        assert!(!alice.access_keys[0].active);
        let slot2 = &alice.access_keys[1];
        assert!(slot2.active);
        assert_eq!(slot2.last_rotated, Some(datetime!(2026-11-23 09:30 UTC)));
        assert_eq!(slot2.last_used_region.as_deref(), Some("eu-west-1"));
        assert_eq!(slot2.last_used_service.as_deref(), Some("s3"));
    }

    #[test]
    fn a_report_without_the_user_column_is_an_error() {
        let err = parse_credential_report(b"name,arn\nx,y\n", None).unwrap_err();
        assert!(err.to_string().contains("user"), "{err}");
    }
}
