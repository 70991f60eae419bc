//! moto, the AWS emulator the demo and the tests run against: installed on first use into
//! `<workspace>/.venv/moto` (nothing installed by hand), started on a port the OS picks on
//! 127.0.0.1, and stopped when the [`Emulator`] is dropped or this process dies.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

use crate::workspace_root;

/// The pinned emulator. The facts in docs/emulator.md were verified against this version.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

/// How long moto may take to come up on a slow machine.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// Started by the virtualenv's Python. moto exits when its stdin closes, which happens when
/// the process that started it exits for any reason, so no emulator outlives its test run.
///
/// Two of moto's gaps are closed here, at the emulator, so that the scan meets them as AWS
/// would answer (docs/emulator.md): a request for a service moto does not have (AWS Health,
/// Lightsail, named by the credential scope of its signature) raises inside moto's
/// dispatcher and leaves the connection open forever, so it gets a `501 NotImplemented`
/// instead; and under IAM enforcement moto's own SigV4 check
/// rejects REST-JSON requests (Lambda, EKS, GuardDuty) that botocore and the Rust SDK sign
/// correctly, so the signature comparison is skipped while every permission check stays.
const LAUNCHER: &str = r#"
import json, os, sys, threading
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)
from moto.iam import access_control
access_control.IAMRequestBase.check_signature = lambda self: None
moto_app = DomainDispatcherApplication(create_backend_app)
LACKING = {"health", "lightsail"}
def app(environ, start_response):
    scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[-1].split("/")
    if len(scope) > 3 and scope[3] in LACKING:
        body = json.dumps({"__type": "NotImplemented",
                           "message": "moto does not implement %s" % scope[3]}).encode()
        start_response("501 Not Implemented", [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body)))])
        return [body]
    return moto_app(environ, start_response)
server = make_server("127.0.0.1", 0, app, True, request_handler=MotoRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("listening", server.server_address[1], flush=True)
sys.stdin.read()
os._exit(0)
"#;

fn venv_dir() -> PathBuf {
    workspace_root().join(".venv").join("moto")
}

fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

/// Installs moto into the project's virtualenv unless it is already there, and returns the
/// virtualenv's Python. Safe to call from many test processes at once (see
/// [`crate::tools`]).
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let venv = venv_dir();
    crate::tools::ensure_venv_tool(&venv, MOTO_REQUIREMENT, "moto.lock")?;
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
                    crate::tools::tail(&log)
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
/// body must be JSON; a form-encoded one is ignored (docs/emulator.md).
pub fn enforce_auth(endpoint: &str) -> anyhow::Result<()> {
    ureq::post(format!("{endpoint}/moto-api/reset-auth"))
        .header("Content-Type", "application/json")
        .send("0")
        .with_context(|| format!("cannot turn on IAM enforcement at {endpoint}"))?;
    Ok(())
}
