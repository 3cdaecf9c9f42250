//! The HTTP side of the UI tests: an in-process server on the sample county
//! and a client that keeps cookies like a browser.

use lvzhi_testkit::TestDb;
use lvzhi_testkit::county::{County, PASSWORD};
use lvzhi_testkit::http::{Client, Response};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The server, its store and the sample county. Dropping it closes the store and drops
/// its database (a PostgreSQL test database is not left behind).
pub struct Server {
    pub addr: SocketAddr,
    pub county: County,
    pub store: lvzhi_store::Store,
    /// The server's application object (engine, caches, staged uploads).
    pub app: lvzhi_web::AppState,
    pub rt: tokio::runtime::Runtime,
    db: Option<TestDb>,
}

impl Server {
    /// The server on a new SQLite database.
    pub fn start() -> Server {
        Server::on(TestDb::sqlite())
    }

    /// The server on SQLite, and another on PostgreSQL when one is reachable.
    pub fn both() -> Vec<Server> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(TestDb::both()).into_iter().map(Server::on).collect()
    }

    /// The server on `db` (built with the sample county).
    pub fn on(db: TestDb) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (store, county, app, addr) = rt.block_on(async {
            let store = lvzhi_testkit::open(&db).await;
            let county = lvzhi_testkit::county::build(&store).await;
            let app = lvzhi_web::state(store.clone(), false).unwrap();
            let addr = super::serve_app(app.clone()).await;
            (store, county, app, addr)
        });
        Server {
            addr,
            county,
            store,
            app,
            rt,
            db: Some(db),
        }
    }

    /// A JSON API client signed in as `user` (bearer token); anonymous for "".
    pub fn client(&self, user: &str) -> Client {
        let mut c = Client::new(self.addr);
        if !user.is_empty() {
            let r = c.login(user, PASSWORD);
            assert_eq!(r.status, 200, "login {user}: {}", r.text());
        }
        c
    }

    /// The kinds of the newest `n` events, newest first.
    pub fn last_event_kinds(&self, n: i64) -> Vec<String> {
        // The audit log is the audit administrator's (三员分立).
        let a = self.county.access("auditadmin");
        self.rt
            .block_on(self.store.events(&a, None, None, n))
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    /// A browser with no session.
    pub fn browser(&self) -> Browser {
        Browser {
            c: Client::new(self.addr),
            cookies: BTreeMap::new(),
        }
    }
    /// A browser signed in as `user`.
    pub fn signed_in(&self, user: &str) -> Browser {
        let mut b = self.browser();
        let r = b.login(user, PASSWORD);
        assert_eq!(r.status, 303, "login {user}: {}", r.text());
        b
    }
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let (store, db) = (self.store.clone(), self.db.take());
        self.rt.block_on(async move {
            store.close().await;
            if let Some(db) = db {
                db.drop_db().await;
            }
        });
    }
}

/// A client that keeps cookies, like a browser.
pub struct Browser {
    pub c: Client,
    pub cookies: BTreeMap<String, String>,
}

pub fn enc(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Browser {
    pub fn take_cookies(&mut self, r: &Response) {
        for (k, v) in &r.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let first = v.split(';').next().unwrap_or("");
                if let Some((name, value)) = first.split_once('=') {
                    if value.is_empty() || v.contains("Max-Age=0") {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_string(), value.to_string());
                    }
                }
            }
        }
    }

    pub fn prepare(&mut self) {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        self.c.headers = if cookie.is_empty() {
            vec![]
        } else {
            vec![("Cookie".into(), cookie)]
        };
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.prepare();
        let r = self.c.get(path).unwrap();
        self.take_cookies(&r);
        r
    }

    /// POSTs `body` as `content_type`.
    pub fn send(&mut self, path: &str, body: &[u8], content_type: &str) -> Response {
        self.prepare();
        let r = self.c.send("POST", path, Some(body), content_type).unwrap();
        self.take_cookies(&r);
        r
    }

    /// POSTs a form (`application/x-www-form-urlencoded`).
    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        self.send(path, enc(form).as_bytes(), "application/x-www-form-urlencoded")
    }

    /// POSTs `multipart/form-data` as a browser sends a form with text
    /// fields and a file input named `file` (left empty when `file` is None).
    pub fn multipart(&mut self, path: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Response {
        let file = file.unwrap_or(("", b""));
        let body = lvzhi_testkit::http::multipart(fields, &[file]);
        self.send(path, &body, lvzhi_testkit::http::MULTIPART)
    }

    /// [`Browser::multipart`] with a file.
    pub fn upload(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Response {
        self.multipart(path, fields, Some(file))
    }

    pub fn login(&mut self, user: &str, password: &str) -> Response {
        let page = self.get("/login");
        assert_eq!(page.status, 200);
        let csrf = csrf_of(&page.text());
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", user),
                ("password", password),
                ("next", "/"),
            ],
        )
    }

    /// The CSRF token of the signed-in session (from any page's logout form).
    pub fn csrf(&mut self) -> String {
        csrf_of(&self.get("/").text())
    }
}

pub fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[i..].split('"').next().unwrap().to_string()
}

pub fn location(r: &Response) -> String {
    r.header("location").unwrap_or("").to_string()
}

/// The HTML of the form field `key` (its `data-field` block).
pub fn field_block<'a>(html: &'a str, key: &str) -> &'a str {
    let marker = format!("data-field=\"{key}\"");
    let i = html.find(&marker).unwrap_or_else(|| panic!("no field {key}"));
    let rest = &html[i..];
    let end = rest[1..].find("data-field=\"").map(|j| j + 1).unwrap_or(rest.len());
    &rest[..end]
}
