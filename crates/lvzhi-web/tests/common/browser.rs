//! What every headless-Chromium test shares: finding chromium and
//! chromedriver (or skipping, unless `LVZHI_REQUIRE_CHROMIUM=1`), starting
//! chromedriver and a browser session, serving the app on a free port, and
//! full-page screenshots into `target/ui-screenshots/`.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let dirs = std::env::var("PATH").unwrap_or_default();
    for n in names {
        for d in std::env::split_paths(&dirs).chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/lib/chromium")]) {
            let p = d.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chromium and chromedriver, found on this machine.
pub struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

/// The tools, or `None` with a printed reason (a failure when `LVZHI_REQUIRE_CHROMIUM=1`).
pub fn tools() -> Option<Tools> {
    let required = std::env::var("LVZHI_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
    let chromium = find_binary(&["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = find_binary(&["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        assert!(
            !required,
            "LVZHI_REQUIRE_CHROMIUM=1 but chromium/chromedriver not found (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: chromium/chromedriver not found (apt-get install chromium chromium-driver)");
        return None;
    };
    Some(Tools { chromium, chromedriver })
}

/// The chromedriver process, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A browser session: chromedriver, a headless Chromium with its own profile.
pub struct Browser {
    /// The WebDriver client.
    pub c: Client,
    profile: PathBuf,
    _driver: Driver,
}

impl Tools {
    /// Starts chromedriver on a free port and a headless Chromium (zh-CN, 1366×1000).
    pub async fn launch(&self) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Driver(
            Command::new(&self.chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut up = false;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "chromedriver did not start");
        let profile = std::env::temp_dir().join(format!("lvzhi-chromium-{port}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": self.chromium.to_string_lossy(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--no-first-run",
                    "--lang=zh-CN", "--window-size=1366,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap();
        Browser {
            c,
            profile,
            _driver: driver,
        }
    }
}

impl Browser {
    /// Closes the session, removes the profile and stops chromedriver.
    pub async fn close(self) {
        let _ = self.c.clone().close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Serves the app over `store` on a free port; its base URL.
pub async fn serve(store: &lvzhi_store::Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = lvzhi_web::AppState {
        store: store.clone(),
        secure_cookies: false,
    };
    tokio::spawn(async move {
        let app = lvzhi_web::app(state);
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    format!("http://{addr}")
}

/// `target/ui-screenshots/`, created if missing.
pub fn shots_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A screenshot of the whole page at `width` (the window grown to the page's
/// height, between `min_h` and `max_h`), saved as `<file>.png`.
pub async fn shot_page(c: &Client, file: &str, width: u32, min_h: u32, max_h: u32) {
    let _ = c.set_window_size(width, 800).await;
    let h = c
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(1000)
        .clamp(min_h as u64, max_h as u64) as u32;
    let _ = c.set_window_size(width, h + 100).await;
    let png = c.screenshot().await.unwrap();
    let _ = c.set_window_size(1366, 1000).await;
    std::fs::write(shots_dir().join(format!("{file}.png")), png).unwrap();
}

/// The element `sel`, waiting up to `secs` seconds for it.
pub async fn css_within(c: &Client, sel: &str, secs: u64) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::Css(sel))
        .await
        .unwrap_or_else(|e| panic!("no element {sel}: {e}"))
}

/// Sets an input's value by id and fires `change`.
#[allow(dead_code)]
pub async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1]; \
         e.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(id), json!(value)],
    )
    .await
    .unwrap();
}
