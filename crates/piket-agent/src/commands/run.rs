//! `piket-agent run`: the service mode. Reports at start and then every N hours, only when the
//! inventory changed (or at least once a day as a heartbeat), retrying with exponential backoff
//! while the server is away. Blocking and single-threaded so it idles in a few megabytes.

use std::path::Path;
use std::thread::sleep;
use std::time::Duration;

use crate::collect::collect_inventory;
use crate::commands::report::{record_acknowledgement, send_report};
use crate::config::{self, AgentConfig};
use crate::failure::{exit_code, Failure};
use crate::log::{log, unix_now};

/// Hours between reports when neither the admin nor the server said.
const DEFAULT_INTERVAL_HOURS: u32 = 24;
/// An unchanged inventory is still sent this often, so the server knows the machine is alive.
const HEARTBEAT_SECONDS: u64 = 24 * 3600;
/// First retry delay; doubled per failure up to [`BACKOFF_CAP_FACTOR`] times this.
const DEFAULT_BACKOFF_BASE_MS: u64 = 30_000;
/// 30 s × 60 = 30 min.
const BACKOFF_CAP_FACTOR: u64 = 60;

/// The retry schedule: `base` doubling per attempt, capped, with ±20 % jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    base_ms: u64,
    cap_ms: u64,
    attempt: u32,
    seed: u64,
}

impl Backoff {
    pub fn new(base_ms: u64) -> Self {
        let base_ms = base_ms.max(1);
        Self {
            base_ms,
            cap_ms: base_ms.saturating_mul(BACKOFF_CAP_FACTOR),
            attempt: 0,
            seed: u64::from(std::process::id())
                ^ unix_now().rotate_left(17)
                ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// Delay before the next retry (without jitter): base, 2×base, 4×base, … up to the cap.
    pub fn nominal_ms(&self) -> u64 {
        let factor = 1u64.checked_shl(self.attempt.min(32)).unwrap_or(u64::MAX);
        self.base_ms.saturating_mul(factor).min(self.cap_ms)
    }

    /// The next delay, with jitter so a fleet restarted together does not retry together.
    pub fn next_delay(&mut self) -> Duration {
        let nominal = self.nominal_ms();
        self.attempt = self.attempt.saturating_add(1);
        // xorshift64: good enough to spread retries, no dependency.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let spread = nominal / 5; // ±20 %
        let jitter = if spread == 0 {
            0
        } else {
            self.seed % (2 * spread + 1)
        };
        Duration::from_millis(nominal - spread + jitter)
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Hours between reports: `--interval-hours`, else the config's `interval_hours`, else what the
/// server last asked for, else 24.
pub fn interval_hours(flag: Option<u32>, config: &AgentConfig) -> u32 {
    flag.or(config.interval_hours)
        .or(config.server_interval_hours)
        .filter(|&h| h > 0)
        .unwrap_or(DEFAULT_INTERVAL_HOURS)
}

/// Whether to send: the inventory changed since the last acknowledged report, or the heartbeat
/// is due.
pub fn should_send(config: &AgentConfig, fingerprint: &str, now_unix: u64) -> bool {
    if config.last_fingerprint != fingerprint {
        return true;
    }
    match config.last_report_unix {
        Some(last) => now_unix.saturating_sub(last) >= HEARTBEAT_SECONDS,
        None => true,
    }
}

/// First retry delay: `PIKET_AGENT_BACKOFF_MS` (for tests and impatient admins) or 30 s.
fn backoff_base_ms() -> u64 {
    std::env::var("PIKET_AGENT_BACKOFF_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&ms| ms > 0)
        .unwrap_or(DEFAULT_BACKOFF_BASE_MS)
}

pub fn run(config_flag: Option<&Path>, interval_flag: Option<u32>) -> Result<(), Failure> {
    let path = config::resolve_path(config_flag)?;
    let mut config = config::load(&path)?;
    let mut backoff = Backoff::new(backoff_base_ms());
    log(&format!(
        "started (version {}, config {}, server {})",
        env!("CARGO_PKG_VERSION"),
        path.display(),
        config.server
    ));
    loop {
        report_until_acknowledged(&path, &mut config, &mut backoff)?;
        let hours = interval_hours(interval_flag, &config);
        log(&format!("next check in {hours} h"));
        sleep(Duration::from_secs(u64::from(hours) * 3600));
    }
}

/// One cycle: collect, and if needed send, retrying while the server is away. Returns `Err`
/// only when retrying cannot help (credentials refused).
fn report_until_acknowledged(
    path: &Path,
    config: &mut AgentConfig,
    backoff: &mut Backoff,
) -> Result<(), Failure> {
    backoff.reset();
    loop {
        // Collected afresh per attempt and dropped after it: nothing big stays in memory.
        let inventory = collect_inventory();
        let fingerprint = inventory.fingerprint();
        if !should_send(config, &fingerprint, unix_now()) {
            log("inventory unchanged since the last report; not sending");
            return Ok(());
        }
        match send_report(config, inventory) {
            Ok(answer) => {
                log(&format!(
                    "report {} (asset {}, fingerprint {})",
                    answer.status, answer.asset_id, answer.fingerprint
                ));
                if answer.fingerprint != fingerprint {
                    log(&format!(
                        "note: the server's fingerprint differs from ours ({fingerprint})"
                    ));
                }
                record_acknowledgement(config, &fingerprint, &answer);
                if let Err(e) = config::save(path, config) {
                    log(&format!("warning: {}", e.message));
                }
                return Ok(());
            }
            Err(failure) if failure.exit_code == exit_code::REFUSED => return Err(failure),
            Err(failure) if failure.retryable => {
                let mut delay = backoff.next_delay();
                if let Some(seconds) = failure.retry_after_seconds {
                    delay = delay.max(Duration::from_secs(seconds));
                }
                log(&format!(
                    "{}; retrying in {} s",
                    failure.message,
                    delay.as_millis() as f64 / 1000.0
                ));
                sleep(delay);
            }
            Err(failure) => {
                // The server rejected this report (400, 413, …): resending it unchanged would
                // fail the same way, so wait for the next cycle.
                log(&format!(
                    "{}; giving up until the next cycle",
                    failure.message
                ));
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let mut backoff = Backoff::new(30_000);
        let nominal: Vec<u64> = (0..10)
            .map(|_| {
                let n = backoff.nominal_ms();
                let d = backoff.next_delay().as_millis() as u64;
                assert!(d >= n * 4 / 5 && d <= n * 6 / 5, "{d} vs {n}");
                n
            })
            .collect();
        assert_eq!(
            nominal,
            [
                30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_800_000, 1_800_000,
                1_800_000, 1_800_000
            ]
        );
        backoff.reset();
        assert_eq!(backoff.nominal_ms(), 30_000);
    }

    #[test]
    fn interval_precedence() {
        let mut config = AgentConfig::default();
        assert_eq!(interval_hours(None, &config), 24);
        config.server_interval_hours = Some(6);
        assert_eq!(interval_hours(None, &config), 6);
        config.interval_hours = Some(12);
        assert_eq!(interval_hours(None, &config), 12);
        assert_eq!(interval_hours(Some(2), &config), 2);
    }

    #[test]
    fn sends_on_change_or_heartbeat_only() {
        let config = AgentConfig {
            last_fingerprint: "abc".into(),
            last_report_unix: Some(1_000_000),
            ..Default::default()
        };
        assert!(!should_send(&config, "abc", 1_000_000 + 3600));
        assert!(should_send(&config, "def", 1_000_000 + 3600));
        assert!(should_send(&config, "abc", 1_000_000 + HEARTBEAT_SECONDS));
        let never = AgentConfig::default();
        assert!(should_send(&never, "", 0));
    }
}
