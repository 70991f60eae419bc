//! The HTML page's per-account spend table: this month against last from Cost Explorer, the
//! accounts the billing checks flagged first and marked, then the fastest-growing; a total
//! row; nothing at all when no account has charges (older reports, or Cost Explorer not
//! readable).
//!
//! Reports are built from JSON, as `report --format` reads them, so these tests keep
//! compiling when the model gains a defaulted field.

mod page;

use orgsweep_report::to_html;
use serde_json::{Value, json};

use page::{position, report_of, section};

const SPIKY: &str = "111111111111";
const FRESH: &str = "222222222222";
const STEADY: &str = "333333333333";
const NO_SPEND: &str = "444444444444";
const BIGGER: &str = "555555555555";
const XSS: &str = "<script>alert(1)</script>";

fn spend(previous: i64, previous_days: u32, current: i64, current_days: u32) -> Value {
    json!({"previous_month_cents": previous, "previous_month_days": previous_days,
           "current_month_cents": current, "current_month_days": current_days})
}

fn account(id: &str, name: &str, spend: Option<Value>) -> Value {
    let mut a = json!({"account_id": id, "name": name, "email": format!("{id}@example.com"),
                       "status": "ACTIVE", "ou_path": "Root", "scanned": true});
    if let Some(spend) = spend {
        a["spend"] = spend;
    }
    a
}

fn finding_id(check: &str, account: &str) -> String {
    orgsweep_model::finding_id(check, account, "global", "account", account)
}

fn finding(severity: &str, account: &str, check: &str) -> Value {
    json!({
        "id": finding_id(check, account),
        "check_id": check,
        "severity": severity,
        "account_id": account,
        "region": "global",
        "resource_type": "account",
        "resource_id": account,
        "title": format!("{check} in {account}"),
        "detail": "Detail.",
        "evidence": {},
        "remediation": [],
        "change": null,
    })
}

/// Four accounts: one whose daily rate went up five times (and a `billing.spend_spike`
/// finding says so), one that cost nothing last month and does now, one steady, and one
/// whose charges were not read.
fn report_json() -> Value {
    let mut muted = finding("high", STEADY, "billing.new_service_spend");
    muted["muted"] = json!(true);
    muted["mute_reason"] = json!("expected");
    json!({
        "schema_version": orgsweep_model::SCHEMA_VERSION,
        "tool": {"name": "orgsweep", "version": "0.1.0"},
        "run": {"started_at": "2026-11-11T10:20:00Z", "finished_at": "2026-11-11T10:29:41Z",
                "management_account_id": SPIKY, "window_days": 7, "regions": ["us-east-1"]},
        "accounts": [
            // 30 days of last month at $41.15 a day; 10 days of this one at $205.75 a day.
            account(SPIKY, "spiky", Some(spend(123_450, 30, 205_750, 10))),
            account(FRESH, "fresh", Some(spend(0, 30, 5_000, 10))),
            account(STEADY, "steady", Some(spend(300_000, 30, 100_000, 10))),
            account(NO_SPEND, "unread", None),
        ],
        "coverage": [],
        "findings": [
            finding("medium", SPIKY, "billing.spend_spike"),
            finding("high", FRESH, "iam.root_access_keys"),
            // Muted: it does not mark the steady account.
            muted,
        ],
        "inventory": [],
        "stats": {"duration_ms": 1000, "api_calls": {}, "throttled": 0, "retries": 0},
    })
}

/// The `<tr>` that contains `needle`.
fn row<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = position(html, needle);
    let start = html[..at].rfind("<tr").expect("a row");
    let end = at + position(&html[at..], "</tr>");
    &html[start..end]
}

/// The text of the numeric cells of a row, in order.
fn amounts(row: &str) -> Vec<&str> {
    row.split("class=\"num\">")
        .skip(1)
        .map(|cell| &cell[..position(cell, "</")])
        .collect()
}

#[test]
fn one_row_per_account_with_charges_flagged_first_then_by_growth() {
    let html = to_html(&report_of(report_json())).expect("renders");
    // Next to the spend chart, in the charts part of the page, before the coverage gaps.
    let at = position(&html, "<section id=\"spend\">");
    assert!(position(&html, "id=\"charts\"") < at);
    assert!(at < position(&html, "id=\"coverage\""));
    assert!(html.contains("<li><a href=\"#spend\">Spend (3)</a></li>"));

    let spend = section(&html, "spend");
    assert_eq!(spend.matches("<tr data-account=").count(), 3, "{spend}");
    assert!(
        !spend.contains(NO_SPEND),
        "an account without charges has no row"
    );
    let spiky = position(
        spend,
        &format!("<code>{SPIKY}</code> <span class=\"muted\">spiky"),
    );
    let fresh = position(
        spend,
        &format!("<code>{FRESH}</code> <span class=\"muted\">fresh"),
    );
    let steady = position(
        spend,
        &format!("<code>{STEADY}</code> <span class=\"muted\">steady"),
    );
    assert!(spiky < fresh && fresh < steady, "{spend}");
    assert!(spend.contains("3 account(s) with charges, 1 flagged by the billing checks"));
    assert!(
        spend.contains("Last month (30 days)") && spend.contains("This month to date (10 days)")
    );

    let spiky = row(spend, SPIKY);
    assert!(spiky.contains("class=\"blocking\""), "{spiky}");
    assert_eq!(
        amounts(spiky),
        ["$1,234.50", "$2,057.50", "<strong>×5.0"],
        "{spiky}"
    );
    let id = finding_id("billing.spend_spike", SPIKY);
    assert!(
        spiky.contains(&format!(
            "<span class=\"badge sev-medium\">medium</span> <a href=\"#finding-{id}\"><code>billing.spend_spike</code></a>"
        )),
        "{spiky}"
    );
    // The link lands on the finding.
    assert!(html.contains(&format!("id=\"finding-{id}\"")));

    let fresh = row(spend, FRESH);
    assert!(
        !fresh.contains("blocking"),
        "not a billing finding: {fresh}"
    );
    assert!(!fresh.contains("iam.root_access_keys"));
    assert_eq!(amounts(fresh), ["$0.00", "$50.00", "new"], "{fresh}");

    let steady = row(spend, STEADY);
    assert!(!steady.contains("blocking"), "muted: {steady}");
    assert!(!steady.contains("billing.new_service_spend"));
    assert_eq!(
        amounts(steady),
        ["$3,000.00", "$1,000.00", "×1.0"],
        "{steady}"
    );

    let total = row(spend, "class=\"spend-total\"");
    assert!(total.contains("Total, 3 account(s)"), "{total}");
    // ($1,234.50 + $3,000.00) over 30 days against $3,107.50 over 10: ×2.2.
    assert_eq!(
        amounts(total),
        ["$4,234.50", "$3,107.50", "×2.2"],
        "{total}"
    );
}

#[test]
fn the_growth_orders_accounts_that_were_not_flagged_and_the_amount_breaks_ties() {
    let mut value = report_json();
    value["findings"] = json!([]);
    value["accounts"] = json!([
        account(SPIKY, "a", Some(spend(100, 30, 100, 10))),
        account(FRESH, "b", Some(spend(100, 30, 200, 10))),
        account(STEADY, "c", Some(spend(100, 30, 500, 10))),
        // Unknown: no day of this month yet.
        account(NO_SPEND, "d", Some(spend(900, 30, 0, 0))),
        // The same growth as `c`, on more money.
        account(BIGGER, "e", Some(spend(1_000, 30, 5_000, 10))),
    ]);
    let html = to_html(&report_of(value)).expect("renders");
    let spend = section(&html, "spend");
    let order = [BIGGER, STEADY, FRESH, SPIKY, NO_SPEND]
        .map(|id| position(spend, &format!("<tr data-account=\"{id}\"")));
    assert!(order.is_sorted(), "{spend}");
    assert!(!spend.contains("class=\"blocking\""));
    assert_eq!(amounts(row(spend, STEADY))[2], "×15.0");
    assert_eq!(amounts(row(spend, NO_SPEND))[2], "–");
    assert!(spend.contains("0 flagged by the billing checks"));
    // The periods differ between accounts: no days in the headings.
    assert!(
        spend.contains("<th class=\"num\">This month to date</th>"),
        "{spend}"
    );
}

#[test]
fn no_spend_section_without_charges() {
    let mut value = report_json();
    for a in value["accounts"].as_array_mut().expect("accounts") {
        a.as_object_mut().expect("account").remove("spend");
    }
    let html = to_html(&report_of(value)).expect("renders");
    assert!(!html.contains("id=\"spend\""));
    assert!(!html.contains("href=\"#spend\""));
    assert!(!html.contains("Spend per account"));
    // The billing finding is still listed with the findings.
    assert!(html.contains("billing.spend_spike"));
}

#[test]
fn hostile_account_names_and_customers_are_escaped() {
    let mut value = report_json();
    value["accounts"][0]["name"] = json!(XSS);
    value["accounts"][0]["customer"] = json!("<b>ACME</b>");
    let html = to_html(&report_of(value)).expect("renders");
    let spend = section(&html, "spend");
    let spiky = row(spend, SPIKY);
    assert!(
        spiky.contains("<span class=\"muted\">&#60;script&#62;alert(1)&#60;/script&#62;</span>"),
        "{spiky}"
    );
    assert!(
        spiky.contains("· customer &#60;b&#62;ACME&#60;/b&#62;"),
        "{spiky}"
    );
    assert!(!html.contains(XSS));
    assert!(!html.contains("<b>ACME</b>"));
}
