//! A real browser for what only a browser can tell: Debian's Chromium, headless, driven
//! through its chromedriver over W3C WebDriver. The report's browser tests use it to see how
//! the page behaves once parsed (scripts, the Content-Security-Policy, filters, anchors,
//! printing), and the scale benchmark to see how long a responder waits for a large report
//! to become usable — figures no string check or file size can give.
//!
//! Everything stays on loopback, so there is no TLS stack: plain HTTP to chromedriver
//! through hyper-util's connector. Chromium and chromedriver are installed on first use
//! ([`orgsweep_demo::tools::ensure_chromium`]), like moto.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The network here is closed: without these Chromium keeps trying to reach Google's
/// services (and in a container it has no sandbox to enter).
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// chromedriver in its own process group, so that dropping it (at the end of a test, when
/// an assertion panics, or when a benchmark fails half-way) also ends the Chromium it
/// started instead of leaving it running.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One WebDriver session on a fresh profile, so that no cache, storage or earlier page from
/// another run colours what is measured or checked. The viewport is fixed at the size it was
/// started with, whatever the headless window decides, because layout checks and
/// screenshots are only comparable at a known size.
pub struct Browser {
    client: Client,
    width: u32,
    height: u32,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `init_scripts` run in every document before any of the page's own script, which is
    /// the only way to observe what happens while the page loads (CSP violations, say):
    /// anything injected after the load would miss it.
    pub async fn start(width: u32, height: u32, init_scripts: &[&str]) -> anyhow::Result<Self> {
        let (chromium, chromedriver) = orgsweep_demo::tools::ensure_chromium()?;
        let port = free_port()?;
        let driver = Driver(
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .with_context(|| format!("cannot start {}", chromedriver.display()))?,
        );
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let profile = tempfile::tempdir()?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        args.push("--hide-scrollbars".to_owned());
        let mut caps = Capabilities::new();
        caps.insert("browserName".to_owned(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": chromium, "args": args }),
        );
        caps.insert("goog:loggingPrefs".to_owned(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("cannot open a WebDriver session in Chromium")?;
        let browser = Browser {
            client,
            width,
            height,
            _driver: driver,
            _profile: profile,
        };
        browser
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
            )
            .await?;
        for source in init_scripts {
            browser
                .cdp(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({ "source": source }),
                )
                .await?;
        }
        Ok(browser)
    }

    /// The WebDriver session itself, for what this wrapper has no method for (typing,
    /// printing, the current URL): wrapping all of fantoccini would only rename it.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A Chrome DevTools Protocol command, through chromedriver's passthrough: WebDriver has
    /// no way to emulate a viewport or install a script ahead of the page.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> anyhow::Result<Value> {
        self.client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({ "cmd": cmd, "params": params }),
            })
            .await
            .with_context(|| format!("CDP {cmd}"))
    }

    /// The browser console's entries since the last call: some refusals (Content Security
    /// Policy ones among them) are reported there even when no page listener saw them, and
    /// WebDriver has no standard log endpoint, hence chromedriver's.
    pub async fn console(&self) -> anyhow::Result<Vec<String>> {
        let entries = self
            .client
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .context("reading the browser log")?;
        Ok(entries
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Opens a local file as `file://`, the way a responder opens a report that arrived as an
    /// attachment; returns once the page has loaded. `file` must be absolute: a relative
    /// path would silently depend on chromedriver's working directory.
    pub async fn open(&self, file: &Path, fragment: Option<&str>) -> anyhow::Result<()> {
        let mut url = url::Url::from_file_path(file)
            .map_err(|()| anyhow::anyhow!("not an absolute path: {}", file.display()))?;
        url.set_fragment(fragment);
        self.client
            .goto(url.as_str())
            .await
            .with_context(|| format!("cannot open {}", file.display()))?;
        Ok(())
    }

    /// Runs `body` (a function body: `return …`) in the page.
    pub async fn js(&self, body: &str) -> anyhow::Result<Value> {
        Ok(self.client.execute(body, vec![]).await?)
    }

    /// Like [`Browser::js`], for the many checks that count something, so that a script that
    /// returns the wrong kind of value fails with that value instead of comparing unequal.
    pub async fn js_u64(&self, body: &str) -> anyhow::Result<u64> {
        let v = self.js(body).await?;
        v.as_u64().with_context(|| format!("{body} gave {v}"))
    }

    /// Clicks like a user would (the element must be visible and not covered), so that a
    /// control hidden by the page's own layout fails here rather than working by script.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("no {css}"))?
            .click()
            .await
            .with_context(|| format!("cannot click {css}"))?;
        Ok(())
    }

    /// Waits until `condition` (a JavaScript expression) holds in the page: the page's
    /// script reacts to events asynchronously, so a check right after a click can race it.
    pub async fn wait_for(&self, condition: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if self.js(&format!("return !!({condition});")).await? == json!(true) {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("timed out waiting for {condition}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The viewport as a PNG. Checked to be exactly the size the browser was started with:
    /// headless Chromium may otherwise capture a different size silently, and a "first
    /// screen" screenshot of the wrong size shows nothing about the first screen.
    pub async fn screenshot_png(&self) -> anyhow::Result<Vec<u8>> {
        let png = self.client.screenshot().await?;
        ensure!(png.len() > 24 && png.starts_with(b"\x89PNG"), "not a PNG");
        let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        ensure!(
            (size(16), size(20)) == (self.width, self.height),
            "screenshot is {}x{}, not {}x{}",
            size(16),
            size(20),
            self.width,
            self.height
        );
        Ok(png)
    }

    /// How long after navigation started `file` was parsed and its deferred scripts had run
    /// (the end of DOMContentLoaded): the moment a large report becomes readable and its
    /// filters usable. Taken from the browser's own Navigation Timing rather than timed from
    /// here, so that WebDriver's round trips and the wait for images or layout after it do
    /// not count. Each call is a new navigation, so calling it again measures a reload.
    pub async fn dom_content_loaded(&self, file: &Path) -> anyhow::Result<Duration> {
        const END: &str = "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd";
        self.open(file, None).await?;
        // WebDriver returns once the page has loaded, but the entry is only filled in as the
        // event ends; waiting for it keeps a slow page from reading as 0 ms.
        self.wait_for(&format!(
            "performance.getEntriesByType('navigation').length > 0 && {END} > 0"
        ))
        .await?;
        let ms = self.js(&format!("return {END};")).await?;
        let ms = ms
            .as_f64()
            .with_context(|| format!("domContentLoadedEventEnd is {ms}"))?;
        ensure!(
            ms.is_finite() && ms > 0.0,
            "domContentLoadedEventEnd is {ms}"
        );
        Ok(Duration::from_secs_f64(ms / 1000.0))
    }

    /// Ends the WebDriver session (and with it Chromium) cleanly; dropping the browser
    /// without it kills both, which is fine after a failure but leaves chromedriver no
    /// chance to report one.
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.clone().close().await?;
        Ok(())
    }
}

/// `POST /session/{id}/{path}`: chromedriver's extensions that fantoccini has no method for.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// A loopback port nobody listens on, for chromedriver: a fixed port would collide when
/// tests (or a test and the benchmark) run browsers side by side.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}
