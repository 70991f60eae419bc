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

/// Debian's browser and its WebDriver, where the packages put them.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// What the browser tests need from Debian: the browser, its driver (the same build, so the
/// two always match), and poppler-utils for `pdftoppm` and `pdftotext`.
pub const CHROMIUM_PACKAGES: [&str; 3] = ["chromium", "chromium-driver", "poppler-utils"];
const POPPLER_TOOLS: [&str; 2] = ["/usr/bin/pdftoppm", "/usr/bin/pdftotext"];

/// Returns the paths of Debian's Chromium and chromedriver (`/usr/bin/chromium`,
/// `/usr/bin/chromedriver`), installing [`CHROMIUM_PACKAGES`] first when any of them is
/// missing: `apt-get update` then `apt-get install -y --no-install-recommends`, as root or
/// through `sudo -n`. Processes serialize on a lock in the temporary directory (the install is
/// machine-wide), and one that waited finds the packages there. `ORGSWEEP_CHROMIUM` and
/// `ORGSWEEP_CHROMEDRIVER`, when both are set, name another browser and driver: nothing is
/// installed then.
pub fn ensure_chromium() -> anyhow::Result<(PathBuf, PathBuf)> {
    if let (Some(browser), Some(driver)) = (
        std::env::var_os("ORGSWEEP_CHROMIUM"),
        std::env::var_os("ORGSWEEP_CHROMEDRIVER"),
    ) {
        return Ok((PathBuf::from(browser), PathBuf::from(driver)));
    }
    let paths = (PathBuf::from(CHROMIUM), PathBuf::from(CHROMEDRIVER));
    let present = || {
        paths.0.exists()
            && paths.1.exists()
            && POPPLER_TOOLS.iter().all(|tool| Path::new(tool).exists())
    };
    if present() {
        return Ok(paths);
    }
    let lock_path = std::env::temp_dir().join("orgsweep-apt-chromium.lock");
    let lock = File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    if present() {
        return Ok(paths);
    }

    let missing = || {
        anyhow!(
            "the browser tests need Debian's {}: install them as root (apt-get install {})",
            CHROMIUM_PACKAGES.join(", "),
            CHROMIUM_PACKAGES.join(" ")
        )
    };
    let sudo = if is_root() {
        false
    } else if Command::new("sudo")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        true
    } else {
        return Err(missing());
    };
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        } else {
            Command::new("apt-get")
        };
        // Another apt run (unattended upgrades, a person) holds dpkg's lock: wait for it.
        command
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["-o", "DPkg::Lock::Timeout=300"])
            .args(args);
        command
    };
    eprintln!(
        "orgsweep-demo: installing {} with apt-get (first use only)",
        CHROMIUM_PACKAGES.join(" ")
    );
    run_quietly(apt(&["update", "-q"]), "apt-get update")
        .map_err(|e| anyhow!("{e:#}; {}", missing()))?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(CHROMIUM_PACKAGES);
    run_quietly(apt(&install), "apt-get install").map_err(|e| anyhow!("{e:#}; {}", missing()))?;
    if !present() {
        return Err(missing());
    }
    Ok(paths)
}

/// Whether this process runs as root (`id -u` prints 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
}
