//! Shared test code (each test file uses part of it).
#[allow(dead_code)]
pub mod browser;
#[allow(dead_code)]
pub mod demo;
#[allow(dead_code)]
pub mod site;

use std::net::SocketAddr;

/// Serves the app over `store` on a free port of 127.0.0.1, on the current
/// runtime; its address.
#[allow(dead_code)]
pub async fn serve(store: &lvzhi_store::Store) -> SocketAddr {
    serve_app(lvzhi_web::state(store.clone(), false).unwrap()).await
}

/// Serves `state` on a free port of 127.0.0.1, on the current runtime; its address.
#[allow(dead_code)]
pub async fn serve_app(state: lvzhi_web::AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let app = lvzhi_web::app(state);
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    addr
}
