//! Request metrics in Prometheus text format, and the one log line per request.
//!
//! Both come from a single middleware so every request is counted and logged exactly once,
//! labelled by route template (not raw path) to keep the label set small.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::store::PoolState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// The app's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_max: Gauge,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_waiting: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric, with a secret-read count that stays 0.
    pub fn new() -> Metrics {
        Metrics::with_secret_reads(Counter::default())
    }

    /// Registers every metric; `secret_reads` is the store's count of reads of the login secret
    /// (`techchallenge_secret_reads_total`), so operators see rotations being picked up and a
    /// wrong password not hammering Secrets Manager.
    pub fn with_secret_reads(secret_reads: Counter) -> Metrics {
        let mut registry = Registry::with_prefix("techchallenge");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        let (pool_max, pool_size, pool_idle, pool_waiting) = (
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Most connections the pool may open",
            pool_max.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Connections open now",
            pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Open connections not in use",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_waiting_requests",
            "Requests waiting for a connection",
            pool_waiting.clone(),
        );
        registry.register(
            "secret_reads",
            "Reads of the database login secret from AWS Secrets Manager (at start-up, and again \
             when the database rejects the login), failed ones included",
            secret_reads,
        );
        Metrics {
            registry,
            requests,
            latency,
            pool_max,
            pool_size,
            pool_idle,
            pool_waiting,
        }
    }

    /// Records one finished request.
    pub fn record(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// The text exposition, with the pool figures as of now.
    pub fn render(&self, pool: Option<PoolState>) -> String {
        if let Some(p) = pool {
            let as_gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            self.pool_max.set(as_gauge(p.max_size));
            self.pool_size.set(as_gauge(p.size));
            self.pool_idle.set(as_gauge(p.idle));
            self.pool_waiting.set(as_gauge(p.waiting));
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Middleware: times the request, counts it and logs one line.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics.record(&method, &route, status, elapsed.as_secs_f64());
    tracing::info!(
        target: "access",
        method = %method,
        path = %path,
        route = %route,
        status,
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
    );
    response
}
