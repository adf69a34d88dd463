//! The import rule between domains (`docs/architecture.md`, "Layers"): a domain reaches another
//! domain's data through that domain's service, never its store. The compiler keeps it, because
//! every store module is private to its domain; the first test here keeps *that* (a new domain
//! that declares `pub mod store;` fails), and the second reads the source as text for any path
//! naming another top-level module's store module (`store`, `*_store`), which would mean one
//! was made reachable again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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
    assert!(
        found.is_empty(),
        "stores reached from another domain (go through its service):\n{found:#?}"
    );
}

/// `mod store;` lines that make a store reachable from outside its domain: any `pub` one in a
/// domain's own `mod.rs`, and anything wider than `pub(super)` deeper down.
fn open_stores(src: &Path) -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap().to_path_buf();
        let depth = rel.components().count();
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().map(str::trim) {
            let Some(name) = line.strip_suffix(';').and_then(|l| l.split("mod ").nth(1)) else {
                continue;
            };
            if !is_store_segment(name.trim()) || !line.contains("mod ") {
                continue;
            }
            let visibility = line.split("mod ").next().unwrap_or("").trim();
            let allowed = visibility.is_empty() || (depth > 2 && visibility == "pub(super)");
            if !allowed {
                found.insert(format!("{}: {line}", rel.display()));
            }
        }
    }
    found
}

#[test]
fn every_store_module_is_private_to_its_domain() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let open = open_stores(&src);
    assert!(
        open.is_empty(),
        "store modules reachable from other domains:\n{open:#?}"
    );
}

#[test]
fn the_store_check_sees_a_public_store() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("users")).unwrap();
    std::fs::create_dir_all(src.join("inventory/ingest")).unwrap();
    std::fs::write(
        src.join("users/mod.rs"),
        "pub mod store;\nmod other_store;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("inventory/mod.rs"),
        "pub(super) mod merge_store;\nmod store;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("inventory/ingest/mod.rs"),
        "pub(super) mod store;\npub(crate) mod x_store;\n",
    )
    .unwrap();
    let open: Vec<String> = open_stores(src).into_iter().collect();
    assert_eq!(
        open,
        vec![
            "inventory/ingest/mod.rs: pub(crate) mod x_store;",
            "inventory/mod.rs: pub(super) mod merge_store;",
            "users/mod.rs: pub mod store;",
        ]
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
