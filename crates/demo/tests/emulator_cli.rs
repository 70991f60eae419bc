//! `cargo xtask emulator` keeps its emulator up when its input is not a terminal (a CI job, a
//! background shell) until SIGTERM, and prints shell exports on stdout.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn the_emulator_runs_without_a_terminal_until_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orgsweep-demo"))
        .arg("emulator")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("orgsweep-demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let endpoint = line
        .trim()
        .strip_prefix("export AWS_ENDPOINT_URL=")
        .unwrap_or_else(|| panic!("not an export: {line}"))
        .to_owned();
    // With stdin at end of file from the start, the emulator is still there a while later.
    std::thread::sleep(Duration::from_secs(2));
    assert!(child.try_wait().expect("status").is_none(), "it stopped");
    let address = endpoint.trim_start_matches("http://");
    assert!(
        TcpStream::connect(address).is_ok(),
        "nothing listens at {endpoint}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = child.wait().expect("waits");
    assert_eq!(status.code(), Some(0));
}
