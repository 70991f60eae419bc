//! moto, the AWS emulator the demo and the tests run against: installed on first use into
//! `<workspace>/.venv/moto` (nothing installed by hand), started on a port the OS picks on
//! 127.0.0.1, and stopped when the [`Emulator`] is dropped or this process dies.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

use crate::workspace_root;

/// The pinned emulator. DESIGN.md's emulator facts were verified against this version.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

/// How long moto may take to come up on a slow machine.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// Started by the virtualenv's Python. moto exits when its stdin closes, which happens when
/// the process that started it exits for any reason, so no emulator outlives its test run.
const LAUNCHER: &str = r#"
import os, sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("listening", server.get_host_and_port()[1], flush=True)
sys.stdin.read()
os._exit(0)
"#;

fn venv_dir() -> PathBuf {
    workspace_root().join(".venv").join("moto")
}

fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

/// The last lines of a tool's output, on one line, for an error message.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
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

/// Installs moto into the project's virtualenv unless it is already there, and returns the
/// virtualenv's Python. Safe to call from many test processes at once: they serialize on a
/// file lock, and the marker file is written only after a complete install.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let venv = venv_dir();
    let marker = venv.join(".installed");
    let installed = || fs::read_to_string(&marker).is_ok_and(|m| m.trim() == MOTO_REQUIREMENT);
    if installed() {
        return Ok(venv_python(&venv));
    }
    let parent = venv.parent().unwrap_or(&venv);
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let lock_path = parent.join("moto.lock");
    let lock = File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    if installed() {
        return Ok(venv_python(&venv));
    }

    let python = std::env::var("ORGSWEEP_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    eprintln!(
        "orgsweep-demo: installing {MOTO_REQUIREMENT} into {} (first use only)",
        venv.display()
    );
    if !venv_python(&venv).exists() {
        let mut create = Command::new(&python);
        create.args(["-m", "venv"]).arg(&venv);
        run_quietly(create, "creating the moto virtualenv").map_err(|e| {
            anyhow!("{e:#} (orgsweep needs Python 3.9+ with the venv module: on Debian/Ubuntu install python3-venv; set ORGSWEEP_PYTHON to use another interpreter)")
        })?;
    }
    let mut install = Command::new(venv_python(&venv));
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg(MOTO_REQUIREMENT);
    run_quietly(install, "installing moto from PyPI")?;
    fs::write(&marker, MOTO_REQUIREMENT)
        .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(venv_python(&venv))
}

/// A running moto server.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    /// Installs moto if needed and starts it on a free loopback port.
    pub fn start() -> anyhow::Result<Emulator> {
        let python = ensure_installed()?;
        let mut child = Command::new(&python)
            .args(["-c", LAUNCHER])
            // Without this the AWSCompromisedKeyQuarantine policies cannot be attached.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start moto with {}", python.display()))?;

        // Keep the tail of moto's stderr for error messages, and keep draining it so the
        // server never blocks on a full pipe.
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(mut stderr) = child.stderr.take() {
            let log = log.clone();
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut log) = log.lock() {
                        log.push_str(&String::from_utf8_lossy(&buf[..n]));
                        let excess = log.len().saturating_sub(8192);
                        if excess > 0 {
                            let cut = log
                                .char_indices()
                                .map(|(i, _)| i)
                                .find(|i| *i >= excess)
                                .unwrap_or(0);
                            log.drain(..cut);
                        }
                    }
                }
            });
        }
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("moto's stdout is not captured"))?;
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let port = line
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse::<u16>().ok());
        let mut emulator = match port {
            Some(port) => Emulator { child, port },
            None => {
                let _ = child.kill();
                let _ = child.wait();
                thread::sleep(Duration::from_millis(100));
                let log = log.lock().map(|l| l.clone()).unwrap_or_default();
                bail!(
                    "moto did not start within {START_TIMEOUT:?}: {}",
                    tail(&log)
                );
            }
        };
        emulator.wait_until_listening()?;
        Ok(emulator)
    }

    fn wait_until_listening(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!("moto exited early ({status})");
            }
            thread::sleep(Duration::from_millis(50));
        }
        bail!("moto does not accept connections on port {}", self.port)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Turns on moto's IAM enforcement: from now on every request is authenticated and
/// authorized against the seeded IAM, so a missing or denied scan role is a real gap. The
/// body must be JSON; a form-encoded one is ignored (see DESIGN.md).
pub fn enforce_auth(endpoint: &str) -> anyhow::Result<()> {
    ureq::post(format!("{endpoint}/moto-api/reset-auth"))
        .header("Content-Type", "application/json")
        .send("0")
        .with_context(|| format!("cannot turn on IAM enforcement at {endpoint}"))?;
    Ok(())
}
