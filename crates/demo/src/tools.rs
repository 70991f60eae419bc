//! Python tools the tests run, installed on first use like moto (see [`crate::emulator`]):
//! each into its own project-local virtualenv, `<workspace>/.venv/<tool>`, pinned, behind a
//! file lock, with a marker written only after a complete install. Nothing is installed by
//! hand.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, anyhow, bail};

use crate::workspace_root;

/// The pinned CloudFormation linter (`tests/deploy.rs` lints `deploy/cloudformation`).
pub const CFN_LINT_REQUIREMENT: &str = "cfn-lint==1.58.0";

/// Installs the pinned cfn-lint into `<workspace>/.venv/cfn-lint` unless it is already there,
/// and returns the path of its `cfn-lint` executable. Safe to call from many test processes
/// at once.
pub fn ensure_cfn_lint() -> anyhow::Result<PathBuf> {
    let venv = workspace_root().join(".venv").join("cfn-lint");
    ensure_venv_tool(&venv, CFN_LINT_REQUIREMENT, "cfn-lint.lock")?;
    Ok(venv.join("bin").join("cfn-lint"))
}

/// Makes `venv` hold exactly `requirement`: they serialize on `<venv's parent>/<lock_name>`,
/// and `<venv>/.installed` (the requirement) is written only after pip succeeded, so an
/// interrupted install is redone and a changed pin reinstalls.
pub(crate) fn ensure_venv_tool(
    venv: &Path,
    requirement: &str,
    lock_name: &str,
) -> anyhow::Result<()> {
    let marker = venv.join(".installed");
    let installed = || fs::read_to_string(&marker).is_ok_and(|m| m.trim() == requirement);
    if installed() {
        return Ok(());
    }
    let parent = venv.parent().unwrap_or(venv);
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let lock_path = parent.join(lock_name);
    let lock = File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    if installed() {
        return Ok(());
    }

    let python = std::env::var("ORGSWEEP_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let venv_python = venv.join("bin").join("python");
    eprintln!(
        "orgsweep-demo: installing {requirement} into {} (first use only)",
        venv.display()
    );
    if !venv_python.exists() {
        let mut create = Command::new(&python);
        create.args(["-m", "venv"]).arg(venv);
        run_quietly(create, "creating a virtualenv").map_err(|e| {
            anyhow!("{e:#} (orgsweep needs Python 3.9+ with the venv module: on Debian/Ubuntu install python3-venv; set ORGSWEEP_PYTHON to use another interpreter)")
        })?;
    }
    let mut install = Command::new(&venv_python);
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg(requirement);
    run_quietly(install, &format!("installing {requirement} from PyPI"))?;
    fs::write(&marker, requirement)
        .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(())
}

/// Runs `command`, turning a failure into an error carrying the end of its output.
fn run_quietly(mut command: Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("{what}: cannot start {:?}", command.get_program()))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    bail!("{what} failed ({}): {}", output.status, tail(&text))
}

/// The last lines of a tool's output, on one line, for an error message.
pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}
