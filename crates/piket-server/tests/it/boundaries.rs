//! The import rule between domains (`docs/architecture.md`, "Layers"): a domain reaches another
//! domain's data through that domain's service, never its store. The source is read as text:
//! every path naming a store module (`store`, `*_store`) of another top-level module is a
//! crossing. Those that remain from before the rule are listed below, each to be moved behind a
//! service (issue #18, part 5); the list may only shrink: a new crossing fails, and so does a
//! listed one that is gone (take it off the list). Not seen: a path through a module imported
//! under its own name from another domain (`use crate::inventory::ingest;` then
//! `ingest::store::…`); the compiler will keep that once stores are `pub(super)`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `file (from src/) -> domain whose store it reaches`, as found when the rule was written.
const KNOWN: &[&str] = &[
    "agents/enroll.rs -> inventory",
    "apikeys/service.rs -> users",
    "auth/login.rs -> users",
    "auth/service.rs -> roles",
    "auth/service.rs -> users",
    "canned/service.rs -> departments",
    "categories/service.rs -> departments",
    "events.rs -> tickets",
    "inventory/ingest/mod.rs -> agents",
    "inventory/service.rs -> departments",
    "main.rs -> users",
    "notifications/service.rs -> tickets",
    "notifications/service.rs -> users",
    "serve.rs -> auth",
    "sla/escalate.rs -> notifications",
    "state.rs -> tickets",
    "tickets/export.rs -> users",
    "tickets/page_store.rs -> attachments",
    "tickets/service/change.rs -> users",
    "tickets/service/create.rs -> users",
    "tickets/service/mod.rs -> categories",
    "tickets/service/mod.rs -> departments",
    "tickets/service/mod.rs -> users",
    "tickets/store.rs -> sla",
    "users/service.rs -> departments",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: its first directory under `src/`, or its own name.
fn owner(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn is_store_segment(s: &str) -> bool {
    (s == "store" || s.ends_with("_store")) && s != "no_store"
}

/// Paths such as `crate::users::store::get` or `users::store` in `line`.
fn paths(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in line.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_alphanumeric() || ch == '_' || ch == ':' {
            cur.push(ch);
        } else {
            if cur.contains("::") {
                out.push(
                    cur.split("::")
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                );
            }
            cur.clear();
        }
    }
    out
}

fn crossings(src: &Path) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        modules.insert(name.trim_end_matches(".rs").to_string());
    }
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap().to_path_buf();
        let mine = owner(&rel);
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for path in paths(code) {
                let segs: Vec<&str> = path.iter().map(String::as_str).collect();
                let start = usize::from(segs.first() == Some(&"crate"));
                let Some(target) = segs.get(start) else {
                    continue;
                };
                if *target == mine || !modules.contains(*target) {
                    continue;
                }
                if segs[start + 1..].iter().any(|s| is_store_segment(s)) {
                    found.insert(format!("{} -> {target}", rel.display()));
                }
            }
        }
    }
    found
}

#[test]
fn no_domain_reaches_into_another_domains_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = crossings(&src);
    let known: BTreeSet<String> = KNOWN.iter().map(|s| s.to_string()).collect();
    let new: Vec<&String> = found.difference(&known).collect();
    let gone: Vec<&String> = known.difference(&found).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "stores reached from another domain (go through its service):\n{}\n\
         no longer reached (take them off KNOWN):\n{}",
        new.iter()
            .map(|s| format!("    \"{s}\","))
            .collect::<Vec<_>>()
            .join("\n"),
        gone.iter()
            .map(|s| format!("    \"{s}\","))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

#[test]
fn the_scan_sees_a_crossing_written_in_any_of_the_usual_ways() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("users")).unwrap();
    std::fs::create_dir_all(src.join("tickets")).unwrap();
    std::fs::write(src.join("users/store.rs"), "pub fn get() {}\n").unwrap();
    std::fs::write(
        src.join("tickets/service.rs"),
        "use crate::users::store;\nuse super::store as mine;\n// crate::users::store in a comment\n",
    )
    .unwrap();
    std::fs::write(
        src.join("tickets/pages.rs"),
        "fn f() { crate::web::render::no_store(); users::store::get(); }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("events.rs"),
        "use crate::tickets::store::TicketRow;\n",
    )
    .unwrap();
    let found: Vec<String> = crossings(src).into_iter().collect();
    assert_eq!(
        found,
        vec![
            "events.rs -> tickets",
            "tickets/pages.rs -> users",
            "tickets/service.rs -> users",
        ]
    );
}
