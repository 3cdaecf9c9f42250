//! The HTTP side of the UI tests: an in-process server on the sample county
//! and a client that keeps cookies like a browser.

use lvzhi_testkit::TestDb;
use lvzhi_testkit::county::{County, PASSWORD};
use lvzhi_testkit::http::{Client, Response};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The server, its store and the sample county.
pub struct Server {
    pub addr: SocketAddr,
    pub county: County,
    pub store: lvzhi_store::Store,
    pub rt: tokio::runtime::Runtime,
    pub db: TestDb,
}

impl Server {
    pub fn start() -> Server {
        let db = TestDb::sqlite();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (store, county, addr) = rt.block_on(async {
            let store = lvzhi_testkit::open(&db).await;
            let county = lvzhi_testkit::county::build(&store).await;
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
            (store, county, addr)
        });
        Server {
            addr,
            county,
            store,
            rt,
            db,
        }
    }
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
        let Server { store, rt, db, .. } = self;
        rt.block_on(async move {
            store.close().await;
            db.drop_db().await;
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

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        self.prepare();
        let body = enc(form);
        let r = self
            .c
            .send("POST", path, Some(body.as_bytes()), "application/x-www-form-urlencoded")
            .unwrap();
        self.take_cookies(&r);
        r
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
