//! What every headless-Chromium test shares: finding chromium and
//! chromedriver (or skipping, unless `LVZHI_REQUIRE_CHROMIUM=1`), starting
//! chromedriver and a browser session, serving the app on a free port, and
//! full-page screenshots into `target/ui-screenshots/`.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
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
        self.launch_with(None).await
    }

    /// [`Tools::launch`], with downloads saved into `downloads` without asking.
    pub async fn launch_with(&self, downloads: Option<&Path>) -> Browser {
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
        let mut options = json!({
            "binary": self.chromium.to_string_lossy(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--lang=zh-CN", "--window-size=1366,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        if let Some(dir) = downloads {
            options["prefs"] = json!({
                "download.default_directory": dir.to_string_lossy(),
                "download.prompt_for_download": false,
                "safebrowsing.enabled": false,
            });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        // The TLS test's certificate is self-signed (made in the test).
        caps.insert("acceptInsecureCerts".into(), json!(true));
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
    format!("http://{}", super::serve(store).await)
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

/// The file `name` in `dir` once a download has finished writing it (Chromium
/// writes `name.crdownload` first), waiting up to `secs` seconds.
pub async fn downloaded(dir: &Path, name: &str, secs: u64) -> Vec<u8> {
    let path = dir.join(name);
    for _ in 0..secs * 10 {
        if path.is_file() && !dir.join(format!("{name}.crdownload")).exists() {
            return std::fs::read(&path).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let have: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    panic!("no download {name} in {} (have {have:?})", dir.display());
}

/// The demo county as `lvzhi demo` builds it (seed 1), on the demo's clock,
/// served on a free port.
pub struct Demo {
    /// The database (dropped by [`Demo::stop`]).
    pub db: lvzhi_testkit::TestDb,
    /// The store.
    pub store: lvzhi_store::Store,
    /// The server's base URL.
    pub base: String,
    /// The demo users and their passwords.
    pub users: Vec<lvzhi_demo::DemoUser>,
}

impl Demo {
    /// The demo county on a new SQLite database (a copy of the one built
    /// once per test run, [`super::demo::demo_db`]), served.
    pub async fn start() -> Demo {
        let super::demo::DemoDb { db, users } = super::demo::demo_db().await;
        let pack = std::sync::Arc::new(lvzhi_packs::county().unwrap());
        let store = lvzhi_store::Store::open(&db.url, pack, lvzhi_demo::demo_clock())
            .await
            .unwrap();
        let base = serve(&store).await;
        Demo { db, store, base, users }
    }

    /// The demo user `username`.
    pub fn user(&self, username: &str) -> &lvzhi_demo::DemoUser {
        self.users
            .iter()
            .find(|u| u.username == username)
            .unwrap_or_else(|| panic!("no demo user {username}"))
    }

    /// What `username` may see and do, as the store has it.
    pub async fn access(&self, username: &str) -> lvzhi_core::access::Access {
        self.store.access_for(self.user(username).id).await.unwrap().0
    }

    /// Closes the store and drops the database.
    pub async fn stop(self) {
        self.store.close().await;
        self.db.drop_db().await;
    }
}

/// Signs in on the login page at `base` and waits for the signed-in page.
pub async fn login(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    css_within(c, "#username", 15).await.send_keys(user).await.unwrap();
    css_within(c, "#password", 15).await.send_keys(password).await.unwrap();
    css_within(c, "button[type=submit]", 15).await.click().await.unwrap();
    css_within(c, ".top .user", 15).await;
}

/// Signs out with the top bar's button and waits for the login page.
pub async fn logout(c: &Client) {
    css_within(c, ".logout button", 15).await.click().await.unwrap();
    css_within(c, "#username", 15).await;
}

/// The text of the page's `.notice` once it contains `needle`, waiting up to
/// 15 s: after a form is submitted the old page's notice can still be found
/// (and go stale) before the new page has loaded.
#[allow(dead_code)]
pub async fn notice_containing(c: &Client, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..75 {
        if let Ok(e) = c.find(Locator::Css(".notice")).await
            && let Ok(t) = e.text().await
        {
            if t.contains(needle) {
                return t;
            }
            last = t;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no notice containing {needle:?}; last seen: {last:?}");
}

/// Opens the record page's transition `name` and returns its form's selector.
#[allow(dead_code)]
pub async fn open_action(c: &Client, name: &str) -> String {
    let details = format!("details.action:has(input[name=transition][value='{name}'])");
    css_within(c, &format!("{details} > summary"), 15)
        .await
        .click()
        .await
        .unwrap();
    format!("{details} form")
}

/// Submits `form` with the browser's own validation off (the server's
/// messages are what the tests check).
#[allow(dead_code)]
pub async fn submit(c: &Client, form: &str) {
    c.execute(
        "document.querySelector(arguments[0]).noValidate = true;",
        vec![json!(form)],
    )
    .await
    .unwrap();
    css_within(c, &format!("{form} button[type=submit]"), 15)
        .await
        .click()
        .await
        .unwrap();
}

/// The record page's current step.
#[allow(dead_code)]
pub async fn step_state(c: &Client) -> String {
    css_within(c, ".steps li.current", 15).await.text().await.unwrap()
}
