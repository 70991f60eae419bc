//! The deployment artifacts (`deploy/`, `Dockerfile`) against the things they depend on: every
//! command line they run is accepted by the real binary, their security settings hold, the
//! CloudFormation roles carry exactly the policies of `crates/aws/iam/`, and cfn-lint passes.
//! No Docker, cluster or AWS account is needed; cfn-lint installs itself on first use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Value, json};

fn root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn read_json(relative: &str) -> Value {
    serde_json::from_str(&read(relative)).unwrap_or_else(|e| panic!("{relative}: bad JSON: {e}"))
}

/// A YAML file as JSON. CloudFormation's short tags become their long forms (`!Ref X` is
/// `{"Ref": "X"}`, `!GetAtt R.Arn` is `{"Fn::GetAtt": ["R", "Arn"]}`, `!Sub s` is
/// `{"Fn::Sub": "s"}`), which is how CloudFormation reads them.
fn read_yaml(relative: &str) -> Value {
    let text = read(relative);
    let docs = Yaml::load_from_str(&text).unwrap_or_else(|e| panic!("{relative}: bad YAML: {e}"));
    assert_eq!(docs.len(), 1, "{relative}: expected one YAML document");
    to_json(&docs[0], relative)
}

fn to_json(node: &Yaml, file: &str) -> Value {
    match node {
        Yaml::Value(scalar) => scalar_to_json(scalar),
        Yaml::Representation(text, _, _) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(|i| to_json(i, file)).collect()),
        Yaml::Mapping(map) => {
            let mut object = serde_json::Map::new();
            for (key, value) in map {
                let key = match to_json(key, file) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                object.insert(key, to_json(value, file));
            }
            Value::Object(object)
        }
        Yaml::Tagged(tag, inner) if tag.handle == "!" => {
            let inner = to_json(inner, file);
            match (tag.suffix.as_str(), inner) {
                ("Ref", inner) => json!({ "Ref": inner }),
                ("GetAtt", Value::String(s)) => {
                    let (resource, attribute) = s
                        .split_once('.')
                        .unwrap_or_else(|| panic!("{file}: !GetAtt {s} has no attribute"));
                    json!({ "Fn::GetAtt": [resource, attribute] })
                }
                (name, inner) => json!({ format!("Fn::{name}"): inner }),
            }
        }
        other => panic!("{file}: unsupported YAML node {other:?}"),
    }
}

fn scalar_to_json(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => json!(i),
        Scalar::FloatingPoint(f) => json!(f.into_inner()),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

fn yaml_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".yaml") || name.ends_with(".yml"))
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    files
}

fn str_at<'a>(value: &'a Value, pointer: &str, context: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{context}: {pointer} is missing or not a string"))
}

fn strings(value: &Value, context: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{context}: expected a list of strings"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("{context}: {v} is not a string"))
                .to_owned()
        })
        .collect()
}

/// The value of `--flag V` or `--flag=V` in an argument list.
fn flag_value<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    argv.iter().enumerate().find_map(|(i, arg)| {
        if arg == flag {
            argv.get(i + 1).map(String::as_str)
        } else {
            arg.strip_prefix(flag)?.strip_prefix('=')
        }
    })
}

/// The positional arguments after the subcommand (flags and their values skipped; every
/// flag the manifests use takes a value).
fn positionals(argv: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut args = argv.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg.starts_with("--") {
            if !arg.contains('=') {
                args.next();
            }
        } else {
            out.push(arg.as_str());
        }
    }
    out
}

/// A Kubernetes workload (CronJob or Job) from one manifest.
struct Workload {
    file: String,
    kind: String,
    manifest: Value,
    /// `spec` of the Job (a CronJob's `jobTemplate.spec`).
    job: Value,
}

impl Workload {
    fn pod(&self) -> &Value {
        &self.job["template"]["spec"]
    }

    /// The containers running the orgsweep image, with their orgsweep arguments.
    fn orgsweep_containers(&self) -> Vec<(&Value, Vec<String>)> {
        let containers = self.pod()["containers"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no containers", self.file));
        containers
            .iter()
            .filter(|c| c["image"].as_str().is_some_and(|i| i.contains("orgsweep")))
            .map(|c| (c, orgsweep_argv(c, &self.file)))
            .collect()
    }

    /// The orgsweep subcommand this workload runs (`scan`, `merge`).
    fn subcommand(&self) -> String {
        let containers = self.orgsweep_containers();
        assert_eq!(containers.len(), 1, "{}: one orgsweep container", self.file);
        containers[0].1[0].clone()
    }

    fn argv(&self) -> Vec<String> {
        self.orgsweep_containers().remove(0).1
    }
}

/// The arguments given to orgsweep: the image's entrypoint is the binary, so `args` are its
/// arguments; a `command` must name the binary itself.
fn orgsweep_argv(container: &Value, file: &str) -> Vec<String> {
    let mut argv = Vec::new();
    if !container["command"].is_null() {
        let command = strings(&container["command"], file);
        assert!(
            command.len() == 1 && command[0].ends_with("/orgsweep"),
            "{file}: a container command must be the orgsweep binary, got {command:?}"
        );
    }
    if !container["args"].is_null() {
        argv = strings(&container["args"], file);
    }
    assert!(
        argv.first().is_some_and(|a| !a.starts_with('-')),
        "{file}: the arguments must start with an orgsweep subcommand: {argv:?}"
    );
    argv
}

fn workloads() -> Vec<Workload> {
    let mut out = Vec::new();
    for file in yaml_files("deploy/kubernetes") {
        let manifest = read_yaml(&file);
        let kind = str_at(&manifest, "/kind", &file).to_owned();
        let job = match kind.as_str() {
            "CronJob" => manifest["spec"]["jobTemplate"]["spec"].clone(),
            "Job" => manifest["spec"].clone(),
            _ => continue,
        };
        out.push(Workload {
            file,
            kind,
            manifest,
            job,
        });
    }
    assert!(
        out.len() >= 4,
        "expected the scan and merge CronJobs and Jobs"
    );
    out
}

fn workload<'a>(all: &'a [Workload], kind: &str, subcommand: &str) -> &'a Workload {
    let matching: Vec<&Workload> = all
        .iter()
        .filter(|w| w.kind == kind && w.subcommand() == subcommand)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one {kind} running `orgsweep {subcommand}`"
    );
    matching[0]
}

const BATCH_DEFINITIONS: [&str; 2] = [
    "deploy/aws-batch/job-definition.json",
    "deploy/aws-batch/merge-job-definition.json",
];

fn batch_argv(definition: &Value, file: &str) -> Vec<String> {
    let argv = strings(&definition["containerProperties"]["command"], file);
    assert!(
        argv.first().is_some_and(|a| !a.starts_with('-')),
        "{file}: the command must start with an orgsweep subcommand: {argv:?}"
    );
    argv
}

/// The long flags `orgsweep <subcommand> --help` documents (lines that define an option).
fn accepted_flags(subcommand: &str) -> Result<BTreeSet<String>, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_orgsweep"))
        .args([subcommand, "--help"])
        .output()
        .expect("the orgsweep binary runs");
    if !output.status.success() {
        return Err(format!(
            "`orgsweep {subcommand} --help` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let help = String::from_utf8_lossy(&output.stdout);
    let flags = help
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with('-'))
        .flat_map(|line| line.split([' ', ',', '=', '<', '[']))
        .filter(|token| token.starts_with("--") && token.len() > 2)
        .map(str::to_owned)
        .collect();
    Ok(flags)
}

#[test]
fn every_deployed_command_line_is_accepted_by_the_binary() {
    let mut invocations: Vec<(String, Vec<String>)> = Vec::new();
    for w in workloads() {
        for (container, argv) in w.orgsweep_containers() {
            let name = container["name"].as_str().unwrap_or("?");
            invocations.push((format!("{} (container {name})", w.file), argv));
        }
    }
    for file in BATCH_DEFINITIONS {
        invocations.push((file.to_owned(), batch_argv(&read_json(file), file)));
    }
    assert!(
        invocations.len() >= 6,
        "found {} invocations",
        invocations.len()
    );

    let mut help: BTreeMap<String, Result<BTreeSet<String>, String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (origin, argv) in &invocations {
        let subcommand = &argv[0];
        let accepted = help
            .entry(subcommand.clone())
            .or_insert_with(|| accepted_flags(subcommand));
        let accepted = match accepted {
            Ok(flags) => flags,
            Err(e) => {
                problems.push(format!("{origin}: {e}"));
                continue;
            }
        };
        for arg in argv.iter().filter(|a| a.starts_with("--")) {
            let flag = arg.split('=').next().unwrap_or(arg);
            if !accepted.contains(flag) {
                problems.push(format!(
                    "{origin}: `orgsweep {subcommand}` does not accept {flag}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn kubernetes_pods_run_as_non_root_with_a_read_only_root_and_no_capabilities() {
    let account = read_yaml("deploy/kubernetes/serviceaccount.yaml");
    let account_name = str_at(&account, "/metadata/name", "serviceaccount.yaml");
    for w in workloads() {
        let f = &w.file;
        let pod = w.pod();
        assert_eq!(
            pod["serviceAccountName"], account_name,
            "{f}: serviceAccountName"
        );
        assert_eq!(pod["restartPolicy"], "Never", "{f}: restartPolicy");
        let tmp_volumes: BTreeSet<&str> = pod["volumes"]
            .as_array()
            .unwrap_or_else(|| panic!("{f}: no volumes"))
            .iter()
            .filter(|v| v["emptyDir"].is_object())
            .filter_map(|v| v["name"].as_str())
            .collect();
        for container in pod["containers"].as_array().expect("containers") {
            let name = container["name"].as_str().unwrap_or("?");
            let c = format!("{f} (container {name})");
            let security = &container["securityContext"];
            let non_root = security["runAsNonRoot"]
                .as_bool()
                .or(pod["securityContext"]["runAsNonRoot"].as_bool());
            assert_eq!(non_root, Some(true), "{c}: runAsNonRoot");
            let uid = security["runAsUser"]
                .as_i64()
                .or(pod["securityContext"]["runAsUser"].as_i64());
            assert!(
                uid.is_some_and(|u| u > 0),
                "{c}: runAsUser must be a non-zero uid"
            );
            assert_eq!(
                security["readOnlyRootFilesystem"], true,
                "{c}: read-only root"
            );
            assert_eq!(
                security["allowPrivilegeEscalation"], false,
                "{c}: no escalation"
            );
            assert_ne!(security["privileged"], true, "{c}: privileged");
            let dropped = strings(&security["capabilities"]["drop"], &c);
            assert!(
                dropped.iter().any(|d| d == "ALL"),
                "{c}: capabilities.drop ALL"
            );
            assert!(
                security["capabilities"]["add"].is_null(),
                "{c}: adds capabilities"
            );
            // From the benchmark (benches/RESULTS.md): one shard of four of a 10,000-account
            // organization peaked at 1.26 GB, simulator included; a merge holds the whole
            // organization's report, which took ~2.6 GB to assemble at 10,000 accounts.
            let memory = if f.contains("merge") { "6Gi" } else { "2Gi" };
            for kind in ["requests", "limits"] {
                assert_eq!(
                    container["resources"][kind]["memory"], memory,
                    "{c}: resources.{kind}.memory"
                );
            }
            let tmp_mounted = container["volumeMounts"].as_array().is_some_and(|mounts| {
                mounts.iter().any(|m| {
                    m["mountPath"] == "/tmp"
                        && m["name"].as_str().is_some_and(|n| tmp_volumes.contains(n))
                })
            });
            assert!(tmp_mounted, "{c}: an emptyDir must be mounted at /tmp");
        }
    }
}

#[test]
fn scan_jobs_are_indexed_with_one_shard_per_completion() {
    let all = workloads();
    let scans: Vec<&Workload> = all.iter().filter(|w| w.subcommand() == "scan").collect();
    assert_eq!(scans.len(), 2, "a scan CronJob and a one-off scan Job");
    for w in scans {
        let f = &w.file;
        let job = &w.job;
        assert_eq!(job["completionMode"], "Indexed", "{f}: completionMode");
        let completions = job["completions"]
            .as_u64()
            .unwrap_or_else(|| panic!("{f}: completions"));
        assert_eq!(job["parallelism"], completions, "{f}: parallelism");
        assert!(
            job["backoffLimitPerIndex"].as_u64().is_some(),
            "{f}: backoffLimitPerIndex"
        );
        let argv = w.argv();
        let shard = flag_value(&argv, "--shard").unwrap_or_else(|| panic!("{f}: no --shard"));
        assert_eq!(
            shard,
            format!("auto/{completions}"),
            "{f}: --shard must be auto/<completions>"
        );
        // The merge starts 4 hours after the scan: every shard must be over by then.
        let deadline = job["activeDeadlineSeconds"].as_u64().unwrap_or(u64::MAX);
        assert!(
            deadline < 4 * 3600,
            "{f}: activeDeadlineSeconds must be under 4 hours"
        );
    }
}

#[test]
fn the_merge_reads_what_the_scan_writes_four_hours_later() {
    let all = workloads();
    let scan = workload(&all, "CronJob", "scan");
    let merge = workload(&all, "CronJob", "merge");
    for (w, schedule) in [(scan, "0 2 * * 1"), (merge, "0 6 * * 1")] {
        let spec = &w.manifest["spec"];
        assert_eq!(spec["schedule"], schedule, "{}: schedule", w.file);
        assert_eq!(spec["timeZone"], "Etc/UTC", "{}: timeZone", w.file);
        assert_eq!(
            spec["concurrencyPolicy"], "Forbid",
            "{}: concurrency",
            w.file
        );
    }
    // The one-off Jobs run exactly the CronJobs' pods.
    for subcommand in ["scan", "merge"] {
        let cron = workload(&all, "CronJob", subcommand);
        let job = workload(&all, "Job", subcommand);
        assert_eq!(
            job.job["template"], cron.job["template"],
            "{} must run the same pod as {}",
            job.file, cron.file
        );
    }
    for w in [scan, merge] {
        let job = workload(&all, "Job", &w.subcommand());
        for key in [
            "completionMode",
            "completions",
            "parallelism",
            "backoffLimitPerIndex",
        ] {
            assert_eq!(
                job.job[key], w.job[key],
                "{} and {}: {key}",
                job.file, w.file
            );
        }
    }
    let scan_out = flag_value(&scan.argv(), "--out")
        .expect("scan --out")
        .to_owned();
    let merge_argv = merge.argv();
    assert_eq!(positionals(&merge_argv), [scan_out.as_str()], "merge input");
    let merged = flag_value(&merge_argv, "--out").expect("merge --out");
    assert!(
        merged.starts_with(&scan_out) && merged != scan_out,
        "{merged}"
    );
}

#[test]
fn the_service_account_is_annotated_for_irsa() {
    let account = read_yaml("deploy/kubernetes/serviceaccount.yaml");
    assert_eq!(account["kind"], "ServiceAccount");
    assert_eq!(account["metadata"]["name"], "orgsweep");
    let arn = str_at(
        &account,
        "/metadata/annotations/eks.amazonaws.com~1role-arn",
        "serviceaccount.yaml",
    );
    assert_eq!(
        arn,
        "arn:aws:iam::<MANAGEMENT_ACCOUNT_ID>:role/orgsweep-scanner"
    );
}

#[test]
fn batch_job_definitions_shard_on_fargate_and_merge_the_same_run() {
    let scan = read_json(BATCH_DEFINITIONS[0]);
    let merge = read_json(BATCH_DEFINITIONS[1]);
    for (file, definition) in BATCH_DEFINITIONS.iter().zip([&scan, &merge]) {
        assert_eq!(definition["type"], "container", "{file}");
        assert_eq!(
            definition["platformCapabilities"],
            json!(["FARGATE"]),
            "{file}"
        );
        let container = &definition["containerProperties"];
        assert_eq!(
            container["readonlyRootFilesystem"], true,
            "{file}: read-only root"
        );
        assert_ne!(container["privileged"], true, "{file}: privileged");
        assert!(
            definition["parameters"]["run"].is_string(),
            "{file}: parameters.run needs a default"
        );
        let command = batch_argv(definition, file).join(" ");
        assert!(
            command.contains("Ref::run"),
            "{file}: the command must use Ref::run"
        );
    }
    let scan_argv = batch_argv(&scan, BATCH_DEFINITIONS[0]);
    assert_eq!(scan_argv[0], "scan");
    let shard = flag_value(&scan_argv, "--shard").expect("--shard");
    let size = shard
        .strip_prefix("auto/")
        .unwrap_or_else(|| panic!("--shard {shard} must be auto/N"));
    let readme = read("deploy/aws-batch/README.md");
    assert!(
        readme.contains(&format!("--array-properties size={size}")),
        "deploy/aws-batch/README.md must submit an array of {size} (--shard {shard})"
    );
    let out = flag_value(&scan_argv, "--out").expect("scan --out");
    assert_eq!(out, "s3://<REPORT_BUCKET>/orgsweep/Ref::run/");

    let merge_argv = batch_argv(&merge, BATCH_DEFINITIONS[1]);
    assert_eq!(merge_argv[0], "merge");
    assert_eq!(positionals(&merge_argv), [out], "merge input");
    let merged = flag_value(&merge_argv, "--out").expect("merge --out");
    assert!(merged.starts_with(out) && merged != out, "{merged}");
}

struct Instruction {
    keyword: String,
    args: String,
}

/// Dockerfile instructions, stage by stage (comments dropped, continuations joined).
fn dockerfile_stages() -> Vec<Vec<Instruction>> {
    let text = read("Dockerfile");
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for line in logical.iter().filter(|l| !l.trim().is_empty()) {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let instruction = Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_owned(),
        };
        if instruction.keyword == "FROM" {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .expect("the Dockerfile starts with FROM")
            .push(instruction);
    }
    stages
}

fn all_args<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter(|i| i.keyword == keyword)
        .map(|i| i.args.as_str())
        .collect()
}

#[test]
fn the_image_is_distroless_and_runs_as_non_root() {
    let stages = dockerfile_stages();
    assert!(stages.len() >= 2, "a multi-stage build");
    let builder = &stages[0];
    let from = all_args(builder, "FROM")[0];
    assert!(from.starts_with("rust:1-bookworm"), "builder: {from}");
    assert!(
        all_args(builder, "RUN")
            .iter()
            .any(|r| r.contains("cargo build --release --locked -p orgsweep")),
        "builder must run cargo build --release --locked -p orgsweep"
    );

    let runtime = stages.last().expect("a runtime stage");
    let from = all_args(runtime, "FROM")[0];
    let image = from.split_whitespace().next().unwrap_or_default();
    assert!(
        image.starts_with("gcr.io/distroless/") && image.ends_with(":nonroot"),
        "runtime image must be distroless :nonroot, got {image}"
    );
    assert!(
        all_args(runtime, "RUN").is_empty(),
        "distroless has no shell to RUN"
    );
    let user = *all_args(runtime, "USER")
        .last()
        .expect("the runtime stage sets USER");
    let name = user.split(':').next().unwrap_or_default();
    assert!(
        name == "nonroot" || name == "65532",
        "USER must be distroless's nonroot (65532), got {user}"
    );
    let copies = all_args(runtime, "COPY");
    assert_eq!(copies.len(), 1, "the runtime stage copies the binary only");
    assert!(
        copies[0].starts_with("--from=") && copies[0].ends_with(" /usr/local/bin/orgsweep"),
        "{}",
        copies[0]
    );
    let entrypoint = *all_args(runtime, "ENTRYPOINT").last().expect("ENTRYPOINT");
    let entrypoint: Value = serde_json::from_str(entrypoint).expect("exec-form ENTRYPOINT");
    assert_eq!(entrypoint, json!(["/usr/local/bin/orgsweep"]));

    let dockerignore = read(".dockerignore");
    let ignored: BTreeSet<&str> = dockerignore
        .lines()
        .map(|l| l.trim().trim_matches('/'))
        .collect();
    for entry in ["target", ".venv", "reports", ".git"] {
        assert!(ignored.contains(entry), ".dockerignore must list {entry}");
    }
}

const ROLE_TEMPLATES: [(&str, &str, &str); 2] = [
    (
        "deploy/cloudformation/scan-role.yaml",
        "crates/aws/iam/orgsweep-scan-policy.json",
        "orgsweep-scan",
    ),
    (
        "deploy/cloudformation/remediation-role.yaml",
        "crates/aws/iam/orgsweep-remediation-policy.json",
        "orgsweep-remediation",
    ),
];

/// The template's only IAM role.
fn role(template: &Value, file: &str) -> Value {
    let roles: Vec<&Value> = template["Resources"]
        .as_object()
        .unwrap_or_else(|| panic!("{file}: no Resources"))
        .values()
        .filter(|r| r["Type"] == "AWS::IAM::Role")
        .collect();
    assert_eq!(roles.len(), 1, "{file}: one AWS::IAM::Role");
    roles[0]["Properties"].clone()
}

/// The policy file's text, indented to paste back as the template's PolicyDocument.
fn paste_ready(policy_file: &str) -> String {
    read(policy_file)
        .lines()
        .map(|l| format!("            {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_cloudformation_roles_carry_exactly_the_repository_policies() {
    for (file, policy_file, default_name) in ROLE_TEMPLATES {
        let template = read_yaml(file);
        let role = role(&template, file);
        let policies = role["Policies"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}: no Policies"));
        assert_eq!(policies.len(), 1, "{file}: one inline policy");
        assert!(
            role["ManagedPolicyArns"].is_null(),
            "{file}: no managed policies"
        );
        let expected = read_json(policy_file);
        assert!(
            policies[0]["PolicyDocument"] == expected,
            "{file}: the PolicyDocument differs from {policy_file}. Replace it with:\n          PolicyDocument:\n{}\n",
            paste_ready(policy_file)
        );

        let parameters = &template["Parameters"];
        for name in ["ScanningPrincipalArn", "ExternalId", "RoleName"] {
            assert_eq!(
                parameters[name]["Type"], "String",
                "{file}: parameter {name}"
            );
        }
        assert_eq!(
            parameters["ExternalId"]["Default"], "",
            "{file}: ExternalId default"
        );
        assert_eq!(parameters["RoleName"]["Default"], default_name, "{file}");
        assert_eq!(role["RoleName"], json!({ "Ref": "RoleName" }), "{file}");
        assert_eq!(
            template["Conditions"]["HasExternalId"],
            json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "ExternalId" }, ""] }] }),
            "{file}: HasExternalId"
        );
        assert_eq!(
            role["AssumeRolePolicyDocument"]["Statement"],
            json!([{
                "Sid": "TrustOrgsweepPrincipalOnly",
                "Effect": "Allow",
                "Principal": { "AWS": { "Ref": "ScanningPrincipalArn" } },
                "Action": "sts:AssumeRole",
                "Condition": { "Fn::If": [
                    "HasExternalId",
                    { "StringEquals": { "sts:ExternalId": { "Ref": "ExternalId" } } },
                    { "Ref": "AWS::NoValue" }
                ] }
            }]),
            "{file}: the trust policy must admit only the scanning principal"
        );
    }

    // The deployed scans assume the role the scan template creates.
    let scan_role = read_yaml(ROLE_TEMPLATES[0].0)["Parameters"]["RoleName"]["Default"].clone();
    let mut scans: Vec<(String, Vec<String>)> = workloads()
        .into_iter()
        .filter(|w| w.subcommand() == "scan")
        .map(|w| (w.file.clone(), w.argv()))
        .collect();
    scans.push((
        BATCH_DEFINITIONS[0].to_owned(),
        batch_argv(&read_json(BATCH_DEFINITIONS[0]), BATCH_DEFINITIONS[0]),
    ));
    for (file, argv) in scans {
        assert_eq!(
            flag_value(&argv, "--role-name").map(|r| json!(r)),
            Some(scan_role.clone()),
            "{file}: --role-name must be the scan template's RoleName"
        );
    }
}

#[test]
fn the_cloudformation_templates_pass_cfn_lint() {
    let cfn_lint = orgsweep_demo::tools::ensure_cfn_lint().expect("cfn-lint installs");
    let templates: Vec<PathBuf> = ROLE_TEMPLATES.iter().map(|t| root().join(t.0)).collect();
    let output = Command::new(&cfn_lint)
        .args(&templates)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cfn_lint.display()));
    assert!(
        output.status.success(),
        "cfn-lint failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
