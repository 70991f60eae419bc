//! The HTML report and the remediation plan through the crate's public API, on a report
//! shaped like a real incident: what a security team sees first, what it can open, what it
//! prints, and that nothing an attacker can write into AWS reaches the page or the plan as
//! markup.
//!
//! Reports are built from JSON, as `report --format` reads them, so these tests keep
//! compiling when the model gains a defaulted field.

mod page;

use std::time::Instant;

use orgsweep_model::Report;
use orgsweep_report::{plan_html, plan_markdown, step_anchor, to_html};
use serde_json::{Value, json};

use page::{position, report_of, section};

const MANAGEMENT: &str = "111111111111";
const UNASSUMABLE: &str = "777777777777";
const SCANNED: [&str; 6] = [
    "111111111111",
    "222222222222",
    "333333333333",
    "444444444444",
    "555555555555",
    "666666666666",
];
const REGIONS: [&str; 3] = ["ap-southeast-2", "eu-west-1", "us-east-1"];

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

/// Six scanned accounts and one whose role could not be assumed; a quarantined user (the one
/// critical finding) in a member account; high findings in four phases; a p3 instance that
/// is mining-class, in an unexpected region and new; the same three checks skipped in every
/// scanned account; LookupEvents failing in three regions of four accounts.
fn realistic_json() -> Value {
    let names = ["management", "prod", "dev", "sandbox", "data", "shared"];
    let mut accounts: Vec<Value> = SCANNED
        .iter()
        .zip(names)
        .map(|(id, name)| {
            json!({"account_id": id, "name": name, "email": format!("{name}@example.com"),
                   "status": "ACTIVE", "ou_path": "Root/Workloads", "scanned": true})
        })
        .collect();
    accounts.push(
        json!({"account_id": UNASSUMABLE, "name": "legacy", "email": "legacy@example.com",
                         "status": "ACTIVE", "ou_path": "Root/Legacy", "scanned": false}),
    );

    let mut cov = Vec::new();
    for account in SCANNED {
        cov.push(coverage(account, None, None, "ok", None));
        for region in REGIONS {
            cov.push(coverage(account, Some(region), None, "ok", None));
        }
        for (check, why) in [
            (
                "account.root_email_outside_org_domains",
                "no email_domains in orgsweep.toml",
            ),
            (
                "iam.unknown_principal",
                "no baseline (--baseline) or known_principals",
            ),
            (
                "resources.unknown_resource",
                "no baseline (--baseline) or allow rules",
            ),
        ] {
            cov.push(coverage(account, None, Some(check), "skipped", Some(why)));
        }
    }
    for account in &SCANNED[..4] {
        for region in REGIONS {
            cov.push(coverage(
                account,
                Some(region),
                Some("cloudtrail.suspicious_event"),
                "failed",
                Some("cloudtrail:LookupEvents failed: HTTP 500 (internal server error)"),
            ));
        }
    }
    cov.push(coverage(UNASSUMABLE, None, None, "failed", Some(
        "cannot assume role arn:aws:iam::777777777777:role/OrganizationAccountAccessRole: sts:AssumeRole failed: HTTP 403 (access denied)")));

    let mut quarantined = finding(
        "critical",
        "222222222222",
        "iam.quarantine_policy_attached",
        "global",
        "iam_user",
        "arn:aws:iam::222222222222:user/legacy-ci",
    );
    quarantined["title"] = json!("IAM user legacy-ci is quarantined for an exposed access key");
    let mut own = finding(
        "info",
        MANAGEMENT,
        "iam.principal_recently_created",
        "global",
        "iam_user",
        "arn:aws:iam::111111111111:user/orgsweep-scanner",
    );
    own["scanner_identity"] = json!(true);
    let mut muted = finding(
        "medium",
        "666666666666",
        "resources.shared_outside_org",
        "us-east-1",
        "ec2_snapshot",
        "snap-0shared",
    );
    muted["muted"] = json!(true);
    muted["mute_reason"] = json!("shared with the backup vendor, ticket SEC-12");
    let mut suspicious = finding(
        "medium",
        "555555555555",
        "cloudtrail.suspicious_event",
        "us-east-1",
        "principal",
        "arn:aws:iam::555555555555:user/mallory",
    );
    suspicious["evidence"] = json!({"count": 3, "events": [
        {"time": "2026-11-24T09:00:00Z", "event": "StopLogging", "group": "defense evasion", "source_ip": "198.51.100.23"},
        {"time": "2026-11-25T09:00:00Z", "event": "CreateAccessKey", "group": "credentials", "source_ip": "198.51.100.23"},
        {"time": "2026-11-25T10:00:00Z", "event": "CreateUser", "group": "persistence", "source_ip": "198.51.100.23"}
    ]});
    let mut miner_new = finding(
        "low",
        "333333333333",
        "resources.recently_created",
        "ap-southeast-2",
        "ec2_instance",
        "i-0miner",
    );
    miner_new["change"] = json!("new");

    let findings = vec![
        quarantined,
        finding(
            "high",
            MANAGEMENT,
            "iam.access_key_recently_created",
            "global",
            "iam_access_key",
            "AKIAEXAMPLE111",
        ),
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
        finding(
            "high",
            "444444444444",
            "cloudtrail.no_active_trail",
            "global",
            "cloudtrail",
            "444444444444",
        ),
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
            MANAGEMENT,
            "account.security_contact_missing",
            "global",
            "account",
            MANAGEMENT,
        ),
        suspicious,
        finding(
            "low",
            "666666666666",
            "config.recorder_off",
            "eu-west-1",
            "config_recorder",
            "eu-west-1",
        ),
        own,
        muted,
    ];
    json!({
        "schema_version": orgsweep_model::SCHEMA_VERSION,
        "tool": {"name": "orgsweep", "version": "0.1.0"},
        "run": {"started_at": "2026-11-26T10:20:00Z", "finished_at": "2026-11-26T10:29:41Z",
                "management_account_id": MANAGEMENT, "window_days": 7,
                "regions": REGIONS, "expected_regions": ["eu-west-1", "us-east-1"]},
        "accounts": accounts,
        "coverage": cov,
        "findings": findings,
        "inventory": [
            {"account_id": "333333333333", "region": "ap-southeast-2", "resource_type": "ec2_instance",
             "resource_id": "i-0miner", "created_at": "2026-11-25T03:04:05Z", "state": "running",
             "tags": {"Name": "p3"}, "known": false}
        ],
        "stats": {"duration_ms": 9000, "api_calls": {"ec2.DescribeInstances": 21}, "throttled": 0, "retries": 0},
    })
}

fn realistic() -> Report {
    report_of(realistic_json())
}

fn id_of(report: &Report, check: &str, resource: &str) -> String {
    report
        .findings
        .iter()
        .find(|f| f.check_id == check && f.resource_id.ends_with(resource))
        .map(|f| f.id.clone())
        .unwrap_or_else(|| panic!("no {check} on {resource}"))
}

#[test]
fn the_first_screen_answers_how_bad_where_what_first_and_what_was_not_seen() {
    let report = realistic();
    let html = to_html(&report).expect("renders");

    // The verdict: how bad, where, and how complete.
    let verdict = section(&html, "verdict");
    assert!(
        verdict.contains("1 critical and 6 high findings in 5 accounts (2 medium, 2 low, 1 info)"),
        "{verdict}"
    );
    assert!(
        verdict.contains("Scanned 6 of 7 accounts (1 account could not be read)"),
        "{verdict}"
    );
    assert!(
        verdict.contains("1 check failed in 4 accounts (12 scopes)"),
        "{verdict}"
    );
    assert!(
        verdict.contains("3 checks skipped (not configured)"),
        "{verdict}"
    );
    assert!(verdict.contains("verdict-fire"));

    // The account that could not be read stands above the triage and the findings.
    let blocked = position(&html, "id=\"blocked\"");
    assert!(section(&html, "blocked").contains(UNASSUMABLE));
    assert!(section(&html, "blocked").contains("HTTP 403"));
    assert!(blocked < position(&html, "id=\"triage\""));
    assert!(blocked < position(&html, "id=\"findings-table\""));

    // The triage list in the plan's order: contain credentials first, critical before
    // high, resources after activity; one line per resource, each linked twice.
    let triage = section(&html, "triage");
    let at = |check: &str, resource: &str| {
        position(
            triage,
            &format!("data-finding=\"{}\"", id_of(&report, check, resource)),
        )
    };
    let quarantine = at("iam.quarantine_policy_attached", "legacy-ci");
    let key = at("iam.access_key_recently_created", "AKIAEXAMPLE111");
    let trail = at("cloudtrail.no_active_trail", "444444444444");
    let miner = at("resources.mining_class_instance", "i-0miner");
    let root = at("iam.root_mfa_disabled", "555555555555:root");
    assert!(quarantine < key && key < trail && trail < miner && miner < root);
    assert_eq!(
        triage.matches("class=\"triage-item\"").count(),
        6,
        "{triage}"
    );
    assert_eq!(triage.matches("class=\"triage-account\"").count(), 5);
    let quarantine_id = id_of(&report, "iam.quarantine_policy_attached", "legacy-ci");
    assert!(triage.contains(&format!("href=\"#finding-{quarantine_id}\"")));
    assert!(triage.contains(&format!("href=\"plan.html#step-{quarantine_id}\"")));
    // The miner is one line with its other reason, not two.
    assert!(triage.contains("also: resources.unexpected_region on i-0miner"));
    assert!(
        !triage.contains("snap-0shared"),
        "muted findings are not triaged"
    );

    // The matrix: one row per account, counts that filter, sortable columns.
    let matrix = section(&html, "matrix");
    assert_eq!(matrix.matches("<tr data-account=").count(), 7);
    assert!(matrix.contains(
        "<a class=\"mx\" href=\"#findings\" data-account=\"222222222222\" data-severity=\"critical\">1</a>"
    ));
    assert!(matrix.contains("class=\"sort\" data-col=\"1\""));
    assert!(matrix.contains("cov-not-scanned") && matrix.contains("cov-partial"));

    // Charts drawn here as inline SVG.
    let charts = section(&html, "charts");
    assert!(charts.contains("id=\"chart-findings\"") && charts.contains("<svg class=\"chart\""));
    assert!(charts.contains("id=\"chart-activity\""));
    assert!(charts.contains("class=\"act-suspicious\""));
    assert!(
        !charts.contains("chart-spend"),
        "no billing evidence, no spend chart"
    );
    // With the billing checks' evidence, spend this month against last month is drawn.
    let mut value = realistic_json();
    let mut spend = finding(
        "medium",
        "333333333333",
        "billing.spend_spike",
        "global",
        "service",
        "Amazon EC2",
    );
    spend["evidence"] = json!({"service": "Amazon Elastic Compute Cloud - Compute",
        "previous_month": {"start": "2026-10-01", "days": 31, "amount_usd": 31.0, "daily_rate_usd": 1.0},
        "current_month": {"start": "2026-11-01", "days": 25, "amount_usd": 2500.0, "daily_rate_usd": 100.0}});
    value["findings"].as_array_mut().expect("array").push(spend);
    let with_spend = to_html(&report_of(value)).expect("renders");
    let chart = section(&with_spend, "charts");
    assert!(chart.contains("id=\"chart-spend\""));
    assert!(chart.contains("(USD per day)"));
    assert!(chart.contains("<title>this month 100.00</title>"));

    // Everything above comes before the coverage details and the findings table.
    assert!(position(&html, "id=\"charts\"") < position(&html, "id=\"coverage\""));
    assert!(position(&html, "id=\"coverage\"") < position(&html, "id=\"findings\""));
}

#[test]
fn coverage_is_one_row_per_cause_with_the_scopes_inside() {
    let html = to_html(&realistic()).expect("renders");
    let coverage = section(&html, "coverage");
    assert_eq!(
        coverage.matches("<tr class=\"cause").count(),
        3,
        "{coverage}"
    );
    let blocking = position(coverage, "1 account could not be read");
    let failed = position(
        coverage,
        "cloudtrail.suspicious_event failed in 3 regions of 4 accounts",
    );
    let skipped = position(
        coverage,
        "3 checks skipped in all 6 scanned accounts: not configured",
    );
    assert!(blocking < failed && failed < skipped);
    assert!(coverage.contains("LookupEvents failed: HTTP 500"));
    assert!(coverage.contains("(how to configure)"));
    assert!(coverage.contains(
        "<code>iam.unknown_principal</code>: no baseline (--baseline) or known_principals"
    ));
    // The account id inside the error does not split the cause.
    assert!(coverage.contains("arn:aws:iam::&#60;account&#62;:role/OrganizationAccountAccessRole"));
    // Every scope is listed inside its cause: 12 + 18 + 1.
    assert_eq!(coverage.matches("<td>ap-southeast-2</td>").count(), 4);
    assert_eq!(coverage.matches("<td>account-wide</td>").count(), 18);
}

#[test]
fn findings_are_one_row_per_resource_low_collapsed_muted_apart() {
    let report = realistic();
    let html = to_html(&report).expect("renders");
    let findings = section(&html, "findings");
    // The filter form and its controls.
    for id in [
        "id=\"filter\"",
        "id=\"filter-text\"",
        "id=\"filter-account\"",
        "id=\"filter-change\"",
        "id=\"filter-sev-low\"",
        "id=\"filter-status\"",
    ] {
        assert!(findings.contains(id), "{id}");
    }
    // The p3 instance: one row, three reasons, change "new" because one of them is.
    let start = position(
        findings,
        "data-account=\"333333333333\" data-account-name=\"dev\" data-region=\"ap-southeast-2\" data-checks=\"resources.mining_class_instance resources.recently_created resources.unexpected_region\" data-change=\"new\"",
    );
    let row = &findings[start..start + position(&findings[start..], "</tbody>")];
    assert_eq!(row.matches("<li id=\"finding-").count(), 3, "{row}");
    // The volume stays on its own row, and the page says why.
    assert!(findings.contains("does not say which instance a volume is attached to"));
    // Low and info are in a collapsed table, after every more severe row.
    let collapsed = position(findings, "<details id=\"findings-low\">");
    let recorder = position(findings, "config.recorder_off on eu-west-1");
    let medium = position(findings, "account.security_contact_missing on");
    assert!(medium < collapsed && collapsed < recorder);
    // orgsweep's own identity is marked.
    let own = position(findings, "orgsweep-scanner");
    assert!(findings[own..].contains("orgsweep's own identity"));
    // Muted findings are apart, with their reason, and nowhere else.
    assert!(!findings.contains("snap-0shared"));
    let muted = section(&html, "muted");
    assert!(muted.contains("Muted (accepted risk)"));
    assert!(muted.contains("shared with the backup vendor, ticket SEC-12"));
    let muted_id = id_of(&report, "resources.shared_outside_org", "snap-0shared");
    assert!(muted.contains(&format!("id=\"finding-{muted_id}\"")));
}

#[test]
fn the_changed_since_section_shows_every_state() {
    let mut value = realistic_json();
    let gone = finding(
        "high",
        "222222222222",
        "iam.console_user_without_mfa",
        "global",
        "iam_user",
        "arn:aws:iam::222222222222:user/bob",
    );
    let unseen = finding(
        "high",
        UNASSUMABLE,
        "iam.root_mfa_disabled",
        "global",
        "iam_root_user",
        "arn:aws:iam::777777777777:root",
    );
    let item = |id: &str| {
        json!({"account_id": "333333333333", "region": "ap-southeast-2", "resource_type": "ec2_instance",
               "resource_id": id, "created_at": null, "state": "running", "tags": {}, "known": false})
    };
    value["previous"] = json!({
        "started_at": "2026-11-19T10:20:00Z",
        "resolved_findings": [gone],
        "not_rechecked_findings": [unseen],
        "appeared": [item("i-0miner")],
        "disappeared": [item("i-0old")],
        "not_rechecked_resources": [item("i-0unseen")],
    });
    let html = to_html(&report_of(value)).expect("renders");
    let changed = section(&html, "changed");
    assert!(changed.contains("Changed since 2026-11-19 10:20:00Z"));
    for heading in [
        "New findings (1)",
        "Resolved findings (1)",
        "Not re-checked findings (1)",
        "Resources that appeared (1)",
        "Resources that disappeared (1)",
        "Resources not re-checked (1)",
    ] {
        assert!(changed.contains(heading), "{heading} missing: {changed}");
    }
    assert!(changed.contains("i-0unseen") && changed.contains("not readable in this scan"));
}

#[test]
fn the_print_stylesheet_keeps_the_summary_and_the_plan_links() {
    let html = to_html(&realistic()).expect("renders");
    let style = &html[position(&html, "<style>")..position(&html, "</style>")];
    let print = &style[position(style, "@media print")..];
    // The summary, triage and plan links print; the long lists do not.
    assert!(print.contains("#findings"));
    assert!(print.contains("#inventory"));
    assert!(!print.contains("#triage {") && !print.contains("#verdict"));
    assert!(print.contains("#triage a.plan::after { content: \" (\" attr(href) \")\""));
    // Badges never break mid-word.
    assert!(style.contains("white-space: nowrap; word-break: keep-all;"));
    assert!(!style.contains("overflow-wrap: anywhere"));
}

#[test]
fn the_plan_orders_the_whole_organization_and_says_where_each_command_runs() {
    let report = realistic();
    let md = plan_markdown(&report);
    let step = |check: &str, resource: &str| {
        let id = id_of(&report, check, resource);
        position(&md, &format!("<a id=\"step-{id}\"></a>"))
    };
    // A member account's critical containment before the management account's medium.
    let critical = step("iam.quarantine_policy_attached", "legacy-ci");
    let management_high = step("iam.access_key_recently_created", "AKIAEXAMPLE111");
    let miner = step("resources.mining_class_instance", "i-0miner");
    let management_medium = step("account.security_contact_missing", MANAGEMENT);
    let low = step("config.recorder_off", "eu-west-1");
    assert!(critical < management_high && management_high < miner);
    assert!(miner < management_medium && management_medium < low);
    assert!(position(&md, "## Critical and high (7)") < critical);
    assert!(position(&md, "## Medium") < management_medium);
    // Which account, and which role.
    let member = &md[critical..management_high];
    assert!(
        member.contains(
            "Run in account `222222222222` `prod` (assume `OrganizationAccountAccessRole` or your remediation role in it"
        ),
        "{member}"
    );
    let management = &md[management_high..miner];
    assert!(
        management.contains("Run in account `111111111111` `management` (the management account"),
        "{management}"
    );
    // Commands in code spans.
    assert!(
        md.contains("- [ ] Then: `aws ec2 describe-things --region ap-southeast-2 --id i-0miner`")
    );
    // Muted findings are listed apart, not planned; every finding has its anchor.
    assert!(position(&md, "## Muted (accepted risk)") > low);
    for f in &report.findings {
        assert!(md.contains(&step_anchor(f)), "no step for {}", f.id);
    }
    let html = plan_html(&report).expect("renders");
    for f in &report.findings {
        assert!(html.contains(&format!("id=\"step-{}\"", f.id)));
    }
    assert!(
        position(
            &html,
            &format!(
                "id=\"step-{}\"",
                id_of(&report, "iam.quarantine_policy_attached", "legacy-ci")
            )
        ) < position(
            &html,
            &format!(
                "id=\"step-{}\"",
                id_of(&report, "account.security_contact_missing", MANAGEMENT)
            )
        )
    );
}

/// Markdown rendered the way a forge would (CommonMark with GFM's tables, strikethrough and
/// task lists), to see what a reader of plan.md sees.
fn rendered(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::new();
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    html::push_html(&mut out, Parser::new_ext(md, options));
    out
}

#[test]
fn plan_md_renders_values_from_aws_as_text() {
    let mut value = realistic_json();
    let user = "a_b*c*";
    let tag = "[x](http://evil)";
    let ticks = "x`y``z";
    let mut f = finding(
        "high",
        "444444444444",
        "iam.access_key_recently_created",
        "global",
        "iam_access_key",
        ticks,
    );
    f["title"] = json!(format!(
        "Access key of {user} created, tagged {tag} <b>bold</b>"
    ));
    f["evidence"] = json!({ "user": user });
    f["remediation"] = json!([
        format!("Confirm with the owner of {user} that they created key {ticks}."),
        format!(
            "If nobody did: aws iam update-access-key --user-name {user} --access-key-id {ticks} --status Inactive"
        ),
        format!("Look at the tag {tag} and at www.evil.example and mail@evil.example."),
        "From the management account: aws cloudtrail create-trail --name org-trail --s3-bucket-name <LOG_BUCKET>",
    ]);
    value["findings"].as_array_mut().expect("array").push(f);
    value["accounts"][3]["name"] = json!("**bold** [x](http://evil)");
    let md = plan_markdown(&report_of(value));
    let html = rendered(&md);

    // The user name is text (in code), never emphasis.
    assert!(!html.contains("<em>"), "{html}");
    assert!(html.contains("<code>a_b*c*</code>"), "{html}");
    // The tag and the account name are text, never links; only our anchors are `<a>`.
    assert!(!html.contains("href="), "{html}");
    assert!(html.contains("[x](http://evil)"), "{html}");
    assert_eq!(
        html.matches("<a ").count(),
        html.matches("<a id=\"step-").count()
    );
    // A value with backticks stays one code span.
    assert!(html.contains("<code>x`y``z</code>"), "{html}");
    // Raw HTML in a title is shown, not interpreted.
    assert!(!html.contains("<b>bold</b>") && html.contains("&lt;b&gt;bold&lt;/b&gt;"));
    // Bold only where the plan puts it: the person markers.
    let ours =
        md.matches("**\\[person\\]**").count() + md.matches("**orgsweep's own identity**").count();
    assert_eq!(html.matches("<strong>").count(), ours);
    // GFM would autolink bare URLs and e-mail addresses (pulldown-cmark does not, so check
    // the Markdown itself): they are broken by escapes.
    assert!(md.contains("www\\.evil.example") && md.contains("mail\\@evil.example"));
    assert!(md.contains("http\\://evil"));
    // Commands in code spans, placeholders readable.
    assert!(
        md.contains("`aws cloudtrail create-trail --name org-trail --s3-bucket-name <LOG_BUCKET>`")
    );
    assert!(!md.contains("&lt;LOG_BUCKET&gt;"));
    assert!(html.contains("<code>aws iam update-access-key --user-name a_b*c* --access-key-id x`y``z --status Inactive</code>"));
}

const HOSTILE: [&str; 5] = [
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "javascript:alert(document.domain)",
    "evil\u{202E}gnp.exe",
    "adm\u{200B}in",
];

#[test]
fn hostile_values_render_inert() {
    let mut value = realistic_json();
    let huge = "A".repeat(1 << 20);
    let findings = value["findings"].as_array_mut().expect("array");
    for (i, h) in HOSTILE.iter().enumerate() {
        let mut f = finding(
            "high",
            "222222222222",
            "resources.unexpected_region",
            "us-west-2",
            "ec2_instance",
            h,
        );
        f["title"] = json!(format!("title {h}"));
        f["detail"] = json!(format!("detail {h}"));
        f["evidence"] = json!({ "tags": { "Name": h, "huge": huge }, "user": h });
        f["remediation"] = json!([
            format!("Confirm with the owner of {h}."),
            format!("aws ec2 stop-instances --instance-ids {h}")
        ]);
        f["id"] = json!(format!("hostile-{i}"));
        findings.push(f);
    }
    value["accounts"][1]["name"] = json!(HOSTILE[1]);
    value["accounts"][2]["name"] = json!(HOSTILE[3]);
    value["inventory"][0]["tags"] =
        json!({ "huge": huge, "x": HOSTILE[2], HOSTILE[0]: HOSTILE[4] });
    value["coverage"]
        .as_array_mut()
        .expect("array")
        .push(coverage(
            "222222222222",
            Some("us-west-2"),
            None,
            "failed",
            Some(HOSTILE[1]),
        ));
    let report = report_of(value);
    let html = to_html(&report).expect("renders");

    assert!(!html.contains("<img"), "raw markup in the page");
    assert!(!html.contains("<script>alert"), "raw script in the page");
    assert!(html.contains("&#34;&#39;&#62;&#60;img src=x onerror=alert(1)&#62;"));
    assert_eq!(html.matches("<script").count(), 1, "only our own script");
    // No value reaches a URL: every link is to an anchor here or in the plan.
    for (at, _) in html.match_indices("href=\"") {
        let target = &html[at + 6..];
        assert!(
            target.starts_with('#') || target.starts_with("plan.html"),
            "link to {}",
            &target[..target.len().min(60)]
        );
    }
    // Invisible and direction-changing characters are shown, not obeyed.
    assert!(!html.contains('\u{202E}') && !html.contains('\u{200B}'));
    assert!(html.contains("evil[U+202E]gnp.exe") && html.contains("adm[U+200B]in"));
    // A 1 MB tag does not make a 1 MB page.
    assert!(html.len() < 400_000, "{} bytes", html.len());
    assert!(html.contains("more characters in report.json"));

    let plan = plan_html(&report).expect("renders");
    assert!(!plan.contains("<img") && !plan.contains("<script>alert"));
    assert!(!plan.contains('\u{202E}'));
    let md = plan_markdown(&report);
    assert!(!md.contains('\u{202E}') && !md.contains('\u{200B}'));
    let md_html = rendered(&md);
    assert!(!md_html.contains("<img") && !md_html.contains("<script"));
    assert!(!md_html.contains("href="));
}

/// 10,000 accounts, 50,000 findings (mostly medium and low), 200,000 inventory items, and a
/// failing LookupEvents in every 50th account.
fn ten_thousand_accounts() -> Report {
    let base = realistic();
    let account = base.accounts[1].clone();
    let f = base.findings[0].clone();
    let item = base.inventory[0].clone();
    let ok = base
        .coverage
        .iter()
        .find(|c| c.region.is_none() && c.check_id.is_none())
        .cloned()
        .expect("an account entry");
    let severities = [
        orgsweep_model::Severity::Critical,
        orgsweep_model::Severity::High,
        orgsweep_model::Severity::Medium,
        orgsweep_model::Severity::Low,
        orgsweep_model::Severity::Info,
    ];
    let checks = [
        "iam.access_key_unused",
        "resources.unexpected_region",
        "config.recorder_off",
        "iam.root_mfa_disabled",
        "cloudtrail.no_active_trail",
    ];
    let mut report = base.clone();
    report.accounts.clear();
    report.coverage.clear();
    report.findings.clear();
    report.inventory.clear();
    for a in 0..10_000u64 {
        let id = format!("{:012}", 100_000_000_000 + a);
        let mut acc = account.clone();
        acc.account_id.clone_from(&id);
        acc.name = format!("account-{a}");
        report.accounts.push(acc);
        let mut c = ok.clone();
        c.account_id.clone_from(&id);
        report.coverage.push(c.clone());
        for region in REGIONS {
            let mut r = c.clone();
            r.region = Some(region.to_owned());
            if a % 50 == 0 {
                r.status = orgsweep_model::CoverageStatus::Failed;
                r.check_id = Some("cloudtrail.suspicious_event".to_owned());
                r.error = Some("cloudtrail:LookupEvents failed: HTTP 500".to_owned());
            }
            report.coverage.push(r);
        }
        for k in 0..5usize {
            let mut x = f.clone();
            x.account_id.clone_from(&id);
            // Mostly medium and low, a few critical and high, like a real organization.
            x.severity = severities[if a % 97 == 0 { k } else { 2 + k % 3 }];
            x.check_id = checks[k].to_owned();
            x.resource_id = format!("arn:aws:iam::{id}:user/user-{k}");
            x.id =
                orgsweep_model::finding_id(&x.check_id, &id, "global", "iam_user", &x.resource_id);
            report.findings.push(x);
        }
        for k in 0..20 {
            let mut i = item.clone();
            i.account_id.clone_from(&id);
            i.region = REGIONS[k % 3].to_owned();
            i.resource_id = format!("i-{a:08x}{k:04x}");
            report.inventory.push(i);
        }
    }
    report.sort();
    report
}

/// The page summarizes and caps its lists, so it stays small enough to open. Time is measured
/// and printed, not asserted: a shared CI machine makes any timing flaky, and the size and
/// the structure are what keep the browser fast.
#[test]
fn a_ten_thousand_account_report_stays_under_ten_megabytes() {
    let report = ten_thousand_accounts();
    assert_eq!(report.findings.len(), 50_000);
    assert_eq!(report.inventory.len(), 200_000);

    let started = Instant::now();
    let html = to_html(&report).expect("renders");
    let elapsed = started.elapsed();
    println!(
        "10,000 accounts: {} bytes of HTML in {elapsed:?}",
        html.len()
    );
    assert!(html.len() < 10 * 1024 * 1024, "{} bytes", html.len());
    // Bounded lists, each saying where the rest is.
    assert!(html.matches("class=\"triage-item\"").count() <= 200);
    assert!(html.matches("<tbody class=\"fg\"").count() <= 500);
    assert!(
        section(&html, "matrix")
            .matches("<tr data-account=")
            .count()
            <= 300
    );
    assert!(html.contains("more resources with"));
    assert!(html.contains("more accounts, with fewer findings, are in report.json"));
    assert!(html.contains("500 of 200000 resources"));
    // The failing region of every 50th account is one cause, not 600 rows.
    let coverage = section(&html, "coverage");
    assert_eq!(coverage.matches("<tr class=\"cause").count(), 1);
    assert!(coverage.contains("cloudtrail.suspicious_event failed in 3 regions of 200 accounts"));
    // A bounded page: far fewer rows than the report has items.
    assert!(
        html.matches("<tr").count() < 12_000,
        "{}",
        html.matches("<tr").count()
    );
    // The triage links land on rows that are on the page.
    let triage = section(&html, "triage");
    for (at, _) in triage.match_indices("href=\"#finding-") {
        let id = &triage[at + 15..at + 15 + 16];
        assert!(html.contains(&format!("id=\"finding-{id}")), "{id}");
    }
}

/// Writes the HTML and the plan of the repository's example report (and of the realistic
/// report above) into `$ORGSWEEP_RENDER_DIR`, to look at in a browser:
/// `ORGSWEEP_RENDER_DIR=/tmp/r cargo test -p orgsweep-report --test html -- --ignored`.
#[test]
#[ignore = "writes files for a person to look at"]
fn render_for_review() {
    let Some(dir) = std::env::var_os("ORGSWEEP_RENDER_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/example/report.json");
    let text = std::fs::read_to_string(example).expect("the example report");
    let example = orgsweep_model::parse_report(&text).expect("parses");
    for (name, report) in [
        ("example", example),
        ("realistic", realistic()),
        ("ten-thousand", ten_thousand_accounts()),
    ] {
        let out = dir.join(name);
        std::fs::create_dir_all(&out).expect("dir");
        std::fs::write(out.join("report.html"), to_html(&report).expect("html")).expect("write");
        std::fs::write(out.join("plan.html"), plan_html(&report).expect("plan")).expect("write");
        std::fs::write(out.join("plan.md"), plan_markdown(&report)).expect("write");
    }
}
