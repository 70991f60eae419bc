//! A multi-target report (`scan --targets`) read per customer: the HTML page's Customers
//! section and header, the customer next to each account, and a plan with one section per
//! customer. A single-organization report shows none of it.
//!
//! Reports are built from JSON, as `report --format` reads them, so these tests keep
//! compiling when the model gains a defaulted field.

mod page;

use orgsweep_model::Report;
use orgsweep_report::{plan_html, plan_markdown, step_anchor, to_html};
use serde_json::{Value, json};

use page::{position, report_of, section};

const ACME_MANAGEMENT: &str = "111111111111";
const ACME_MEMBER: &str = "222222222222";
const GLOBEX_ACCOUNT: &str = "999999999999";
const GLOBEX_ERROR: &str = "profile 'globex' gives no credentials";
const XSS: &str = "<script>alert(1)</script>";

fn finding(severity: &str, account: &str, check: &str, id: &str) -> Value {
    json!({
        "id": orgsweep_model::finding_id(check, account, "global", "iam_user", id),
        "check_id": check,
        "severity": severity,
        "account_id": account,
        "region": "global",
        "resource_type": "iam_user",
        "resource_id": id,
        "title": format!("{check} on {id}"),
        "detail": "Detail.",
        "evidence": {},
        "remediation": [format!("aws iam list-access-keys --user-name {id}")],
        "change": null,
    })
}

fn coverage(account: &str, region: Option<&str>, status: &str, error: Option<&str>) -> Value {
    json!({"account_id": account, "region": region, "check_id": null, "status": status, "error": error})
}

fn account(id: &str, name: &str, customer: Option<&str>, target: Option<&str>) -> Value {
    let mut a = json!({"account_id": id, "name": name, "email": format!("{name}@example.com"),
                       "status": "ACTIVE", "ou_path": "Root", "scanned": true});
    if let (Some(customer), Some(target)) = (customer, target) {
        a["customer"] = json!(customer);
        a["target"] = json!(target);
    }
    a
}

/// One organization (`acme-org`, two accounts, findings of every severity, a region it
/// could not read) and one standalone account (`globex-solo`) that could not be reached.
/// `customer` is ACME's name, so a hostile one can be put in.
fn multi_json(customer: &str) -> Value {
    let mut muted = finding(
        "critical",
        ACME_MEMBER,
        "iam.root_access_keys",
        "muted-user",
    );
    muted["muted"] = json!(true);
    muted["mute_reason"] = json!("accepted");
    json!({
        "schema_version": orgsweep_model::SCHEMA_VERSION,
        "tool": {"name": "orgsweep", "version": "0.1.0"},
        "run": {"started_at": "2026-11-26T10:20:00Z", "finished_at": "2026-11-26T10:29:41Z",
                "management_account_id": "", "window_days": 7, "regions": ["us-east-1"],
                "targets": [
                    {"name": "acme-org", "customer": customer, "kind": "organization",
                     "organization_id": "o-acme12345", "account_id": ACME_MANAGEMENT, "accounts": 2},
                    {"name": "globex-solo", "customer": "Globex", "kind": "account",
                     "account_id": GLOBEX_ACCOUNT, "accounts": 0, "error": GLOBEX_ERROR}
                ]},
        "accounts": [
            account(ACME_MANAGEMENT, "acme-management", Some(customer), Some("acme-org")),
            account(ACME_MEMBER, "acme-prod", Some(customer), Some("acme-org")),
        ],
        "coverage": [
            coverage(ACME_MANAGEMENT, None, "ok", None),
            coverage(ACME_MEMBER, None, "ok", None),
            coverage(ACME_MEMBER, Some("us-east-1"), "failed", Some("ec2:DescribeInstances failed: HTTP 500")),
            coverage(GLOBEX_ACCOUNT, None, "failed",
                     Some(&format!("target globex-solo (Globex) could not be scanned: {GLOBEX_ERROR}"))),
        ],
        "findings": [
            finding("critical", ACME_MEMBER, "iam.quarantine_policy_attached", "mallory"),
            finding("high", ACME_MANAGEMENT, "iam.access_key_recently_created", "ci"),
            finding("high", ACME_MEMBER, "iam.console_user_without_mfa", "bob"),
            finding("medium", ACME_MEMBER, "account.security_contact_missing", "contact"),
            finding("low", ACME_MANAGEMENT, "iam.access_key_unused", "old"),
            muted,
        ],
        "inventory": [],
        "stats": {"duration_ms": 1000, "api_calls": {}, "throttled": 0, "retries": 0},
    })
}

fn multi() -> Report {
    report_of(multi_json("ACME"))
}

/// The same ACME organization scanned alone.
fn single() -> Report {
    let mut value = multi_json("ACME");
    value["run"]["management_account_id"] = json!(ACME_MANAGEMENT);
    value["run"]["organization_id"] = json!("o-acme12345");
    value["run"].as_object_mut().expect("run").remove("targets");
    value["accounts"] = json!([
        account(ACME_MANAGEMENT, "acme-management", None, None),
        account(ACME_MEMBER, "acme-prod", None, None),
    ]);
    value["coverage"]
        .as_array_mut()
        .expect("coverage")
        .retain(|c| c["account_id"] != GLOBEX_ACCOUNT);
    report_of(value)
}

/// The `<tr>` of the customers table that contains `needle`.
fn customer_row<'a>(customers: &'a str, needle: &str) -> &'a str {
    let at = position(customers, needle);
    let start = customers[..at].rfind("<tr").expect("a row");
    let end = at + position(&customers[at..], "</tr>");
    &customers[start..end]
}

/// The counts of a customer row, in the table's order (critical, high, medium, low).
fn counts(row: &str) -> Vec<String> {
    ["critical", "high", "medium", "low"]
        .iter()
        .map(|s| {
            let open = format!("data-severity=\"{s}\">");
            let at = position(row, &open) + open.len();
            row[at..at + position(&row[at..], "<")].to_owned()
        })
        .collect()
}

fn anchor(report: &Report, check: &str) -> String {
    report
        .findings
        .iter()
        .find(|f| f.check_id == check)
        .map(step_anchor)
        .unwrap_or_else(|| panic!("no {check}"))
}

#[test]
fn the_customers_section_counts_per_customer_and_shows_an_unreachable_target() {
    let html = to_html(&multi()).expect("renders");
    // Near the top: after the verdict, before the triage and the long tables.
    let at = position(&html, "id=\"customers\"");
    assert!(position(&html, "id=\"verdict\"") < at);
    assert!(at < position(&html, "id=\"triage\""));
    assert!(at < position(&html, "id=\"findings\""));
    assert!(html.contains("<a href=\"#customers\">Customers (2)</a>"));

    let customers = section(&html, "customers");
    assert_eq!(customers.matches("<tr class=\"customer").count(), 2);
    assert!(position(customers, "ACME") < position(customers, "Globex"));

    let acme = customer_row(customers, "<strong>ACME</strong>");
    assert!(acme.contains("<code>acme-org</code> organization <code>o-acme12345</code>"));
    // The muted critical finding does not count.
    assert_eq!(counts(acme), ["1", "2", "1", "1"], "{acme}");
    assert!(
        acme.contains("<td class=\"num\">2</td>"),
        "two accounts: {acme}"
    );
    assert!(
        acme.contains("<a href=\"#coverage\">1</a>"),
        "one gap: {acme}"
    );
    assert!(!acme.contains("blocking"));

    let globex = customer_row(customers, "<strong>Globex</strong>");
    assert!(globex.contains("class=\"customer blocking\""), "{globex}");
    assert!(globex.contains("<code>globex-solo</code> account <code>999999999999</code>"));
    assert!(globex.contains("not scanned"));
    // askama writes `'` as `&#39;`.
    assert!(
        globex.contains("profile &#39;globex&#39; gives no credentials"),
        "{globex}"
    );
    assert_eq!(counts(globex), ["0", "0", "0", "0"]);
    assert!(globex.contains("<a href=\"#coverage\">1</a>"), "{globex}");
}

#[test]
fn the_header_names_targets_and_customers_and_accounts_their_customer() {
    let html = to_html(&multi()).expect("renders");
    let header = section(&html, "run");
    assert!(
        header.contains("2 targets · 2 customers, scan finished"),
        "{header}"
    );
    assert!(!header.contains("Management account"), "{header}");
    assert!(!header.contains("organization <code></code>"), "{header}");
    assert!(html.contains("<title>orgsweep report: 2 targets · 2 customers, "));

    // Whose account it is, wherever an account is named for a responder.
    let accounts = section(&html, "accounts");
    assert!(accounts.contains("<th>Customer</th><th>Target</th>"));
    assert!(accounts.contains(
        "<td><code>222222222222</code></td>\n<td>ACME</td>\n<td><code>acme-org</code></td>"
    ));
    let findings = section(&html, "findings");
    assert!(findings.contains("<span class=\"muted\">customer ACME</span>"));
    assert!(section(&html, "triage").contains("· customer ACME"));
}

#[test]
fn a_hostile_customer_name_is_escaped() {
    let report = report_of(multi_json(XSS));
    let html = to_html(&report).expect("renders");
    assert!(
        !html.contains("<script>alert(1)"),
        "raw payload in the page"
    );
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    // The only script element is the page's own.
    assert_eq!(html.matches("<script").count(), 1);

    let plan = plan_html(&report).expect("renders");
    assert!(!plan.contains("<script"), "raw payload in the plan");
    assert!(plan.contains("Customer &#60;script&#62;alert(1)"));

    // In Markdown the name is a code span: rendered, it is text.
    let md = plan_markdown(&report);
    assert!(md.contains(&format!("## Customer `{XSS}`")), "{md}");
    let mut rendered = String::new();
    pulldown_cmark::html::push_html(&mut rendered, pulldown_cmark::Parser::new(&md));
    assert!(!rendered.contains("<script>alert(1)"), "{rendered}");
}

#[test]
fn the_plan_has_one_section_per_customer_with_its_steps_in_order() {
    let report = multi();
    let md = plan_markdown(&report);
    assert!(md.starts_with("# Remediation plan for 2 targets · 2 customers\n"));
    assert!(!md.contains("organization `(empty)`"), "{md}");
    assert_eq!(md.matches("\n## Customer ").count(), 2, "{md}");
    let acme = position(&md, "\n## Customer `ACME` (5 findings)\n");
    let globex = position(&md, "\n## Customer `Globex` (0 findings)\n");
    assert!(acme < globex);

    // ACME's steps under its heading, in the plan's order, one level down.
    let steps: Vec<usize> = [
        "iam.quarantine_policy_attached",
        "iam.access_key_recently_created",
        "iam.console_user_without_mfa",
        "account.security_contact_missing",
        "iam.access_key_unused",
        "iam.root_access_keys",
    ]
    .iter()
    .map(|check| position(&md, &anchor(&report, check)))
    .collect();
    assert!(steps.is_sorted(), "{steps:?}");
    assert!(acme < steps[0] && steps[5] < globex, "{md}");
    let acme_part = &md[acme..globex];
    assert!(acme_part.contains("\n### Critical and high (3)\n"));
    assert!(acme_part.contains("\n#### Contain credentials\n"));
    assert!(acme_part.contains("\n##### \\[critical\\] "));
    assert!(acme_part.contains("\n### Muted (accepted risk)\n"));
    assert!(acme_part.contains("Targets: `acme-org` (organization `o-acme12345`)."));
    // Commands run from the customer's own management account.
    assert!(acme_part.contains(
        "Run in account `222222222222` `acme-prod` (assume `OrganizationAccountAccessRole` \
         or your remediation role in it, from the management account `111111111111`)"
    ));
    assert!(acme_part.contains(
        "Run in account `111111111111` `acme-management` (the management account: use its \
         administrator credentials)"
    ));

    // The unreachable target stands in its customer's section.
    let globex_part = &md[globex..];
    assert!(globex_part.contains("Targets: `globex-solo` (account `999999999999`)."));
    assert!(globex_part.contains(
        "**Not scanned**: target `globex-solo` could not be scanned: profile 'globex' gives no credentials."
    ));
    assert!(
        globex_part.contains("No findings in what was scanned")
            && !globex_part.contains("Nothing to do"),
        "an unreached customer is never told there is nothing to do"
    );

    let html = plan_html(&report).expect("renders");
    assert!(html.contains("<title>orgsweep remediation plan: 2 targets · 2 customers</title>"));
    assert_eq!(html.matches("<section class=\"customer\"").count(), 2);
    let acme = position(&html, "<h2>Customer ACME (5 findings)</h2>");
    let globex = position(&html, "<h2>Customer Globex (0 findings)</h2>");
    assert!(acme < globex);
    for check in ["iam.quarantine_policy_attached", "iam.access_key_unused"] {
        let step = position(&html, &format!("id=\"{}\"", anchor(&report, check)));
        assert!(acme < step && step < globex, "{check}");
    }
    assert!(html[acme..globex].contains("<h3>Critical and high (3)</h3>"));
    assert!(html[acme..globex].contains("<h4>Contain credentials</h4>"));
    assert!(html[acme..globex].contains("<h5>[critical] "));
    assert!(
        html[globex..].contains("<strong>Not scanned</strong>: target <code>globex-solo</code>")
    );
}

#[test]
fn a_single_organization_report_has_no_customers() {
    let report = single();
    let html = to_html(&report).expect("renders");
    assert!(!html.contains("id=\"customers\""));
    assert!(!html.contains("Customer"), "no customer column or link");
    assert!(html.contains(
        "organization <code>111111111111</code> (<code>o-acme12345</code>), scan finished"
    ));
    assert!(html.contains("<dt>Management account</dt>"));

    let md = plan_markdown(&report);
    assert!(md.starts_with("# Remediation plan for organization `111111111111`\n"));
    assert!(!md.contains("Customer"));
    assert!(md.contains("\n## Critical and high (3)\n"));
    assert!(md.contains("\n#### \\[critical\\] "));
    let html = plan_html(&report).expect("renders");
    assert!(!html.contains("class=\"customer\"") && !html.contains("Customer"));
    assert!(html.contains("<h4>[critical] "));
}

#[test]
fn asff_findings_of_a_target_are_imported_by_its_own_management_account() {
    let findings = orgsweep_report::asff_findings(&multi());
    assert!(!findings.is_empty());
    for f in &findings {
        let arn = f["ProductArn"].as_str().unwrap_or_default();
        assert!(
            arn.ends_with(&format!(
                ":{ACME_MANAGEMENT}:product/{ACME_MANAGEMENT}/default"
            )),
            "{arn}"
        );
    }
    let single = orgsweep_report::asff_findings(&single());
    assert!(single.iter().all(|f| {
        f["ProductArn"]
            .as_str()
            .is_some_and(|a| a.contains(&format!(":{ACME_MANAGEMENT}:product/")))
    }));
}
