//! The HTML report and the remediation plan in a real browser: Debian's Chromium, headless,
//! driven through its chromedriver over W3C WebDriver. What the string checks of
//! `tests/html.rs` cannot show is shown here: that no value from AWS runs as script or
//! breaks the Content-Security-Policy once a browser parses the page, that the filters
//! filter, that the verdict is on the first screen, that the plan's anchors land, and that
//! the page prints.
//!
//! Chromium and chromedriver are installed on first use (`orgsweep_demo::tools::
//! ensure_chromium`). Screenshots, the PDF and its first page go to
//! `$CARGO_TARGET_DIR/test-artifacts/` (`target/test-artifacts/` when unset): among them
//! the first screens of the hostile report (`hostile-first-screen.png`), the 100-account
//! report (`report-100-accounts-first-screen.png`) and the checked-in demo report
//! (`demo-first-screen.png`);
//! `ORGSWEEP_BLESS=1` also copies the first screen of the 100-account report to
//! `docs/report-first-screen.png`, which the README shows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, ensure};
use fantoccini::Locator;
use fantoccini::wd::PrintConfiguration;
use orgsweep_browser::Browser;
use orgsweep_model::Report;
use orgsweep_report::Format;
use serde_json::{Value, json};

/// The laptop screen the first screen is designed for.
const WIDTH: u32 = 1366;
const HEIGHT: u32 = 768;

/// Installed before any of the page's own script runs: records every Content-Security-Policy
/// violation the page raises.
const CSP_LISTENER: &str = "window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' blocked ' + e.blockedURI + ' ' + (e.sample || ''));
});";

// ---------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------

/// A fresh Chromium with a 1366×768 viewport and the CSP listener installed in every
/// document it opens.
async fn browser() -> anyhow::Result<Browser> {
    Browser::start(WIDTH, HEIGHT, &[CSP_LISTENER]).await
}

/// The viewport, checked to be the whole first screen, saved as `name` in the artifacts.
async fn screenshot(b: &Browser, name: &str) -> anyhow::Result<PathBuf> {
    let png = b.screenshot_png().await?;
    let path = artifacts()?.join(name);
    std::fs::write(&path, png)?;
    Ok(path)
}

/// `$CARGO_TARGET_DIR/test-artifacts`, or the workspace's `target/test-artifacts`.
fn artifacts() -> anyhow::Result<PathBuf> {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_relative() { root.join(t) } else { t })
        .unwrap_or_else(|| root.join("target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// ---------------------------------------------------------------------------------------
// The reports
// ---------------------------------------------------------------------------------------

const XSS_SCRIPT: &str = "<script>window.__pwned=1</script>";
const XSS_IMG: &str = "\"><img src=x onerror=\"window.__pwned=1\">";
const XSS_URL: &str = "javascript:window.__pwned=1";
const XSS_SVG: &str = "<svg onload=window.__pwned=1>";
const FORMULA: &str = "=HYPERLINK(\"http://evil\")";
const MD_LINK: &str = "[x](javascript:alert(1))";
const RTL_NAME: &str = "billing\u{202E}gpj.exe";
const ZW_NAME: &str = "pro\u{200B}d";

fn finding(
    severity: &str,
    account: &str,
    check: &str,
    region: &str,
    kind: &str,
    id: &str,
) -> Value {
    json!({
        "id": orgsweep_model::finding_id(check, account, region, kind, id),
        "check_id": check,
        "severity": severity,
        "account_id": account,
        "region": region,
        "resource_type": kind,
        "resource_id": id,
        "title": format!("{check} on {id}"),
        "detail": format!("Detail of {check} on {id}."),
        "evidence": { "source": "test" },
        "remediation": [format!("Confirm with the owner of account {account} that {id} is expected."),
                        format!("Then: aws ec2 describe-things --region {region} --id {id}")],
        "change": "unchanged",
    })
}

fn coverage(
    account: &str,
    region: Option<&str>,
    check: Option<&str>,
    status: &str,
    error: Option<&str>,
) -> Value {
    json!({"account_id": account, "region": region, "check_id": check, "status": status, "error": error})
}

fn account(id: &str, name: &str, scanned: bool) -> Value {
    json!({"account_id": id, "name": name, "email": format!("aws+{id}@example.com"),
           "status": "ACTIVE", "ou_path": "Root/Workloads", "scanned": scanned})
}

fn report_of(value: Value) -> Report {
    let mut report: Report = serde_json::from_value(value).expect("a valid report");
    report.sort();
    report
}

/// A small organization in trouble, with the hostile corpus in every place a value from AWS
/// reaches the page: account names, tags, resource ids, titles, details, evidence,
/// remediation and coverage errors. Six accounts are scanned; a seventh could not be read.
fn hostile_report() -> Report {
    let huge = "A".repeat(1 << 20);
    let accounts = vec![
        account("111111111111", "management", true),
        account("222222222222", ZW_NAME, true),
        account("333333333333", XSS_SCRIPT, true),
        account("444444444444", RTL_NAME, true),
        account("555555555555", XSS_IMG, true),
        account("666666666666", FORMULA, true),
        account("777777777777", XSS_SVG, false),
    ];
    let mut accounts = accounts;
    accounts[1]["tags"] = json!({ "owner": MD_LINK, "huge": huge, "link": XSS_URL });

    let mut cov = Vec::new();
    for a in [
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
        "666666666666",
    ] {
        cov.push(coverage(a, None, None, "ok", None));
        cov.push(coverage(a, Some("us-east-1"), None, "ok", None));
        cov.push(coverage(
            a,
            None,
            Some("iam.unknown_principal"),
            "skipped",
            Some("no baseline (--baseline) or known_principals"),
        ));
    }
    for a in ["333333333333", "444444444444"] {
        cov.push(coverage(
            a,
            Some("eu-west-1"),
            Some("cloudtrail.suspicious_event"),
            "failed",
            Some(&format!(
                "cloudtrail:LookupEvents failed: {XSS_IMG} {XSS_SCRIPT}"
            )),
        ));
    }
    cov.push(coverage(
        "555555555555",
        Some("ap-south-1"),
        None,
        "failed",
        Some(&format!("{XSS_SVG} {XSS_URL} {MD_LINK}")),
    ));
    cov.push(coverage(
        "777777777777",
        None,
        None,
        "failed",
        Some(&format!(
            "cannot assume role: sts:AssumeRole failed: HTTP 403 {XSS_SCRIPT}"
        )),
    ));

    let mut quarantined = finding(
        "critical",
        "222222222222",
        "iam.quarantine_policy_attached",
        "global",
        "iam_user",
        "arn:aws:iam::222222222222:user/legacy-ci",
    );
    quarantined["title"] = json!("IAM user legacy-ci is quarantined for an exposed access key");
    let mut key = finding(
        "high",
        "111111111111",
        "iam.access_key_recently_created",
        "global",
        "iam_access_key",
        XSS_URL,
    );
    key["title"] = json!(format!("Access key created by {XSS_IMG}"));
    key["evidence"] = json!({ "user": XSS_SCRIPT, "link": XSS_URL, "markdown": MD_LINK });
    let mut svg = finding(
        "high",
        "444444444444",
        "cloudtrail.no_active_trail",
        "global",
        "cloudtrail",
        XSS_SVG,
    );
    svg["detail"] = json!(format!("{XSS_SVG} {FORMULA} {RTL_NAME}"));
    svg["remediation"] = json!([
        format!("aws cloudtrail create-trail --name {XSS_SCRIPT}"),
        format!("Open {XSS_URL} and {MD_LINK}")
    ]);
    let mut miner_new = finding(
        "low",
        "333333333333",
        "resources.recently_created",
        "ap-southeast-2",
        "ec2_instance",
        "i-0miner",
    );
    miner_new["change"] = json!("new");
    let mut tagged = finding(
        "medium",
        "555555555555",
        "resources.unknown_resource",
        "us-east-1",
        "s3_bucket",
        &format!("bucket-{FORMULA}"),
    );
    tagged["evidence"] = json!({ "tags": { "Name": XSS_IMG, "huge": huge, "owner": MD_LINK } });
    tagged["title"] = json!(format!("Bucket {MD_LINK} {ZW_NAME}"));

    let findings = vec![
        quarantined,
        key,
        finding(
            "high",
            "333333333333",
            "resources.mining_class_instance",
            "ap-southeast-2",
            "ec2_instance",
            "i-0miner",
        ),
        finding(
            "high",
            "333333333333",
            "resources.unexpected_region",
            "ap-southeast-2",
            "ec2_instance",
            "i-0miner",
        ),
        miner_new,
        finding(
            "high",
            "333333333333",
            "resources.unexpected_region",
            "ap-southeast-2",
            "ec2_volume",
            "vol-0miner",
        ),
        svg,
        finding(
            "high",
            "555555555555",
            "iam.root_mfa_disabled",
            "global",
            "iam_root_user",
            "arn:aws:iam::555555555555:root",
        ),
        finding(
            "medium",
            "111111111111",
            "account.security_contact_missing",
            "global",
            "account",
            "111111111111",
        ),
        tagged,
        finding(
            "low",
            "666666666666",
            "config.recorder_off",
            "eu-west-1",
            "config_recorder",
            "eu-west-1",
        ),
        finding(
            "info",
            "666666666666",
            "iam.principal_recently_created",
            "global",
            "iam_user",
            &format!("arn:aws:iam::666666666666:user/{RTL_NAME}"),
        ),
    ];
    report_of(json!({
        "schema_version": orgsweep_model::SCHEMA_VERSION,
        "tool": {"name": "orgsweep", "version": "0.1.0"},
        "run": {"started_at": "2026-11-26T10:20:00Z", "finished_at": "2026-11-26T10:29:41Z",
                "management_account_id": "111111111111", "window_days": 7,
                "regions": ["ap-southeast-2", "eu-west-1", "us-east-1"],
                "expected_regions": ["eu-west-1", "us-east-1"]},
        "accounts": accounts,
        "coverage": cov,
        "findings": findings,
        "inventory": [
            {"account_id": "333333333333", "region": "ap-southeast-2", "resource_type": "ec2_instance",
             "resource_id": "i-0miner", "created_at": "2026-11-25T03:04:05Z", "state": "running",
             "tags": {"Name": XSS_SCRIPT, "huge": huge, "url": XSS_URL, "md": MD_LINK, "f": FORMULA},
             "known": false},
            {"account_id": "444444444444", "region": "us-east-1", "resource_type": "s3_bucket",
             "resource_id": XSS_IMG, "created_at": null, "state": null,
             "tags": {XSS_SVG: RTL_NAME}, "known": false}
        ],
        "stats": {"duration_ms": 9000, "api_calls": {"ec2.DescribeInstances": 21}, "throttled": 0, "retries": 0},
    }))
}

/// 100 accounts with a few findings each: mostly medium and low, a handful critical or high,
/// one account that could not be read and one region that failed in a few accounts.
fn hundred_accounts() -> Report {
    let checks = [
        ("iam.access_key_unused", "iam_access_key"),
        ("config.recorder_off", "config_recorder"),
        ("resources.unexpected_region", "ec2_instance"),
        ("iam.console_user_without_mfa", "iam_user"),
    ];
    let teams = [
        "payments", "search", "data", "ml", "web", "ops", "mobile", "edge",
    ];
    let mut accounts = Vec::new();
    let mut cov = Vec::new();
    let mut findings = Vec::new();
    for a in 0..100u64 {
        let id = format!("{:012}", 210_000_000_000 + a * 1_010_101);
        let name = format!(
            "{}-{}",
            teams[a as usize % teams.len()],
            ["prod", "staging", "dev"][a as usize % 3]
        );
        let scanned = a != 42;
        accounts.push(account(&id, &name, scanned));
        if !scanned {
            cov.push(coverage(&id, None, None, "failed", Some(&format!(
                "cannot assume role arn:aws:iam::{id}:role/OrganizationAccountAccessRole: sts:AssumeRole failed: HTTP 403 (access denied)"))));
            continue;
        }
        cov.push(coverage(&id, None, None, "ok", None));
        cov.push(coverage(&id, Some("us-east-1"), None, "ok", None));
        if a % 25 == 7 {
            cov.push(coverage(
                &id,
                Some("eu-west-1"),
                Some("cloudtrail.suspicious_event"),
                "failed",
                Some("cloudtrail:LookupEvents failed: HTTP 500 (internal server error)"),
            ));
        }
        for (k, (check, kind)) in checks.iter().enumerate().take(1 + (a as usize % 4)) {
            let severity = match (a % 17, k) {
                (0, 0) => "critical",
                (3 | 9, _) => "high",
                (_, 1 | 3) => "low",
                _ => "medium",
            };
            let region = if *check == "resources.unexpected_region" {
                "ap-south-1"
            } else {
                "global"
            };
            findings.push(finding(
                severity,
                &id,
                check,
                region,
                kind,
                &format!("arn:aws:iam::{id}:user/svc-{k}"),
            ));
        }
    }
    report_of(json!({
        "schema_version": orgsweep_model::SCHEMA_VERSION,
        "tool": {"name": "orgsweep", "version": "0.1.0"},
        "run": {"started_at": "2026-11-26T10:20:00Z", "finished_at": "2026-11-26T10:41:07Z",
                "management_account_id": "210000000000", "window_days": 7,
                "regions": ["eu-west-1", "us-east-1"], "expected_regions": ["eu-west-1", "us-east-1"]},
        "accounts": accounts,
        "coverage": cov,
        "findings": findings,
        "inventory": [],
        "stats": {"duration_ms": 1_267_000, "api_calls": {"ec2.DescribeInstances": 400}, "throttled": 3, "retries": 3},
    }))
}

/// report.html, plan.html and plan.md of `report`, written as `orgsweep scan --format html`
/// writes them, in a fresh temporary directory.
fn written(report: &Report) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    orgsweep_report::write(report, dir.path(), &[Format::Html]).expect("writes the report");
    dir
}

/// The severity, account and checks of every findings row the reader can see.
async fn visible_rows(b: &Browser) -> anyhow::Result<Vec<(String, String, String)>> {
    let rows = b
        .js("return Array.from(document.querySelectorAll('tbody.fg'))
               .filter(function (g) { return g.checkVisibility(); })
               .map(function (g) { return [g.dataset.severity, g.dataset.account, g.dataset.checks]; });")
        .await?;
    Ok(serde_json::from_value(rows)?)
}

async fn status(b: &Browser) -> anyhow::Result<String> {
    Ok(
        b.js("return document.getElementById('filter-status').textContent;")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Where the element with `id` is relative to the viewport: (top, bottom).
async fn rect(b: &Browser, id: &str) -> anyhow::Result<(f64, f64)> {
    let r = b
        .js(&format!(
            "var r = document.getElementById({}).getBoundingClientRect(); return [r.top, r.bottom];",
            json!(id)
        ))
        .await?;
    Ok((
        r[0].as_f64().context("top")?,
        r[1].as_f64().context("bottom")?,
    ))
}

/// Every CSP violation the page recorded, and every console message about the CSP.
async fn csp_violations(b: &Browser) -> anyhow::Result<Vec<String>> {
    let mut found: Vec<String> = serde_json::from_value(b.js("return window.__csp;").await?)?;
    found.extend(
        b.console()
            .await?
            .into_iter()
            .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to")),
    );
    Ok(found)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn hostile_values_run_no_script_and_break_no_csp_rule() -> anyhow::Result<()> {
    let dir = written(&hostile_report());
    let b = browser().await?;
    for page in ["report.html", "plan.html"] {
        b.open(&dir.path().join(page), None).await?;
        // The listener is in place and the page is really loaded.
        b.wait_for("Array.isArray(window.__csp) && document.readyState === 'complete'")
            .await?;
        // Open every fold and scroll through the page, so everything is laid out and drawn.
        b.js(
            "document.querySelectorAll('details').forEach(function (d) { d.open = true; });
              window.scrollTo(0, document.body.scrollHeight); return null;",
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(200)).await;

        assert_eq!(
            b.js("return typeof window.__pwned;").await?,
            json!("undefined"),
            "{page}: a value from the report ran as script"
        );
        let violations = csp_violations(&b).await?;
        assert!(
            violations.is_empty(),
            "{page}: CSP violations {violations:#?}"
        );
        // What the parser built: no element or attribute the page did not ship.
        let foreign = b
            .js("var out = [];
                 document.querySelectorAll('img, iframe, object, embed, link, meta[http-equiv=refresh], base, form[action]')
                   .forEach(function (e) { out.push(e.outerHTML.slice(0, 80)); });
                 document.querySelectorAll('*').forEach(function (e) {
                   for (var i = 0; i < e.attributes.length; i++) {
                     var n = e.attributes[i].name;
                     if (n.indexOf('on') === 0 || n === 'style' || n === 'srcdoc') out.push(e.tagName + ' ' + n);
                   }
                 });
                 document.querySelectorAll('a[href]').forEach(function (a) {
                   if (a.protocol !== 'file:') out.push('link ' + a.href.slice(0, 80));
                 });
                 return out;")
            .await?;
        assert_eq!(foreign, json!([]), "{page}: markup from a value");
        let scripts = b.js_u64("return document.scripts.length;").await?;
        assert_eq!(
            scripts,
            u64::from(page == "report.html"),
            "{page}: only the page's own script"
        );
        // The values are on the page as text, direction overrides shown, not obeyed.
        let text = b.js("return document.body.textContent;").await?;
        let text = text.as_str().unwrap_or_default();
        assert!(text.contains(XSS_SCRIPT), "{page}: the script tag as text");
        assert!(
            !text.contains('\u{202E}') && text.contains("[U+202E]"),
            "{page}"
        );
    }
    // The page's own script ran (its hash matches the CSP): it shows the filter form.
    b.open(&dir.path().join("report.html"), None).await?;
    assert_eq!(
        b.js("return document.getElementById('filter').hidden;")
            .await?,
        json!(false),
        "filter.js did not run"
    );
    // The check can fail: markup slipped into the page is stopped by the CSP, and seen.
    b.js("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__pwned=1\">'); return null;")
        .await?;
    b.wait_for("window.__csp.length > 0").await?;
    assert_eq!(
        b.js("return typeof window.__pwned;").await?,
        json!("undefined")
    );
    b.close().await
}

#[tokio::test]
async fn the_filters_filter_and_show_all_restores() -> anyhow::Result<()> {
    let dir = written(&hostile_report());
    let b = browser().await?;
    b.open(&dir.path().join("report.html"), None).await?;

    let total = b
        .js_u64("return document.querySelectorAll('tbody.fg').length;")
        .await?;
    assert_eq!(status(&b).await?, format!("{total} resources"));
    // Low and info rows start folded away.
    let first = visible_rows(&b).await?;
    assert!(
        first.len() >= 6 && (first.len() as u64) < total,
        "{first:?}"
    );
    assert!(
        first.iter().all(|r| r.0 != "low" && r.0 != "info"),
        "{first:?}"
    );

    // A matrix count shows that account's rows of that severity, and nothing else; a low
    // count opens the folded low table to show its row.
    b.click("a.mx[data-account='666666666666'][data-severity='low']")
        .await?;
    assert_eq!(
        visible_rows(&b).await?,
        vec![(
            "low".to_owned(),
            "666666666666".to_owned(),
            "config.recorder_off".to_owned()
        )]
    );
    b.click("a.mx[data-account='333333333333'][data-severity='high']")
        .await?;
    let shown = visible_rows(&b).await?;
    let there = b
        .js_u64("return document.querySelectorAll(\"tbody.fg[data-account='333333333333'][data-severity='high']\").length;")
        .await?;
    assert!(there >= 2, "{there}");
    assert_eq!(shown.len() as u64, there, "{shown:?}");
    assert!(
        shown.iter().all(|r| r.0 == "high" && r.1 == "333333333333"),
        "{shown:?}"
    );
    assert_eq!(
        status(&b).await?,
        format!("Showing {there} of {total} resources")
    );

    // "Show all" restores every row (the low table now open) and every control.
    b.click("#filter-clear").await?;
    let all = visible_rows(&b).await?;
    assert_eq!(all.len() as u64, total, "{all:?}");
    assert!(first.iter().all(|r| all.contains(r)));
    assert_eq!(status(&b).await?, format!("{total} resources"));
    assert_eq!(
        b.js(
            "return Array.from(document.querySelectorAll('#filter input[name=severity]'))
                   .every(function (c) { return c.checked; })
                 && document.getElementById('filter-account').value === '';"
        )
        .await?,
        json!(true)
    );

    // Unchecking a severity hides its rows and only those.
    b.click("#filter-sev-high").await?;
    let shown = visible_rows(&b).await?;
    let expected: Vec<_> = all.iter().filter(|r| r.0 != "high").cloned().collect();
    assert!(expected.len() < all.len());
    assert_eq!(shown, expected);
    assert_eq!(
        status(&b).await?,
        format!("Showing {} of {total} resources", shown.len())
    );
    b.click("#filter-clear").await?;
    assert_eq!(visible_rows(&b).await?, all);

    // Text narrows the rows to those that contain it: the p3 instance, one row for its
    // three findings.
    b.client()
        .find(Locator::Css("#filter-text"))
        .await?
        .send_keys("i-0miner")
        .await?;
    let shown = visible_rows(&b).await?;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].1, "333333333333");
    assert!(shown[0].2.contains("resources.mining_class_instance"));
    b.click("#filter-clear").await?;
    assert_eq!(visible_rows(&b).await?, all);
    assert_eq!(
        b.js("return document.getElementById('filter-text').value;")
            .await?,
        json!("")
    );
    b.close().await
}

/// At 1366×768, scrolled to the top: the verdict (how bad, where, how complete) is whole on
/// the first screen, with the accounts that could not be read right after it. Checked on
/// the hostile report, the 100-account report and the checked-in demo report
/// (`reports/example/report.html`, what a new user opens first).
#[tokio::test]
async fn the_verdict_is_on_the_first_screen_and_the_screens_are_saved() -> anyhow::Result<()> {
    let hostile = written(&hostile_report());
    let hundred = written(&hundred_accounts());
    let demo = workspace_root()
        .join("reports/example/report.html")
        .canonicalize()
        .context("the demo report reports/example/report.html")?;
    let b = browser().await?;

    for (page, name) in [
        (
            hostile.path().join("report.html"),
            "hostile-first-screen.png",
        ),
        (
            hundred.path().join("report.html"),
            "report-100-accounts-first-screen.png",
        ),
        (demo, "demo-first-screen.png"),
    ] {
        b.open(&page, None).await?;
        assert_eq!(
            b.js("return [window.innerWidth, window.innerHeight, window.scrollY];")
                .await?,
            json!([WIDTH, HEIGHT, 0])
        );
        let shot = screenshot(&b, name).await?;
        let (top, bottom) = rect(&b, "verdict").await?;
        assert!(
            top >= 0.0 && bottom <= f64::from(HEIGHT),
            "verdict at {top}..{bottom}, see {}",
            shot.display()
        );
        // It says what could not be seen, and links to the details.
        let scope = b
            .js("return document.querySelector('#verdict .verdict-scope').textContent;")
            .await?;
        assert!(
            scope
                .as_str()
                .unwrap_or_default()
                .contains("could not be read"),
            "{scope}"
        );
        let (top, _) = rect(&b, "blocked").await?;
        assert!(top < f64::from(HEIGHT), "#blocked at {top}");
        // The triage list starts on the first screen too.
        let first = b
            .js("var r = document.querySelector('li.triage-item').getBoundingClientRect(); return r.bottom;")
            .await?;
        assert!(
            first.as_f64().unwrap_or(f64::MAX) <= f64::from(HEIGHT),
            "{first}"
        );
        if name.contains("100") && std::env::var_os("ORGSWEEP_BLESS").is_some() {
            let docs = workspace_root().join("docs");
            std::fs::create_dir_all(&docs)?;
            std::fs::copy(&shot, docs.join("report-first-screen.png"))?;
        }
    }

    b.open(&hostile.path().join("plan.html"), None).await?;
    screenshot(&b, "plan-first-screen.png").await?;
    b.close().await
}

/// The gaps a responder must not miss are on the first screen: the verdict says the scan was
/// incomplete and links to the coverage section (where following the link lands), and the
/// accounts that could not be read at all are listed right under it. The full coverage,
/// grouped by cause, is one click away rather than pushing the triage list off the screen.
#[tokio::test]
async fn the_coverage_gaps_are_on_the_first_screen() -> anyhow::Result<()> {
    let dir = written(&hostile_report());
    let b = browser().await?;
    b.open(&dir.path().join("report.html"), None).await?;
    let link = b
        .js(
            "var a = document.querySelector('#verdict a[href=\"#coverage\"]');
             return a ? a.getBoundingClientRect().bottom : null;",
        )
        .await?;
    let bottom = link
        .as_f64()
        .expect("the verdict links to the coverage gaps");
    assert!(bottom <= f64::from(HEIGHT), "the link ends at y={bottom}");
    if b.js("return document.getElementById('blocked') !== null;")
        .await?
        .as_bool()
        .unwrap_or(false)
    {
        let (top, _) = rect(&b, "blocked").await?;
        assert!(
            (0.0..f64::from(HEIGHT)).contains(&top),
            "#blocked starts at y={top}, below the {WIDTH}x{HEIGHT} first screen"
        );
    }
    b.open(&dir.path().join("report.html"), Some("coverage"))
        .await?;
    assert_landed(&b, "coverage").await?;
    b.close().await
}

/// Where a fragment should leave the page: the target at the top of the viewport, or the
/// page scrolled to its end when the target is too near the end to reach the top.
async fn assert_landed(b: &Browser, id: &str) -> anyhow::Result<()> {
    let at = b
        .js(&format!(
            "var e = document.getElementById({});
             if (!e) return null;
             var top = e.getBoundingClientRect().top;
             var max = document.scrollingElement.scrollHeight - window.innerHeight;
             return [top, window.scrollY, Math.min(top + window.scrollY, max), e.checkVisibility()];",
            json!(id)
        ))
        .await?;
    ensure!(!at.is_null(), "no element #{id}");
    let (top, scrolled, expected) = (
        at[0].as_f64().unwrap_or(f64::NAN),
        at[1].as_f64().unwrap_or(f64::NAN),
        at[2].as_f64().unwrap_or(f64::NAN),
    );
    assert!(
        (scrolled - expected).abs() <= 2.0 && top >= -2.0 && top < f64::from(HEIGHT),
        "#{id}: top {top}, scrolled to {scrolled}, expected {expected}"
    );
    assert_eq!(at[3], json!(true), "#{id} is not visible");
    Ok(())
}

#[tokio::test]
async fn plan_links_land_on_their_steps_and_back() -> anyhow::Result<()> {
    let report = hostile_report();
    let dir = written(&report);
    let b = browser().await?;

    b.open(&dir.path().join("report.html"), None).await?;
    let links: Vec<String> = serde_json::from_value(
        b.js("return Array.from(document.querySelectorAll('a[href]'))
                 .map(function (a) { return a.getAttribute('href'); })
                 .filter(function (h) { return h.indexOf('plan.html#') === 0; });")
            .await?,
    )?;
    let first: String = serde_json::from_value(
        b.js("return document.querySelector('li.triage-item').dataset.finding;")
            .await?,
    )?;
    assert!(links.contains(&format!("plan.html#step-{first}")));

    b.open(&dir.path().join("plan.html"), None).await?;
    let steps: Vec<String> = serde_json::from_value(
        b.js("return Array.from(document.querySelectorAll('[id^=\"step-\"]')).map(function (e) { return e.id; });")
            .await?,
    )?;
    for link in &links {
        let id = &link["plan.html#".len()..];
        assert!(
            steps.iter().any(|s| s == id),
            "{link} has no anchor in plan.html"
        );
    }
    // Every finding has its step.
    for f in &report.findings {
        assert!(
            steps.contains(&format!("step-{}", f.id)),
            "no step for {}",
            f.id
        );
    }

    // Opened with a fragment, the plan lands on that step: the first triage finding's, one
    // in the middle and the last.
    for id in [
        format!("step-{first}"),
        steps[steps.len() / 2].clone(),
        steps[steps.len() - 1].clone(),
    ] {
        b.open(&dir.path().join("plan.html"), Some(&id)).await?;
        assert_landed(&b, &id).await?;
    }

    // Clicked in the report: the triage's plan link lands on its step.
    b.open(&dir.path().join("report.html"), None).await?;
    b.click("li.triage-item a.plan").await?;
    b.wait_for("location.pathname.slice(-9) === 'plan.html'")
        .await?;
    assert_eq!(
        b.client().current_url().await?.fragment(),
        Some(format!("step-{first}").as_str())
    );
    assert_landed(&b, &format!("step-{first}")).await?;

    // And back: the plan's link to a low finding, in the collapsed low table, opens it and
    // lands on the finding.
    let low = report
        .findings
        .iter()
        .find(|f| f.check_id == "config.recorder_off")
        .expect("the low finding");
    b.open(
        &dir.path().join("report.html"),
        Some(&format!("finding-{}", low.id)),
    )
    .await?;
    b.wait_for("document.getElementById('findings-low').open")
        .await?;
    assert_landed(&b, &format!("finding-{}", low.id)).await?;
    b.close().await
}

#[tokio::test]
async fn the_report_prints_with_the_verdict_and_the_first_triage_finding() -> anyhow::Result<()> {
    let report = hostile_report();
    let dir = written(&report);
    let b = browser().await?;
    b.open(&dir.path().join("report.html"), None).await?;
    let verdict = collapse(
        b.js("return document.querySelector('#verdict .verdict-findings').textContent;")
            .await?
            .as_str()
            .unwrap_or_default(),
    );
    assert!(
        verdict.starts_with("1 critical and 6 high findings in 5 accounts"),
        "{verdict}"
    );
    let first = collapse(
        b.js("return document.querySelector('li.triage-item a[href^=\"#finding-\"]').textContent;")
            .await?
            .as_str()
            .unwrap_or_default(),
    );
    assert_eq!(
        first,
        "IAM user legacy-ci is quarantined for an exposed access key"
    );

    let pdf = b
        .client()
        .print(
            PrintConfiguration::builder()
                .background(true)
                .build()
                .map_err(|e| anyhow::anyhow!("print configuration: {e:?}"))?,
        )
        .await?;
    let out = artifacts()?;
    let pdf_path = out.join("report-print.pdf");
    std::fs::write(&pdf_path, &pdf)?;
    let page = out.join("report-print-page-1");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf_path)
        .arg(&page)
        .status()
        .context("pdftoppm (Debian's poppler-utils)")?;
    assert!(status.success(), "pdftoppm failed");
    assert!(page.with_extension("png").exists());
    let text = Command::new("pdftotext")
        .arg(&pdf_path)
        .arg("-")
        .output()
        .context("pdftotext (Debian's poppler-utils)")?;
    assert!(text.status.success(), "pdftotext failed");
    let text = collapse(&String::from_utf8_lossy(&text.stdout));
    assert!(
        text.contains(&verdict),
        "the PDF lacks the verdict {verdict:?}: {text}"
    );
    assert!(
        text.contains(&first),
        "the PDF lacks the first triage finding {first:?}"
    );
    b.close().await
}
