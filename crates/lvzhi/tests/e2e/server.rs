//! An in-process server on a random port, on its own runtime, for blocking test clients.

use lvzhi_testkit::county::County;
use lvzhi_testkit::{TestDb, http::Client};
use std::net::SocketAddr;

pub struct Running {
    pub addr: SocketAddr,
    pub county: County,
    pub store: lvzhi_store::Store,
    pub rt: tokio::runtime::Runtime,
    pub db: Option<TestDb>,
}

impl Running {
    pub fn client(&self, user: &str) -> Client {
        let mut c = Client::new(self.addr);
        if !user.is_empty() {
            let r = c.login(user, lvzhi_testkit::county::PASSWORD);
            assert_eq!(r.status, 200, "login {user}: {}", r.text());
        }
        c
    }

    pub fn stop(mut self) {
        let db = self.db.take();
        let store = self.store.clone();
        self.rt.block_on(async move {
            store.close().await;
            if let Some(db) = db {
                db.drop_db().await;
            }
        });
    }
}

/// Starts a server on each available backend.
pub fn start_all() -> Vec<Running> {
    let probe = tokio::runtime::Runtime::new().unwrap();
    let dbs = probe.block_on(TestDb::both());
    drop(probe);
    dbs.into_iter().map(start).collect()
}

pub fn start(db: TestDb) -> Running {
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
        let state = lvzhi_web::state(store.clone(), false).unwrap();
        tokio::spawn(async move {
            let app = lvzhi_web::app(state);
            let _ = axum_serve(listener, app).await;
        });
        (store, county, addr)
    });
    Running {
        addr,
        county,
        store,
        rt,
        db: Some(db),
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, app: axum::Router) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
}
