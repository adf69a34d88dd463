//! The raw-SQL reference for `bench/tickets.py`: run the same statements the server runs for a
//! request, straight through sqlx (the driver and SQLite build the server uses), from N
//! concurrent tasks for S seconds (after one unmeasured second of warm-up), and print one JSON line with throughput and latency
//! percentiles. One iteration runs every `--sql` in order on one pooled connection.
//!
//! `raw-sql --url URL [--concurrency N] [--seconds S] --sql STATEMENT [--sql STATEMENT ...]`

use std::time::{Duration, Instant};

use sqlx::any::AnyPoolOptions;

struct Args {
    url: String,
    concurrency: usize,
    seconds: f64,
    statements: Vec<String>,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        url: String::new(),
        concurrency: 1,
        seconds: 5.0,
        statements: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => args.url = value,
            "--concurrency" => args.concurrency = value.parse().map_err(|_| "bad --concurrency")?,
            "--seconds" => args.seconds = value.parse().map_err(|_| "bad --seconds")?,
            "--sql" => args.statements.push(value),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.url.is_empty() || args.statements.is_empty() || args.concurrency == 0 {
        return Err("usage: raw-sql --url URL [--concurrency N] [--seconds S] --sql SQL...".into());
    }
    Ok(args)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    sqlx::any::install_default_drivers();
    let pool = match AnyPoolOptions::new()
        .max_connections(args.concurrency as u32)
        .connect(&args.url)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot connect: {e}");
            std::process::exit(1);
        }
    };
    // One second unmeasured first, as the HTTP side gets: every connection opened and every
    // statement prepared before the clock starts.
    let started = Instant::now() + Duration::from_secs(1);
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let pool = pool.clone();
        let statements = args.statements.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut rows = 0usize;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let Ok(mut conn) = pool.acquire().await else {
                    return Err("acquire failed".to_string());
                };
                let mut n = 0;
                for sql in &statements {
                    let out = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(|e| format!("{e}: {sql}"))?;
                    n += out.len();
                }
                if t0 >= started {
                    samples.push(t0.elapsed().as_secs_f64() * 1000.0);
                    rows += n;
                }
            }
            Ok((samples, rows))
        }));
    }
    let mut all = Vec::new();
    let mut rows = 0;
    for t in tasks {
        match t.await {
            Ok(Ok((s, r))) => {
                all.extend(s);
                rows += r;
            }
            Ok(Err(e)) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("task failed: {e}");
                std::process::exit(1);
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let out = serde_json::json!({
        "count": all.len(),
        "rows_per_iteration": if all.is_empty() { 0 } else { rows / all.len() },
        "qps": all.len() as f64 / elapsed,
        "p50_ms": percentile(&all, 50.0),
        "p99_ms": percentile(&all, 99.0),
    });
    println!("{out}");
}
