//! The email benchmark's reference: read every file of a directory (a Maildir's `cur`/`new`)
//! and parse it with `mail-parser`, taking what Piket takes from a mail (sender, subject,
//! Message-ID and references, the text or the HTML turned into text, the attachments' bytes).
//! Prints `mails seconds` on one line. Usage: `mail-parse DIR...`.

use std::time::Instant;

use mail_parser::MessageParser;

fn main() {
    let mut files = Vec::new();
    for dir in std::env::args().skip(1) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("cannot read {dir}");
            std::process::exit(2);
        };
        files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    let started = Instant::now();
    let mut parsed = 0u64;
    let mut bytes = 0usize;
    for path in &files {
        // Reading the file is part of the work, as fetching is on Piket's side.
        let Ok(raw) = std::fs::read(path) else {
            continue;
        };
        let Some(msg) = MessageParser::default().parse(&raw) else {
            continue;
        };
        let from = msg
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_lowercase);
        let text = msg.body_text(0).map(|t| t.len()).unwrap_or(0);
        let refs = msg
            .references()
            .as_text_list()
            .map(|l| l.len())
            .unwrap_or(0);
        let attached: usize = msg.attachments().map(|p| p.contents().len()).sum();
        let subject = msg.subject().map(str::len).unwrap_or(0);
        let id = msg.message_id().map(str::len).unwrap_or(0);
        bytes += text + refs + attached + subject + id + from.map_or(0, |f| f.len());
        parsed += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    // The sum keeps the work from being optimised away.
    println!("{parsed} {secs:.6} {bytes}");
}
