//! Graceful shutdown: in-flight requests finish after the signal; a drain that takes too long is
//! cut off at the timeout.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use techchallenge_app::server::{Stopped, serve};
use tokio::net::TcpListener;

use crate::helpers::http;

async fn slow_server(
    delay: Duration,
    drain: Duration,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Stopped>,
) {
    let router = Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(delay).await;
            "done"
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        serve(
            listener,
            router,
            async move {
                let _ = rx.await;
            },
            drain,
        )
        .await
        .expect("serve")
    });
    (addr, tx, handle)
}

#[tokio::test]
async fn in_flight_requests_finish_after_the_signal() {
    let (addr, stop, server) =
        slow_server(Duration::from_millis(800), Duration::from_secs(10)).await;
    let request = tokio::spawn({
        let addr = addr.clone();
        async move { http(&addr, "GET", "/slow", "").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).expect("signal");
    assert_eq!(request.await.expect("join"), (200, "done".to_owned()));
    assert_eq!(server.await.expect("join"), Stopped::Drained);
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn a_drain_that_takes_too_long_is_cut_off() {
    let (addr, stop, server) =
        slow_server(Duration::from_secs(30), Duration::from_millis(300)).await;
    let _request = tokio::spawn(async move { http(&addr, "GET", "/slow", "").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).expect("signal");
    let stopped = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("returns promptly")
        .expect("join");
    assert_eq!(stopped, Stopped::DrainTimedOut);
}
