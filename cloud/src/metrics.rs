//! Prometheus metrics, served on a listener of their own (`--metrics-listen`), never on the public
//! port: requests and their latency per route template, method and status, rate-limit refusals,
//! reset codes issued, and the database pool.
//!
//! Everything is counted at the edge of the router from the route template and the status, so the
//! handlers stay free of metrics code: a `429` is a rate-limit refusal (only the limits answer it)
//! and a `200` to `POST /v1/reset-codes` is a code issued. Labels never hold anything a client
//! chose: the route is the template (`/v1/devices/{serial}`, or `unmatched` for every unknown
//! path) and an unknown method is `other`, so a scanner cannot grow the series without bound.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::storage::Storage;

/// The route whose `200` is a reset code handed out.
pub const RESET_CODES_ROUTE: &str = "/v1/reset-codes";
/// The route template of every path no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";
/// The content type of the OpenMetrics text format that Prometheus scrapes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

type LatencyFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// One service's metrics (each [`crate::RunningCloud`] has its own).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    rate_limited: Family<RouteLabels, Counter>,
    codes_issued: Counter,
    pool: Family<PoolLabels, Gauge>,
}

/// 1 ms to about 8 s, doubling: a reset code takes a few milliseconds, a login (argon2) tens to
/// hundreds, a request waiting out a database restart seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

impl Metrics {
    pub fn new(max_db_connections: u32) -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("hc_cloud");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from the request's arrival to its answer's head, by route template, method and status",
            Unit::Seconds,
            latency.clone(),
        );
        let rate_limited = Family::<RouteLabels, Counter>::default();
        registry.register(
            "rate_limit_refusals",
            "Requests refused by a rate limit (429), by route template",
            rate_limited.clone(),
        );
        let codes_issued = Counter::default();
        registry.register(
            "reset_codes_issued",
            "Verification codes handed out",
            codes_issued.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Open database connections, idle or in use",
            pool.clone(),
        );
        let pool_max: Gauge = Gauge::default();
        pool_max.set(i64::from(max_db_connections));
        registry.register(
            "db_pool_max_connections",
            "The pool's configured size",
            pool_max,
        );
        Arc::new(Metrics {
            registry,
            requests,
            latency,
            rate_limited,
            codes_issued,
            pool,
        })
    }

    /// Counts one answered request.
    pub fn record(&self, route: &str, method: &Method, status: StatusCode, seconds: f64) {
        let labels = RequestLabels {
            route: route.to_owned(),
            method: method_label(method).to_owned(),
            status: status.as_u16(),
        };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.rate_limited
                .get_or_create(&RouteLabels {
                    route: route.to_owned(),
                })
                .inc();
        }
        if route == RESET_CODES_ROUTE && method == Method::POST && status == StatusCode::OK {
            self.codes_issued.inc();
        }
    }

    /// The exposition text, with the pool read now.
    pub fn render(&self, storage: &dyn Storage) -> String {
        let pool = storage.pool_use();
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(pool.idle));
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(pool.open.saturating_sub(pool.idle)));
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// The standard methods by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The middleware around every route of the public router.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    metrics.record(
        &route,
        &method,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The metrics listener's one page.
pub fn page(metrics: &Metrics, storage: &dyn Storage) -> Response {
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        metrics.render(storage),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_codes_route_is_a_real_route() {
        let doc = crate::routes::document();
        assert!(doc["paths"][RESET_CODES_ROUTE]["post"].is_object());
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
    }
}
