//! The offline queue: every report is written here before it is sent and leaves only once the
//! server has filed it, so a server that is away, a crash or a restart of the PC loses nothing.
//! One folder per report, named so that sorting the names sorts them oldest first; a folder is
//! written under a temporary name and renamed when complete. A report the server refused for
//! good (the account disabled, the report invalid) stays, marked, until the user discards it.

use std::fs;
use std::path::{Path, PathBuf};

use piket_protocol::desktop::Report;

const REPORT: &str = "report.json";
const SCREENSHOT: &str = "screenshot";
const REFUSED: &str = "refused.txt";
const PARTIAL: &str = ".partial";

/// A report waiting in the queue.
#[derive(Debug, Clone)]
pub struct Queued {
    pub dir: PathBuf,
    pub report: Report,
    /// The image file, if the report carries one (PNG as captured, or JPEG once downsized).
    pub screenshot: Option<PathBuf>,
    /// Why the server refused it for good, if it did.
    pub refused: Option<String>,
}

/// What the queue holds: reports still to send, and reports refused for good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub waiting: usize,
    pub refused: usize,
}

fn io(what: &str, path: &Path, e: &std::io::Error) -> String {
    format!("cannot {what} {}: {e}", path.display())
}

/// Put a report (and its screenshot, already encoded, with its file extension) in the queue.
pub fn put(
    queue: &Path,
    now_ms: u128,
    report: &Report,
    screenshot: Option<(&[u8], &str)>,
) -> Result<PathBuf, String> {
    let name = format!("{now_ms:015}-{}", report.client_id);
    let partial = queue.join(format!("{name}{PARTIAL}"));
    let done = queue.join(&name);
    private_dirs(&partial).map_err(|e| io("create", &partial, &e))?;
    let json = serde_json::to_vec_pretty(report).map_err(|e| e.to_string())?;
    fs::write(partial.join(REPORT), json).map_err(|e| io("write", &partial, &e))?;
    if let Some((bytes, ext)) = screenshot {
        let file = partial.join(format!("{SCREENSHOT}.{ext}"));
        fs::write(&file, bytes).map_err(|e| io("write", &file, &e))?;
    }
    fs::rename(&partial, &done).map_err(|e| io("finish", &done, &e))?;
    Ok(done)
}

/// Create a folder (and its parents) only the owner may open: queued screenshots and words are
/// nobody else's to read on a shared computer.
fn private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn read(dir: &Path) -> Option<Queued> {
    let text = fs::read_to_string(dir.join(REPORT)).ok()?;
    let report: Report = serde_json::from_str(&text).ok()?;
    let screenshot = fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_stem()
                .is_some_and(|s| s.to_string_lossy() == SCREENSHOT)
        });
    let refused = fs::read_to_string(dir.join(REFUSED)).ok();
    Some(Queued {
        dir: dir.to_path_buf(),
        report,
        screenshot,
        refused,
    })
}

/// The queue's reports, oldest first. Half-written folders (a crash mid-write) are skipped;
/// a folder that cannot be read is skipped too, never deleted.
pub fn list(queue: &Path) -> Vec<Queued> {
    let Ok(entries) = fs::read_dir(queue) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.to_string_lossy().ends_with(PARTIAL))
        .collect();
    dirs.sort();
    dirs.iter().filter_map(|d| read(d)).collect()
}

pub fn counts(queue: &Path) -> Counts {
    let all = list(queue);
    let refused = all.iter().filter(|q| q.refused.is_some()).count();
    Counts {
        waiting: all.len() - refused,
        refused,
    }
}

/// Sent: gone from the queue.
pub fn remove(item: &Queued) -> Result<(), String> {
    fs::remove_dir_all(&item.dir).map_err(|e| io("remove", &item.dir, &e))
}

/// Refused for good: kept, with the reason, and never sent again.
pub fn mark_refused(item: &Queued, why: &str) -> Result<(), String> {
    let file = item.dir.join(REFUSED);
    fs::write(&file, why).map_err(|e| io("write", &file, &e))
}

/// Swap the report's screenshot for a smaller one (or none).
pub fn replace_screenshot(item: &mut Queued, smaller: Option<(&[u8], &str)>) -> Result<(), String> {
    if let Some(old) = item.screenshot.take() {
        fs::remove_file(&old).map_err(|e| io("remove", &old, &e))?;
    }
    if let Some((bytes, ext)) = smaller {
        let file = item.dir.join(format!("{SCREENSHOT}.{ext}"));
        fs::write(&file, bytes).map_err(|e| io("write", &file, &e))?;
        item.screenshot = Some(file);
    }
    Ok(())
}

/// The user discards the reports the server refused.
pub fn discard_refused(queue: &Path) -> usize {
    list(queue)
        .iter()
        .filter(|q| q.refused.is_some())
        .filter(|q| remove(q).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str) -> Report {
        Report {
            client_id: id.into(),
            title: format!("title {id}"),
            ..Report::default()
        }
    }

    #[test]
    fn reports_come_back_oldest_first_and_half_written_ones_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        // The queue folder is made by the first report, as on a new install.
        let queue = dir.path().join("queue");
        let q = queue.as_path();
        put(q, 2_000, &report("second-0002"), None).unwrap();
        put(q, 1_000, &report("first-00001"), Some((b"png", "png"))).unwrap();
        fs::create_dir_all(q.join("000000000000500-crashed-001.partial")).unwrap();
        let all = list(q);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].report.client_id, "first-00001");
        assert_eq!(
            fs::read(all[0].screenshot.as_ref().unwrap()).unwrap(),
            b"png"
        );
        assert_eq!(all[1].screenshot, None);
        assert_eq!(
            counts(q),
            Counts {
                waiting: 2,
                refused: 0
            }
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for dir in [q.to_path_buf(), all[0].dir.clone()] {
                let mode = fs::metadata(&dir).unwrap().permissions().mode();
                assert_eq!(mode & 0o077, 0, "{} is its owner's only", dir.display());
            }
        }
    }

    #[test]
    fn refused_reports_stay_until_discarded_and_sent_ones_leave() {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path();
        put(q, 1, &report("refused-0001"), None).unwrap();
        put(q, 2, &report("sent-000002"), Some((b"big", "png"))).unwrap();
        let mut all = list(q);
        mark_refused(&all[0], "account disabled").unwrap();
        replace_screenshot(&mut all[1], Some((b"small", "jpg"))).unwrap();
        let again = list(q);
        assert_eq!(again[0].refused.as_deref(), Some("account disabled"));
        assert_eq!(
            fs::read(again[1].screenshot.as_ref().unwrap()).unwrap(),
            b"small"
        );
        remove(&again[1]).unwrap();
        assert_eq!(
            counts(q),
            Counts {
                waiting: 0,
                refused: 1
            }
        );
        assert_eq!(discard_refused(q), 1);
        assert!(list(q).is_empty());
    }
}
