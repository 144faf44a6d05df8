//! The API suite, run against PostgreSQL and against the embedded store: every route and status
//! code of 0.11.0, the JSON quirks, the new GET/PUT, and bad input of every kind.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

/// Declares each listed suite function once per store.
macro_rules! for_both_stores {
    ($($name:ident),* $(,)?) => {
        for_store!(pg, Pg, $($name),*);
        for_store!(embedded, Embedded, $($name),*);
    };
}

/// Declares module `$module` with a test per suite function, against store `$kind`.
macro_rules! for_store {
    ($module:ident, $kind:ident, $($name:ident),*) => {
        mod $module {
            $(#[tokio::test]
            async fn $name() {
                if let Some(app) = crate::helpers::TestApp::spawn(crate::helpers::Kind::$kind).await {
                    super::$name(app).await;
                }
            })*
        }
    };
}

for_both_stores!(
    lists_the_seed_rows_in_id_order,
    empty_list_is_an_empty_array,
    original_page_body_creates_the_typed_title,
    titles_with_percent_signs_round_trip,
    read_and_edit_one_task,
    delete_then_404,
    unknown_paths_are_404_json,
    wrong_methods_are_405,
    bad_bodies_are_400_and_lose_nothing,
    oversized_body_is_413,
    health_and_liveness,
    debug_masks_secrets,
    metrics_count_requests,
    page_and_static_files,
    concurrent_creates_get_distinct_ids,
);

async fn lists_the_seed_rows_in_id_order(app: TestApp) {
    let r = app.get("/api/task/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/json");
    assert_eq!(
        r.json(),
        json!([
            {"id": 1, "priority": 0, "title": "1st Task", "complete": false},
            {"id": 2, "priority": 0, "title": "2nd Task", "complete": false},
            {"id": 3, "priority": 0, "title": "3rd Task", "complete": false},
        ])
    );
    // Field order as 0.11.0 wrote it.
    assert!(
        r.body
            .starts_with(r#"[{"id":1,"priority":0,"title":"1st Task","complete":false}"#),
        "{}",
        r.body
    );
}

async fn empty_list_is_an_empty_array(app: TestApp) {
    for id in 1..=3 {
        let r = app
            .call(Method::DELETE, &format!("/api/task/{id}/"), Body::empty())
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    let r = app.get("/api/task/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "[]");
}

async fn original_page_body_creates_the_typed_title(app: TestApp) {
    let body = r#"{"title":"","priority":1000,"completed":false,"id":0,"Title":"typed text"}"#;
    let r = app.call(Method::POST, "/api/task/", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type(), "application/json");
    let task = r.json();
    assert_eq!(task["title"], "typed text");
    assert_eq!(task["priority"], 1000);
    assert_eq!(task["complete"], false);
    assert_eq!(task["id"], 4, "the client's id is ignored");
    assert_eq!(
        app.titles().await,
        ["1st Task", "2nd Task", "3rd Task", "typed text"]
    );
    // Trailing bytes after the JSON value are ignored, like Go's Decoder did.
    let r = app
        .call(
            Method::POST,
            "/api/task/",
            r#"{"TITLE":"x","complete":true}garbage"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["complete"], true);
}

async fn titles_with_percent_signs_round_trip(app: TestApp) {
    let title = "100% done, 50%d, %s \u{1F600} \"quoted\" <b>";
    let r = app
        .call(
            Method::POST,
            "/api/task/",
            json!({"title": title}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["title"], title);
    assert!(app.titles().await.iter().any(|t| t == title));
}

async fn read_and_edit_one_task(app: TestApp) {
    let r = app.get("/api/task/2/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"id": 2, "priority": 0, "title": "2nd Task", "complete": false})
    );

    let r = app
        .call(Method::PUT, "/api/task/2/", r#"{"complete":true}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"id": 2, "priority": 0, "title": "2nd Task", "complete": true})
    );

    let r = app
        .call(
            Method::PUT,
            "/api/task/2/",
            r#"{"Title":"a","title":"renamed","priority":7,"id":99}"#,
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"id": 2, "priority": 7, "title": "renamed", "complete": true})
    );
    assert_eq!(app.get("/api/task/2/").await.json()["title"], "renamed");

    for path in ["/api/task/99/", "/api/task/99999999999/"] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND);
        let r = app.call(Method::PUT, path, r#"{"complete":true}"#).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.json()["error"], "not found");
    }
    let r = app
        .call(Method::PUT, "/api/task/2/", r#"{"complete":"yes"}"#)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/api/task/2/").await.json()["complete"],
        true,
        "a rejected edit changes nothing"
    );
}

async fn delete_then_404(app: TestApp) {
    let r = app
        .call(Method::DELETE, "/api/task/1/", Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    let r = app
        .call(Method::DELETE, "/api/task/1/", Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "not found");
    assert_eq!(app.get("/api/task/1/").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.titles().await, ["2nd Task", "3rd Task"]);
}

async fn unknown_paths_are_404_json(app: TestApp) {
    for path in [
        "/api/task",
        "/api/task/abc/",
        "/api/task/1",
        "/api/task/-1/",
        "/api/task/1.5/",
        "/api/task/99999999999999999999999/",
        "/api/task/%FF/",
        "/api/tasks/",
        "/nope",
    ] {
        for method in [Method::GET, Method::DELETE, Method::PUT] {
            let r = app.call(method.clone(), path, "{}").await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                r.body
            );
            assert_eq!(r.json()["error"], "not found", "{method} {path}");
        }
    }
    for path in [
        "/js/missing.js",
        "/js/../Cargo.toml",
        "/css/",
        "/images/x.png",
        "/js/%FF.js",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

async fn wrong_methods_are_405(app: TestApp) {
    for (method, path) in [
        (Method::PATCH, "/api/task/"),
        (Method::DELETE, "/api/task/"),
        (Method::PUT, "/api/task/"),
        (Method::POST, "/api/task/1/"),
        (Method::PATCH, "/api/task/1/"),
        (Method::POST, "/healthcheck/"),
        (Method::POST, "/metrics"),
    ] {
        let r = app.call(method.clone(), path, "{}").await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(r.json()["error"], "method not allowed");
        assert!(
            r.headers.contains_key("allow"),
            "{method} {path}: no Allow header"
        );
    }
}

async fn bad_bodies_are_400_and_lose_nothing(app: TestApp) {
    let bad: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"   ".to_vec(),
        b"not json".to_vec(),
        b"{".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"42".to_vec(),
        b"\"title\"".to_vec(),
        br#"{"title":5}"#.to_vec(),
        br#"{"title":["a"]}"#.to_vec(),
        br#"{"priority":"1"}"#.to_vec(),
        br#"{"priority":1.5}"#.to_vec(),
        br#"{"priority":2147483648}"#.to_vec(),
        br#"{"priority":-2147483649}"#.to_vec(),
        br#"{"priority":1e400}"#.to_vec(),
        br#"{"complete":"true"}"#.to_vec(),
        br#"{"complete":1}"#.to_vec(),
        br#"{"id":"seven"}"#.to_vec(),
        br#"{"title":"a\u0000b"}"#.to_vec(),
        br#"{"title":"\ud800"}"#.to_vec(),
        b"{\"title\":\"\xff\xfe\"}".to_vec(),
        format!(r#"{{"title":"{}"}}"#, "x".repeat(5000)).into_bytes(),
    ];
    for body in bad {
        for (method, path) in [(Method::POST, "/api/task/"), (Method::PUT, "/api/task/1/")] {
            let r = app.call(method.clone(), path, body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{method} {:?}: {}",
                String::from_utf8_lossy(&body),
                r.body
            );
            assert_eq!(r.content_type(), "application/json");
            assert!(r.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
    }
    assert_eq!(
        app.titles().await,
        ["1st Task", "2nd Task", "3rd Task"],
        "nothing created or changed"
    );
    let r = app
        .call(
            Method::POST,
            "/api/task/",
            r#"{"priority":2147483647,"title":"edge"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "the largest priority fits");
}

async fn oversized_body_is_413(app: TestApp) {
    let body = format!(r#"{{"title":"x","pad":"{}"}}"#, "y".repeat(70 * 1024));
    let r = app.call(Method::POST, "/api/task/", body).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("larger than"))
    );
    assert_eq!(app.titles().await.len(), 3);
}

async fn health_and_liveness(app: TestApp) {
    for path in ["/healthcheck", "/healthcheck/"] {
        let r = app.get(path).await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (StatusCode::OK, "OK"),
            "{path}"
        );
    }
    for path in ["/livez", "/livez/"] {
        assert_eq!(app.get(path).await.status, StatusCode::OK);
    }
}

async fn debug_masks_secrets(app: TestApp) {
    let r = app.get("/debug").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["DB"]["DbUser"], "********");
    assert_eq!(v["DB"]["DbPassword"], "********");
    assert!(v["Hostname"].is_string() && v["Timestamp"].is_u64() && v["DB"]["DbPort"].is_string());
    assert!(!r.body.contains("secret-pw"));
    if let Some(db) = &app.db {
        assert!(!r.body.contains(&format!(":{}@", db.db_password.expose())));
    }
}

async fn metrics_count_requests(app: TestApp) {
    app.get("/api/task/").await;
    app.get("/api/task/").await;
    app.get("/nowhere").await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().starts_with("text/plain"));
    assert!(
        r.body.contains(
            r#"techchallenge_http_requests_total{method="GET",route="/api/task/",status="200"} 2"#
        ),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(r#"route="unmatched",status="404"} 1"#),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("techchallenge_http_request_duration_seconds_bucket")
    );
    if app.db.is_some() {
        assert!(
            r.body.contains("techchallenge_db_pool_max_connections 4"),
            "{}",
            r.body
        );
    }
}

async fn page_and_static_files(app: TestApp) {
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().starts_with("text/html"));
    assert!(r.body.contains("/js/app.js"));
    for (path, kind) in [
        ("/js/app.js", "javascript"),
        ("/css/site.css", "text/css"),
        ("/images/logo.svg", "image/svg"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.content_type().contains(kind),
            "{path}: {}",
            r.content_type()
        );
    }
}

async fn concurrent_creates_get_distinct_ids(app: TestApp) {
    // Enough at once that the PostgreSQL store commits several in one batch: every answer must
    // carry the id under which its own title was stored.
    let app = std::sync::Arc::new(app);
    let mut handles = Vec::new();
    for i in 0..100 {
        let app = app.clone();
        handles.push(tokio::spawn(async move {
            let title = format!("t{i}");
            let body = json!({"title": title, "priority": i, "complete": i % 2 == 0});
            let r = app.call(Method::POST, "/api/task/", body.to_string()).await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.json()["title"], title);
            (r.json()["id"].as_i64().expect("id"), i)
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        let (id, i) = h.await.expect("task");
        let stored = app.get(&format!("/api/task/{id}/")).await.json();
        assert_eq!(
            stored,
            json!({"id": id, "priority": i, "title": format!("t{i}"), "complete": i % 2 == 0})
        );
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 100);
    assert_eq!(app.titles().await.len(), 103);
}
