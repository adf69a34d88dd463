//! Request counters and a latency histogram in the Prometheus text format, kept with atomics.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000];

#[derive(Default)]
pub struct Metrics {
    /// Responses by status class: 1xx..5xx.
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; 10],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: u16, micros: u64) {
        let class = ((status / 100) as usize).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        let ms = micros / 1000;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms < *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn render(&self, pool_size: u32, pool_idle: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP piket_http_responses_total HTTP responses by status class."
        );
        let _ = writeln!(out, "# TYPE piket_http_responses_total counter");
        for (i, c) in self.by_class.iter().enumerate() {
            let _ = writeln!(
                out,
                "piket_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP piket_http_request_duration_seconds Request latency."
        );
        let _ = writeln!(out, "# TYPE piket_http_request_duration_seconds histogram");
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            let le = *b as f64 / 1000.0;
            let _ = writeln!(
                out,
                "piket_http_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "piket_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "piket_http_request_duration_seconds_sum {}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "piket_http_request_duration_seconds_count {count}");
        let _ = writeln!(out, "# TYPE piket_db_pool_connections gauge");
        let _ = writeln!(
            out,
            "piket_db_pool_connections{{state=\"open\"}} {pool_size}"
        );
        let _ = writeln!(
            out,
            "piket_db_pool_connections{{state=\"idle\"}} {pool_idle}"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_class_and_buckets() {
        let m = Metrics::default();
        m.observe(200, 1_500);
        m.observe(404, 30_000);
        let text = m.render(2, 1);
        assert!(text.contains("piket_http_responses_total{class=\"2xx\"} 1"));
        assert!(text.contains("piket_http_responses_total{class=\"4xx\"} 1"));
        assert!(text.contains("piket_http_request_duration_seconds_bucket{le=\"0.002\"} 1"));
        assert!(text.contains("piket_http_request_duration_seconds_bucket{le=\"0.05\"} 2"));
        assert!(text.contains("piket_http_request_duration_seconds_count 2"));
    }
}
