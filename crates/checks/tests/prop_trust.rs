//! Property tests (generated trust policies) for `iam.role_trusts_external_account`, through
//! the public `run` on facts built from the model types: trust policies come from IAM, and
//! whoever controls a compromised account writes them.
//!
//! Properties: no panic, no hang on any JSON; a statement that lets an outside account (or
//! anyone) assume the role is always reported, whatever IAM-valid spelling it uses
//! (wildcards, case, `NotAction`, `NotPrincipal`, a single statement or a list); a policy
//! that only trusts the organization, allow-listed partners or AWS services, or only denies,
//! is not reported; severity follows the documented rules.

use std::collections::BTreeSet;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use orgsweep_checks::{Context, Settings};
use orgsweep_model::facts::{AttachedPolicies, Facts, IamAuthorizationDetails, IamRole};
use orgsweep_model::{Finding, Severity};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use time::macros::datetime;

const DEADLINE: Duration = Duration::from_secs(5);
const CHECK: &str = "iam.role_trusts_external_account";
/// The scanned account, another account of the organization, a partner on the allow list,
/// and accounts outside.
const ACCOUNT: &str = "111111111111";
const MEMBER: &str = "222222222222";
const PARTNER: &str = "333333333333";
const OUTSIDERS: &[&str] = &["999999999999", "444455556666", "000000000000"];

/// Runs `f` on its own thread and fails the case if it panics or outlives [`DEADLINE`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(value) => value,
        Err(RecvTimeoutError::Timeout) => panic!("{what} did not finish within {DEADLINE:?}"),
        Err(RecvTimeoutError::Disconnected) => match handle.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => panic!("{what} ended without a result"),
        },
    }
}

/// `cases` per property, or `PROPTEST_CASES` from the environment for a longer run.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn role(name: &str, path: &str, policy: Option<Value>, error: Option<String>) -> IamRole {
    IamRole {
        name: name.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"),
        path: path.to_owned(),
        created_at: None,
        policies: AttachedPolicies::default(),
        trust_policy: policy,
        trust_policy_error: error,
        last_used_at: None,
    }
}

/// Runs the check over `roles` in the scanned account of an organization with one member
/// account and one allow-listed partner.
fn run(roles: Vec<IamRole>) -> Vec<Finding> {
    within("the check", move || {
        let facts = Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                roles,
                ..IamAuthorizationDetails::default()
            }),
            ..Facts::default()
        };
        let settings = Settings {
            organization_accounts: BTreeSet::from([ACCOUNT.to_owned(), MEMBER.to_owned()]),
            trusted_accounts: BTreeSet::from([PARTNER.to_owned()]),
            ..Settings::default()
        };
        let check = orgsweep_checks::find(CHECK).expect("the check is in the catalogue");
        orgsweep_checks::run(
            check,
            &Context {
                account_id: ACCOUNT,
                region: "global",
                now: datetime!(2026-11-24 12:00 UTC),
                settings: &settings,
                facts: &facts,
            },
        )
        .expect("the check runs on IAM details")
    })
}

// ---------------------------------------------------------------------------------------
// Generated policies
// ---------------------------------------------------------------------------------------

const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"",
    "`",
    "\n",
    "\u{202E}",
    "\u{200B}",
    "\0",
    "*",
    "?",
    ":",
    "arn:aws:iam::",
    "999999999999",
    "sts:AssumeRole",
    "Allow",
    "Deny",
    "AWS",
    "Principal",
    "é",
];

fn hostile() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 ._:/*-]{0,12}",
        3 => prop::collection::vec(select(PAYLOADS), 0..4).prop_map(|v| v.concat()),
        1 => any::<String>(),
    ]
    .boxed()
}

/// JSON of any shape, with the policy grammar's words among the strings.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        hostile().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        select(
                            &[
                                "Statement",
                                "Effect",
                                "Action",
                                "NotAction",
                                "Principal",
                                "NotPrincipal",
                                "AWS",
                                "Service",
                                "Federated",
                                "Condition",
                                "StringEquals",
                                "sts:ExternalId"
                            ][..]
                        )
                        .prop_map(str::to_owned),
                        hostile(),
                    ],
                    inner,
                ),
                0..5,
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}

/// An action that IAM matches against `sts:AssumeRole` (case-insensitive, `*` and `?`
/// wildcards), spelled one of many ways: with `wild`, with wildcards anywhere (which the
/// check misses: see the `bug_` test); otherwise in any case, and as `*`, `sts:*` or
/// `sts:AssumeRole*`.
fn assume_action(wild: bool) -> BoxedStrategy<String> {
    let target = "sts:AssumeRole";
    let n = target.chars().count();
    let edits = if wild { 0u8..4 } else { 0u8..3 };
    let star = if wild {
        (0..=n).boxed()
    } else {
        Just(0).boxed()
    };
    prop_oneof![
        3 => select(&["sts:AssumeRole", "sts:assumerole", "STS:ASSUMEROLE", "sts:*", "*", "sts:AssumeRole*"][..])
            .prop_map(str::to_owned),
        2 => (prop::collection::vec(edits, n), star.clone(), star)
            .prop_map(move |(edits, a, b)| {
                // Per character: keep, flip case or `?`; then one run replaced by `*`.
                let chars: Vec<String> = target
                    .chars()
                    .zip(edits)
                    .map(|(c, e)| match e {
                        0 | 1 => c.to_string(),
                        2 => {
                            if c.is_ascii_lowercase() {
                                c.to_ascii_uppercase().to_string()
                            } else {
                                c.to_ascii_lowercase().to_string()
                            }
                        }
                        _ => "?".to_owned(),
                    })
                    .collect();
                let (a, b) = (a.min(b), a.max(b));
                if a == b {
                    chars.concat()
                } else {
                    format!("{}*{}", chars[..a].concat(), chars[b..].concat())
                }
            }),
    ]
    .boxed()
}

/// Whether IAM's action matching (case-insensitive, `*` any run, `?` one character) lets
/// `pattern` match `action`.
fn iam_matches(pattern: &str, action: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let a: Vec<char> = action.to_lowercase().chars().collect();
    let mut dp = vec![vec![false; a.len() + 1]; p.len() + 1];
    dp[0][0] = true;
    for i in 1..=p.len() {
        dp[i][0] = dp[i - 1][0] && p[i - 1] == '*';
        for j in 1..=a.len() {
            dp[i][j] = match p[i - 1] {
                '*' => dp[i - 1][j] || dp[i][j - 1],
                '?' => dp[i - 1][j - 1],
                c => dp[i - 1][j - 1] && c == a[j - 1],
            };
        }
    }
    dp[p.len()][a.len()]
}

/// Actions that are not AssumeRole (nor any `sts:AssumeRole*` API).
const OTHER_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "sts:GetCallerIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "iam:PassRole",
    "ec2:*",
    "sts:Get*",
    "s3:*Role",
];

/// A principal of `account` in one of the forms IAM accepts.
fn principal_of(account: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(account.to_owned()),
        Just(format!("arn:aws:iam::{account}:root")),
        "[a-zA-Z0-9+=,.@_-]{1,12}".prop_map(move |n| format!("arn:aws:iam::{account}:user/{n}")),
        "[a-zA-Z0-9+=,.@_-]{1,12}"
            .prop_map(move |n| format!("arn:aws:iam::{account}:role/path/{n}")),
        "[a-zA-Z0-9+=,.@_-]{1,12}"
            .prop_map(move |n| format!("arn:aws:sts::{account}:assumed-role/r/{n}")),
        Just(format!("arn:aws-us-gov:iam::{account}:root")),
        Just(format!("arn:aws-cn:iam::{account}:root")),
    ]
}

/// An AWS principal value (a string or a list) naming `principals`.
fn aws_principal(principals: Vec<String>, as_list: bool) -> Value {
    if principals.len() == 1 && !as_list {
        json!(principals[0])
    } else {
        json!(principals)
    }
}

/// An action value (a string or a list) holding `actions`.
fn action_value(actions: Vec<String>, as_list: bool) -> Value {
    if actions.len() == 1 && !as_list {
        json!(actions[0])
    } else {
        json!(actions)
    }
}

/// A statement that does not let anyone outside assume the role: it trusts the
/// organization or the partner, trusts a service, allows something else, or (with
/// `deny`) denies.
fn harmless_statement(deny: bool) -> BoxedStrategy<Value> {
    let insider = prop_oneof![
        principal_of(ACCOUNT),
        principal_of(MEMBER),
        principal_of(PARTNER)
    ];
    let allow = prop_oneof![
        (
            prop::collection::vec(insider, 1..3),
            assume_action(false),
            any::<bool>()
        )
            .prop_map(|(p, a, l)| {
                json!({"Effect": "Allow", "Principal": {"AWS": aws_principal(p, l)}, "Action": a})
            }),
        select(&["ec2.amazonaws.com", "lambda.amazonaws.com"][..]).prop_map(|s| {
            json!({"Effect": "Allow", "Principal": {"Service": s}, "Action": "sts:AssumeRole"})
        }),
        (select(OUTSIDERS), select(OTHER_ACTIONS)).prop_map(|(o, a)| {
            json!({"Effect": "Allow", "Principal": {"AWS": o}, "Action": a})
        }),
    ];
    if !deny {
        return allow.boxed();
    }
    prop_oneof![
        2 => allow,
        1 => (select(OUTSIDERS), assume_action(false)).prop_map(|(o, a)| {
            json!({"Effect": "Deny", "Principal": {"AWS": o}, "Action": a})
        }),
        1 => Just(json!({"Effect": "Deny", "Principal": "*", "Action": "*"})),
    ]
    .boxed()
}

/// How an outside principal gets in.
#[derive(Debug, Clone)]
struct Door {
    statement: Value,
    /// The account that gets in, or `*` for anyone.
    account: String,
    conditional: bool,
    external_id: bool,
}

fn door() -> impl Strategy<Value = Door> {
    let outsider = select(OUTSIDERS)
        .prop_flat_map(|o| (Just(o), principal_of(o)))
        .boxed();
    let condition = prop_oneof![
        2 => Just(None),
        1 => Just(Some(json!({"StringEquals": {"sts:ExternalId": "vendor-123"}}))),
        1 => Just(Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))),
    ];
    let actions = (
        prop::collection::vec(select(OTHER_ACTIONS).prop_map(str::to_owned), 0..2),
        assume_action(false),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut others, assume, at)| {
            others.insert(at.index(others.len() + 1), assume);
            others
        })
        .boxed();
    prop_oneof![
        // An outside account, by id or ARN, alone or among insiders.
        (outsider.clone(), prop::collection::vec(principal_of(MEMBER), 0..2), actions.clone(), any::<bool>(), any::<bool>(), condition.clone())
            .prop_map(|((account, p), mut insiders, actions, list_p, list_a, condition)| {
                insiders.push(p);
                let mut s = json!({"Effect": "Allow", "Principal": {"AWS": aws_principal(insiders, list_p)},
                                   "Action": action_value(actions, list_a)});
                door_with(&mut s, account, condition)
            }),
        // Anyone.
        (prop_oneof![Just(json!("*")), Just(json!({"AWS": "*"})), Just(json!({"AWS": ["*"]}))], actions.clone(), any::<bool>(), condition.clone())
            .prop_map(|(principal, actions, list_a, condition)| {
                let mut s = json!({"Effect": "Allow", "Principal": principal, "Action": action_value(actions, list_a)});
                door_with(&mut s, "*", condition)
            }),
        // Everyone but someone.
        (principal_of(MEMBER), assume_action(false), condition.clone()).prop_map(|(p, a, condition)| {
            let mut s = json!({"Effect": "Allow", "NotPrincipal": {"AWS": p}, "Action": a});
            door_with(&mut s, "*", condition)
        }),
        // Everything but some other actions.
        (outsider, prop::collection::vec(select(OTHER_ACTIONS).prop_map(str::to_owned), 1..3), condition)
            .prop_map(|((account, p), not_actions, condition)| {
                let mut s = json!({"Effect": "Allow", "Principal": {"AWS": p}, "NotAction": not_actions});
                door_with(&mut s, account, condition)
            }),
    ]
}

fn door_with(statement: &mut Value, account: &str, condition: Option<Value>) -> Door {
    let external_id = condition
        .as_ref()
        .is_some_and(|c| c.to_string().contains("sts:ExternalId"));
    if let Some(condition) = &condition {
        statement["Condition"] = condition.clone();
    }
    Door {
        statement: statement.clone(),
        account: account.to_owned(),
        conditional: condition.is_some(),
        external_id,
    }
}

/// A policy: the statements, as a list or (for one) a single object.
fn policy(statements: Vec<Value>, single: bool) -> Value {
    if statements.len() == 1 && single {
        json!({"Version": "2012-10-17", "Statement": statements[0]})
    } else {
        json!({"Version": "2012-10-17", "Statement": statements})
    }
}

/// The severity the check documents: critical when anyone gets in unconditionally; medium
/// when every outside account needs an external id (and nobody is "anyone"); high otherwise.
fn expected_severity(doors: &[Door]) -> Severity {
    let anyone = doors.iter().any(|d| d.account == "*");
    if doors.iter().any(|d| d.account == "*" && !d.conditional) {
        Severity::Critical
    } else if !anyone && doors.iter().all(|d| d.external_id) {
        Severity::Medium
    } else {
        Severity::High
    }
}

proptest! {
    #![proptest_config(config(1500))]

    /// Any JSON as a trust policy, any role name: no panic, no hang, and any finding is
    /// about one of the roles.
    #[test]
    fn any_trust_policy_is_judged_without_panic(
        roles in prop::collection::vec(
            (hostile(), prop_oneof![Just("/".to_owned()), Just("/aws-service-role/x/".to_owned()), hostile()],
             prop::option::of(json_value()), prop::option::of(hostile())),
            0..4,
        ),
    ) {
        let roles: Vec<IamRole> = roles
            .into_iter()
            .map(|(name, path, policy, error)| role(&name, &path, policy, error))
            .collect();
        let arns: BTreeSet<String> = roles.iter().map(|r| r.arn.clone()).collect();
        for finding in run(roles) {
            prop_assert!(arns.contains(&finding.resource_id));
            prop_assert!(matches!(finding.severity, Severity::Critical | Severity::High | Severity::Medium));
            prop_assert_eq!(&finding.check_id, CHECK);
        }
    }
}

proptest! {
    #![proptest_config(config(1500))]

    /// Every spelling generated by `assume_action` really matches sts:AssumeRole (a check of
    /// the generator itself).
    #[test]
    fn generated_assume_actions_match(action in assume_action(true)) {
        prop_assert!(iam_matches(&action, "sts:AssumeRole"), "{action}");
    }

    /// A policy with a way in from outside, among harmless statements, is reported with the
    /// outside account (or `*`) and the documented severity.
    #[test]
    fn a_way_in_from_outside_is_always_reported(
        doors in prop::collection::vec(door(), 1..3),
        harmless in prop::collection::vec(harmless_statement(false), 0..3),
        order in any::<prop::sample::Index>(),
        single in any::<bool>(),
    ) {
        let mut statements = harmless.clone();
        for d in &doors {
            statements.insert(order.index(statements.len() + 1), d.statement.clone());
        }
        let trust = policy(statements, single);
        let findings = run(vec![role("door", "/", Some(trust.clone()), None)]);
        prop_assert_eq!(findings.len(), 1, "not reported: {}", trust);
        let finding = &findings[0];
        let accounts: Vec<&str> = finding.evidence["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for d in &doors {
            prop_assert!(accounts.contains(&d.account.as_str()), "{} missing from {:?} for {}", d.account, accounts, trust);
        }
        for insider in [ACCOUNT, MEMBER, PARTNER] {
            prop_assert!(!accounts.contains(&insider), "{insider} reported for {trust}");
        }
        prop_assert_eq!(finding.severity, expected_severity(&doors), "{}", trust);
    }

    /// A policy that only trusts the organization, the partner or services, allows other
    /// actions, or denies: not reported. A service-linked role is never reported.
    #[test]
    fn no_way_in_is_not_reported(
        harmless in prop::collection::vec(harmless_statement(true), 0..4),
        single in any::<bool>(),
        door in door(),
    ) {
        let trust = policy(harmless, single);
        let linked = policy(vec![door.statement], false);
        let findings = run(vec![
            role("closed", "/", Some(trust.clone()), None),
            role("AWSServiceRoleForX", "/aws-service-role/x.amazonaws.com/", Some(linked), None),
        ]);
        prop_assert!(findings.is_empty(), "reported: {:?} for {}", findings.iter().map(|f| &f.title).collect::<Vec<_>>(), trust);
    }

    /// A trust policy that could not be decoded is a medium finding of its own, whatever the
    /// parse error says.
    #[test]
    fn an_unreadable_policy_is_a_finding(error in hostile(), name in hostile()) {
        let findings = run(vec![role(&name, "/", None, Some(error.clone()))]);
        prop_assert_eq!(findings.len(), 1);
        prop_assert_eq!(findings[0].severity, Severity::Medium);
        prop_assert_eq!(findings[0].evidence["parse_error"].as_str(), Some(error.as_str()));
    }
}

#[test]
#[ignore = "bug: an Action with a wildcard other than `*`, `sts:*` or one after `sts:AssumeRole` (e.g. `sts:Assume*`) is not seen to allow AssumeRole"]
fn bug_wildcard_actions_that_allow_assume_role_are_missed() {
    let mut missed = Vec::new();
    for action in [
        "sts:Assume*",
        "sts:AssumeRol?",
        "*ts:AssumeRole",
        "sts:*Role",
        "*:AssumeRole",
        "s?s:AssumeRole",
    ] {
        assert!(iam_matches(action, "sts:AssumeRole"));
        let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": action}]});
        if run(vec![role("door", "/", Some(trust), None)]).is_empty() {
            missed.push(action);
        }
    }
    assert!(missed.is_empty(), "not reported: {missed:?}");
}
