//! The machine formats (`csv`, `ocsf`, `asff`) through the crate's public API: what a
//! spreadsheet, a data lake and Security Hub would receive.
//!
//! The sample report is built from JSON, as `report --format` reads it, so these tests keep
//! compiling when the model gains a defaulted field.

use std::path::Path;

use orgsweep_model::Report;
use orgsweep_report::{
    Format, OCSF_VERSION, asff_archived, asff_findings, ocsf_findings, to_asff, to_csv, to_ocsf,
    write,
};
use serde_json::{Value, json};

const COLUMNS: [&str; 12] = [
    "id",
    "severity",
    "check_id",
    "account_id",
    "account_name",
    "region",
    "resource_type",
    "resource_id",
    "title",
    "detail",
    "change",
    "remediation",
];

/// The characters a spreadsheet treats as the start of a formula (OWASP, "CSV Injection").
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn finding_json(check: &str, account: &str, region: &str, kind: &str, resource: &str) -> Value {
    json!({
        "id": orgsweep_model::finding_id(check, account, region, kind, resource),
        "check_id": check,
        "severity": "high",
        "account_id": account,
        "region": region,
        "resource_type": kind,
        "resource_id": resource,
        "title": format!("{kind} {resource} flagged by {check}"),
        "detail": format!("Detail of {check} on {resource}."),
        "evidence": { "source": "test", "count": 2 },
        "remediation": ["Look at it.", "Fix it."],
        "change": "new",
    })
}

/// Two accounts, findings of every severity, global and regional, with and without change,
/// remediation and evidence.
fn sample() -> Report {
    let mut findings = vec![
        finding_json(
            "iam.root_access_keys",
            "111111111111",
            "global",
            "iam_root_user",
            "arn:aws:iam::111111111111:root",
        ),
        finding_json(
            "resources.mining_class_instance",
            "222222222222",
            "eu-west-1",
            "ec2_instance",
            "i-0123456789abcdef0",
        ),
        finding_json(
            "cloudtrail.suspicious_event",
            "222222222222",
            "us-east-1",
            "iam_user",
            "arn:aws:iam::222222222222:user/mallory",
        ),
        finding_json(
            "resources.shared_outside_org",
            "222222222222",
            "ap-south-1",
            "ec2_snapshot",
            "snap-0abc",
        ),
        finding_json(
            "account.security_contact_missing",
            "333333333333",
            "global",
            "account",
            "333333333333",
        ),
    ];
    for (finding, severity) in findings
        .iter_mut()
        .zip(["critical", "high", "medium", "low", "info"])
    {
        finding["severity"] = json!(severity);
    }
    findings[3]["change"] = Value::Null;
    findings[3]["remediation"] = json!([]);
    findings[4]["evidence"] = json!({});
    findings[4]["change"] = json!("unchanged");
    report_with(findings)
}

fn report_with(findings: Vec<Value>) -> Report {
    let account = |id: &str, name: &str| {
        json!({
            "account_id": id, "name": name, "email": format!("{name}@example.com"),
            "status": "ACTIVE", "ou_path": "Root", "scanned": true,
        })
    };
    serde_json::from_value(json!({
        "schema_version": orgsweep_model::SCHEMA_VERSION,
        "tool": { "name": "orgsweep", "version": "0.1.0" },
        "run": {
            "started_at": "2026-03-02T09:00:00Z",
            "finished_at": "2026-03-02T09:12:34.5Z",
            "management_account_id": "111111111111",
            "window_days": 7,
            "regions": ["eu-west-1", "us-east-1", "ap-south-1"],
        },
        // 333333333333 is deliberately not listed: its name is unknown.
        "accounts": [account("111111111111", "management"), account("222222222222", "workloads")],
        "coverage": [],
        "findings": findings,
        "inventory": [],
        "stats": { "duration_ms": 1, "api_calls": {}, "throttled": 0, "retries": 0 },
    }))
    .expect("the sample is a valid report")
}

fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.expect("a well-formed record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    (header, rows)
}

fn assert_no_cell_is_a_formula(rows: &[Vec<String>]) {
    for row in rows {
        for cell in row {
            assert!(
                !cell.starts_with(TRIGGERS),
                "cell starts with a formula trigger: {cell:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_round_trips_with_one_row_per_finding_and_stable_columns() {
    let report = sample();
    let (header, rows) = read_csv(&to_csv(&report).unwrap());
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len(), report.findings.len());
    for (row, finding) in rows.iter().zip(&report.findings) {
        assert_eq!(row.len(), COLUMNS.len());
        let expected = [
            finding.id.as_str(),
            finding.severity.as_str(),
            &finding.check_id,
            &finding.account_id,
            match finding.account_id.as_str() {
                "111111111111" => "management",
                "222222222222" => "workloads",
                _ => "",
            },
            &finding.region,
            &finding.resource_type,
            &finding.resource_id,
            &finding.title,
            &finding.detail,
            match finding.change {
                Some(orgsweep_model::Change::New) => "new",
                Some(orgsweep_model::Change::Unchanged) => "unchanged",
                _ => "",
            },
            &finding.remediation.join(" | "),
        ];
        assert_eq!(row, &expected);
    }
    assert_no_cell_is_a_formula(&rows);
}

#[test]
fn csv_keeps_quotes_newlines_and_commas() {
    let mut finding = finding_json("c.x", "111111111111", "global", "t", "a,b");
    finding["title"] = json!("say \"hi\", then leave");
    finding["detail"] = json!("line one\nline two\r\nline three, with \"quotes\"");
    finding["remediation"] = json!(["step, one", "step \"two\"\nnext line"]);
    let report = report_with(vec![finding]);
    let (_, rows) = read_csv(&to_csv(&report).unwrap());
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row[7], "a,b");
    assert_eq!(row[8], "say \"hi\", then leave");
    assert_eq!(row[9], "line one\nline two\r\nline three, with \"quotes\"");
    assert_eq!(row[11], "step, one | step \"two\"\nnext line");
}

/// Every attacker-influenced text column, with every trigger character in front, comes
/// back as text: the trigger is kept, behind a single quote.
#[test]
fn csv_neutralizes_every_formula_prefix_in_every_text_column() {
    let payload = "cmd|' /C calc'!A0";
    // (column index, how to put the value into the report)
    type Setter = fn(&mut Value, &str);
    let setters: [(usize, Setter); 9] = [
        (2, |f, v| f["check_id"] = json!(v)),
        (3, |f, v| f["account_id"] = json!(v)),
        (5, |f, v| f["region"] = json!(v)),
        (6, |f, v| f["resource_type"] = json!(v)),
        (7, |f, v| f["resource_id"] = json!(v)),
        (8, |f, v| f["title"] = json!(v)),
        (9, |f, v| f["detail"] = json!(v)),
        (11, |f, v| f["remediation"] = json!([v, "second"])),
        (0, |f, v| f["id"] = json!(v)),
    ];
    for trigger in TRIGGERS {
        let value = format!("{trigger}{payload}");
        for (column, set) in setters {
            let mut finding = finding_json("c.x", "111111111111", "global", "t", "r");
            set(&mut finding, &value);
            let report = report_with(vec![finding]);
            let (_, rows) = read_csv(&to_csv(&report).unwrap());
            let cell = &rows[0][column];
            assert!(
                cell.starts_with('\'') && cell[1..].starts_with(&value),
                "column {} with {trigger:?}: {cell:?}",
                COLUMNS[column]
            );
            assert_no_cell_is_a_formula(&rows);
        }
        // The account name comes from `accounts`, not from the finding.
        let mut report = report_with(vec![finding_json(
            "c.x",
            "111111111111",
            "global",
            "t",
            "r",
        )]);
        report.accounts[0].name = value.clone();
        let (_, rows) = read_csv(&to_csv(&report).unwrap());
        assert_eq!(rows[0][4], format!("'{value}"));
        assert_no_cell_is_a_formula(&rows);
    }
}

fn hostile_values() -> Vec<String> {
    vec![
        "<script>alert(1)</script>".into(),
        "=HYPERLINK(\"http://evil\",\"click\")".into(),
        "+SUM(1,2)".into(),
        "@SUM(A1)".into(),
        "-1+1".into(),
        "\t=1".into(),
        "\r=1".into(),
        "evil\u{202E}gnp.exe".into(),
        "zero\u{200B}width".into(),
        "\u{202E}=1".into(),
        "quote \" comma , newline \n end".into(),
        "nul \u{0} byte".into(),
        String::new(),
        "x".repeat(1 << 20),
        "é".repeat(1 << 19),
    ]
}

fn hostile_report() -> Report {
    let values = hostile_values();
    let findings = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut f = finding_json("c.x", "111111111111", "global", "iam_user", v);
            f["id"] = json!(format!("id-{i}"));
            f["title"] = json!(v);
            f["detail"] = json!(v);
            f["remediation"] = json!([v, v]);
            f["evidence"] = json!({ "value": v });
            f
        })
        .collect();
    let mut report = report_with(findings);
    report.accounts[0].name = "=HYPERLINK(\"http://evil\")".into();
    report
}

#[test]
fn hostile_values_render_in_every_machine_format_without_panic() {
    let report = hostile_report();
    let text = to_csv(&report).unwrap();
    let (_, rows) = read_csv(&text);
    assert_eq!(rows.len(), report.findings.len());
    assert!(rows.iter().all(|r| r.len() == COLUMNS.len()));
    assert_no_cell_is_a_formula(&rows);
    // Values survive (behind the quote where needed): the 1 MB one is not cut.
    assert!(rows.iter().any(|r| r[9].len() == 1 << 20));
    assert!(rows.iter().any(|r| r[9] == "evil\u{202E}gnp.exe"));

    let ocsf: Value = serde_json::from_str(&to_ocsf(&report).unwrap()).unwrap();
    assert_eq!(ocsf.as_array().unwrap().len(), report.findings.len());
    let asff: Value = serde_json::from_str(&to_asff(&report).unwrap()).unwrap();
    assert_eq!(asff.as_array().unwrap().len(), report.findings.len());
    for object in asff.as_array().unwrap() {
        assert_asff_limits(object);
    }
}

// ---------------------------------------------------------------------------------------
// OCSF

fn ocsf_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ocsf-1.8.0-detection_finding.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("vendored schema")).unwrap();
    assert_eq!(
        schema["$id"],
        format!(
            "https://schema.ocsf.io/schema/{OCSF_VERSION}/classes/detection_finding?profiles=cloud"
        )
    );
    jsonschema::validator_for(&schema).expect("the vendored schema compiles")
}

fn assert_valid_ocsf(validator: &jsonschema::Validator, object: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(object)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\nin {object:#}");
}

#[test]
fn ocsf_validates_against_the_published_detection_finding_schema() {
    let validator = ocsf_validator();
    let report = sample();
    let objects = ocsf_findings(&report);
    assert_eq!(objects.len(), report.findings.len());
    for object in &objects {
        assert_valid_ocsf(&validator, object);
        assert_eq!(object["class_uid"], 2004);
        assert_eq!(object["category_uid"], 2);
        assert_eq!(object["activity_id"], 1);
        assert_eq!(object["type_uid"], 200401);
        assert_eq!(object["status_id"], 1);
        assert_eq!(object["metadata"]["version"], OCSF_VERSION);
        assert_eq!(object["metadata"]["product"]["name"], "orgsweep");
        assert_eq!(object["cloud"]["provider"], "AWS");
        assert_eq!(object["cloud"]["account"]["type_id"], 10);
    }
    // 2026-03-02T09:12:34.5Z in milliseconds.
    assert_eq!(objects[0]["time"], 1_772_442_754_500_i64);
    let ids: Vec<i64> = objects
        .iter()
        .map(|o| o["severity_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [5, 4, 3, 2, 1]);
    // Global findings have no region; regional ones carry it on the cloud and the resource.
    assert!(objects[0]["cloud"].get("region").is_none());
    assert_eq!(objects[1]["cloud"]["region"], "eu-west-1");
    assert_eq!(objects[1]["resources"][0]["region"], "eu-west-1");

    // The file is the same objects as one array.
    let file: Value = serde_json::from_str(&to_ocsf(&report).unwrap()).unwrap();
    assert_eq!(file, Value::Array(objects));
}

#[test]
fn ocsf_of_hostile_values_still_validates() {
    let validator = ocsf_validator();
    for object in ocsf_findings(&hostile_report()) {
        assert_valid_ocsf(&validator, &object);
    }
}

#[test]
fn the_vendored_schema_rejects_what_it_should() {
    // Guards against a schema that accepts anything, which would make the test above moot.
    let validator = ocsf_validator();
    let good = ocsf_findings(&sample()).remove(0);
    let mut bad = good.clone();
    bad["severity_id"] = json!(42);
    assert!(!validator.is_valid(&bad));
    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("finding_info");
    assert!(!validator.is_valid(&bad));
    let mut bad = good;
    bad["not_an_ocsf_attribute"] = json!(1);
    assert!(!validator.is_valid(&bad));
}

// ---------------------------------------------------------------------------------------
// ASFF

/// Length limits from the AWS Security Hub API reference, "AwsSecurityFinding", in
/// characters.
fn assert_asff_limits(object: &Value) {
    let chars = |v: &Value| v.as_str().expect("a string").chars().count();
    let title = chars(&object["Title"]);
    assert!((1..=256).contains(&title), "Title has {title} characters");
    let description = chars(&object["Description"]);
    assert!(
        (1..=1024).contains(&description),
        "Description has {description} characters"
    );
    assert!(!object["Title"].as_str().unwrap().trim().is_empty());
    assert!(!object["Description"].as_str().unwrap().trim().is_empty());
    if let Some(text) = object.pointer("/Remediation/Recommendation/Text") {
        assert!(
            chars(text) <= 512,
            "Recommendation.Text has {} characters",
            chars(text)
        );
    }
    let fields = object["ProductFields"].as_object().unwrap();
    assert!(fields.len() <= 50);
    for (key, value) in fields {
        assert!(key.chars().count() <= 128);
        assert!(chars(value) <= 2048);
    }
    let resources = object["Resources"].as_array().unwrap();
    assert!((1..=32).contains(&resources.len()));
}

#[test]
fn asff_has_the_required_fields_within_limits() {
    let report = sample();
    let objects = asff_findings(&report);
    assert_eq!(objects.len(), report.findings.len());
    for (object, finding) in objects.iter().zip(&report.findings) {
        assert_eq!(object["SchemaVersion"], "2018-10-08");
        assert_eq!(object["Id"], finding.id);
        assert_eq!(object["GeneratorId"], finding.check_id);
        assert_eq!(object["AwsAccountId"], finding.account_id);
        assert_eq!(object["CreatedAt"], "2026-03-02T09:12:34.5Z");
        assert_eq!(object["UpdatedAt"], "2026-03-02T09:12:34.5Z");
        assert_eq!(object["Workflow"]["Status"], "NEW");
        assert_eq!(object["RecordState"], "ACTIVE");
        assert_eq!(
            object["ProductFields"]["orgsweep/check_id"],
            finding.check_id
        );
        assert_eq!(
            object["ProductFields"]["orgsweep/account_id"],
            finding.account_id
        );
        let resource = &object["Resources"][0];
        assert_eq!(resource["Id"], finding.resource_id);
        assert_eq!(resource["Partition"], "aws");
        let region = if finding.region == "global" {
            "us-east-1"
        } else {
            &finding.region
        };
        assert_eq!(resource["Region"], region);
        assert_eq!(
            object["ProductArn"],
            format!("arn:aws:securityhub:{region}:111111111111:product/111111111111/default")
        );
        time::OffsetDateTime::parse(
            object["CreatedAt"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("CreatedAt is RFC 3339");
        assert_asff_limits(object);
    }
    let labels: Vec<&str> = objects
        .iter()
        .map(|o| o["Severity"]["Label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]
    );
    let types: Vec<&str> = objects
        .iter()
        .map(|o| o["Resources"][0]["Type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "AwsAccount",
            "AwsEc2Instance",
            "AwsIamUser",
            "Other",
            "AwsAccount"
        ]
    );
    assert_eq!(objects[1]["Types"], json!(["Effects/Resource Consumption"]));
    assert_eq!(objects[2]["Types"], json!(["Unusual Behaviors/User"]));
    // No steps, no Remediation object (it is optional, its Text is not).
    assert!(objects[3].get("Remediation").is_none());

    let file: Value = serde_json::from_str(&to_asff(&report).unwrap()).unwrap();
    assert_eq!(file, Value::Array(objects));
}

/// The top-level attributes that AWS documents as required for every finding, from the
/// AWS Security Hub user guide page "Required top-level ASFF attributes"; `Severity` must
/// carry `Label` (or `Normalized`) and each resource `Type` and `Id` (API reference,
/// "Resource").
const ASFF_REQUIRED: [&str; 12] = [
    "AwsAccountId",
    "CreatedAt",
    "Description",
    "GeneratorId",
    "Id",
    "ProductArn",
    "Resources",
    "SchemaVersion",
    "Severity",
    "Title",
    "Types",
    "UpdatedAt",
];

fn assert_asff_required(object: &Value) {
    for field in ASFF_REQUIRED {
        let value = object
            .get(field)
            .unwrap_or_else(|| panic!("missing {field} in {object:#}"));
        match value {
            Value::String(s) => assert!(!s.trim().is_empty(), "{field} is blank"),
            Value::Array(items) => assert!(!items.is_empty(), "{field} is empty"),
            Value::Object(map) => assert!(!map.is_empty(), "{field} is empty"),
            other => panic!("{field} has an unexpected type: {other}"),
        }
    }
    assert!(object["Severity"]["Label"].is_string());
    for resource in object["Resources"].as_array().unwrap() {
        assert!(resource["Type"].is_string());
        assert!(!resource["Id"].as_str().unwrap().trim().is_empty());
    }
    for kind in object["Types"].as_array().unwrap() {
        // namespace/category[/classifier]
        let parts = kind.as_str().unwrap().split('/').count();
        assert!((2..=3).contains(&parts), "{kind}");
    }
    assert_eq!(object["AwsAccountId"].as_str().unwrap().len(), 12);
}

#[test]
fn every_asff_object_carries_the_documented_required_attributes() {
    let report = sample();
    for object in asff_findings(&report) {
        assert_asff_required(&object);
    }
    for finding in &report.findings {
        let archived = asff_archived(&report, finding);
        assert_asff_required(&archived);
        assert_eq!(archived["RecordState"], "ARCHIVED");
        assert_eq!(archived["Workflow"]["Status"], "RESOLVED");
    }
    for object in asff_findings(&hostile_report()) {
        assert_asff_required(&object);
    }
}

#[test]
fn asff_cuts_long_text_on_character_boundaries() {
    let mut finding = finding_json("c.x", "111111111111", "global", "iam_user", "r");
    finding["title"] = json!("🦀".repeat(300));
    finding["detail"] = json!("é".repeat(2000));
    finding["remediation"] = json!(["ü".repeat(400), "ß".repeat(400)]);
    let object = asff_findings(&report_with(vec![finding])).remove(0);
    assert_eq!(object["Title"].as_str().unwrap().chars().count(), 256);
    assert!(object["Title"].as_str().unwrap().ends_with('…'));
    assert_eq!(
        object["Description"].as_str().unwrap().chars().count(),
        1024
    );
    assert_eq!(
        object["Remediation"]["Recommendation"]["Text"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        512
    );
}

// ---------------------------------------------------------------------------------------
// Formats and files

#[test]
fn new_formats_parse_and_have_fixed_file_names() {
    for (name, format, file) in [
        ("csv", Format::Csv, "findings.csv"),
        ("OCSF", Format::Ocsf, "findings.ocsf.json"),
        (" asff ", Format::Asff, "findings.asff.json"),
    ] {
        assert_eq!(name.parse::<Format>(), Ok(format));
        assert_eq!(format.file_name(), file);
    }
    let err = "xml".parse::<Format>().unwrap_err().to_string();
    for name in ["json", "html", "csv", "ocsf", "asff"] {
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn write_produces_all_five_files() {
    let tmp = tempfile::tempdir().unwrap();
    let report = sample();
    let paths = write(&report, tmp.path(), &Format::ALL).unwrap();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "report.json",
            "report.html",
            "plan.html",
            "plan.md",
            "findings.csv",
            "findings.ocsf.json",
            "findings.asff.json"
        ]
    );
    let csv_text = std::fs::read_to_string(tmp.path().join("findings.csv")).unwrap();
    assert_eq!(csv_text, to_csv(&report).unwrap());
    let asff_text = std::fs::read_to_string(tmp.path().join("findings.asff.json")).unwrap();
    assert_eq!(asff_text, to_asff(&report).unwrap());
}

#[test]
fn an_empty_report_gives_a_header_and_empty_arrays() {
    let report = report_with(vec![]);
    let (header, rows) = read_csv(&to_csv(&report).unwrap());
    assert_eq!(header, COLUMNS);
    assert!(rows.is_empty());
    assert_eq!(to_ocsf(&report).unwrap(), "[]\n");
    assert_eq!(to_asff(&report).unwrap(), "[]\n");
}
