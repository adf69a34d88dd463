//! A large mail is not read into memory whole: a line-by-line pass over its spool file decodes
//! every base64 leaf part that is a file (an attachment, or any part that is not text) straight
//! into a staging file, and leaves a small skeleton (every header, every text part, and each
//! extracted part marked `X-Piket-Part: n` with an empty body) for mail-parser. Memory stays at
//! a line and a decoding buffer, whatever the size of the mail's files.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// Mails larger than this are split before parsing.
pub const SPLIT_ABOVE: u64 = 4 * 1024 * 1024;
/// The header a placeholder part carries in the skeleton.
pub const MARK: &str = "X-Piket-Part";
/// The longest line read at once (a longer one is read in pieces, as text).
const MAX_LINE: u64 = 1024 * 1024;
/// Nested multiparts followed.
const MAX_DEPTH: usize = 50;

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A part decoded into a staging file; the file is removed when this is dropped.
#[derive(Debug)]
pub struct Extracted {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// The first bytes, for sniffing the kind.
    pub head: Vec<u8>,
}

impl Drop for Extracted {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

pub struct Split {
    pub skeleton: Vec<u8>,
    pub files: Vec<Extracted>,
}

/// The header block of a message or part, as written (lines up to the blank line).
fn header_block<R: BufRead>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut block = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.by_ref().take(MAX_LINE).read_until(b'\n', &mut line)? == 0 {
            return Ok(block);
        }
        let blank = line == b"\r\n" || line == b"\n";
        block.extend_from_slice(&line);
        if blank || block.len() > 1024 * 1024 {
            return Ok(block);
        }
    }
}

/// What a header block says: a multipart's boundary, or whether it is a base64 file.
enum Kind {
    Multipart(String),
    File,
    Other,
}

fn kind_of(block: &[u8]) -> Kind {
    let Some(msg) = MessageParser::default().parse_headers(block) else {
        return Kind::Other;
    };
    let part = msg.root_part();
    let ct = part.content_type();
    if let Some(b) = ct
        .filter(|c| c.ctype().eq_ignore_ascii_case("multipart"))
        .and_then(|c| c.attribute("boundary"))
    {
        return Kind::Multipart(b.to_string());
    }
    let base64 = part
        .content_transfer_encoding()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let attachment = part
        .content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
    let text = ct.is_none_or(|c| c.ctype().eq_ignore_ascii_case("text"));
    let message = ct.is_some_and(|c| c.ctype().eq_ignore_ascii_case("message"));
    if base64 && !message && (attachment || !text) {
        Kind::File
    } else {
        Kind::Other
    }
}

/// A part being decoded into a file.
struct Decoding {
    file: File,
    carry: Vec<u8>,
    out: Extracted,
    hasher: Sha256,
}

impl Decoding {
    fn new(staging: &Path) -> io::Result<Decoding> {
        let path = crate::storage::staging_path(staging);
        let file = File::create(&path)?;
        Ok(Decoding {
            file,
            carry: Vec::new(),
            out: Extracted {
                path,
                size: 0,
                sha256: String::new(),
                head: Vec::new(),
            },
            hasher: Sha256::new(),
        })
    }

    fn feed(&mut self, line: &[u8]) -> io::Result<()> {
        self.carry
            .extend(line.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        let whole = self.carry.len() / 4 * 4;
        if whole == 0 {
            return Ok(());
        }
        let rest = self.carry.split_off(whole);
        let chunk = std::mem::replace(&mut self.carry, rest);
        self.write(&chunk)
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let bytes = LENIENT
            .decode(chunk)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.hasher.update(&bytes);
        if self.out.head.len() < crate::attachments::kind::SNIFF_BYTES {
            let take =
                (crate::attachments::kind::SNIFF_BYTES - self.out.head.len()).min(bytes.len());
            self.out.head.extend_from_slice(&bytes[..take]);
        }
        self.out.size += bytes.len() as u64;
        self.file.write_all(&bytes)
    }

    fn finish(mut self) -> io::Result<Extracted> {
        let rest = std::mem::take(&mut self.carry);
        if !rest.is_empty() {
            self.write(&rest)?;
        }
        self.file.flush()?;
        let mut out = self.out;
        out.sha256 = hex::encode(self.hasher.finalize());
        Ok(out)
    }
}

/// Split the mail at `path`; `None` when it is not multipart (nothing to take out).
pub fn split(path: &Path, staging: &Path) -> io::Result<Option<Split>> {
    let mut r = BufReader::new(File::open(path)?);
    let mut skeleton = Vec::new();
    let top = header_block(&mut r)?;
    skeleton.extend_from_slice(&top);
    let Kind::Multipart(first) = kind_of(&top) else {
        return Ok(None);
    };
    let mut bounds = vec![first];
    let mut files = Vec::new();
    let mut decoding: Option<Decoding> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.by_ref().take(MAX_LINE).read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let hit = text.strip_prefix(b"--").and_then(|t| {
            bounds.iter().position(|b| {
                t == b.as_bytes() || t.strip_suffix(b"--").is_some_and(|x| x == b.as_bytes())
            })
        });
        let Some(level) = hit else {
            match &mut decoding {
                Some(d) => d.feed(&line)?,
                None => skeleton.extend_from_slice(&line),
            }
            continue;
        };
        if let Some(d) = decoding.take() {
            files.push(d.finish()?);
        }
        skeleton.extend_from_slice(&line);
        if text.ends_with(b"--") && text.len() == bounds[level].len() + 4 {
            bounds.truncate(level);
            continue;
        }
        bounds.truncate(level + 1);
        let block = header_block(&mut r)?;
        match kind_of(&block) {
            Kind::Multipart(b) if bounds.len() < MAX_DEPTH => {
                skeleton.extend_from_slice(&block);
                bounds.push(b);
            }
            Kind::File => {
                // The part's headers, marked, and no body.
                let body_at = block
                    .windows(2)
                    .rposition(|w| w == b"\r\n")
                    .filter(|&i| i + 2 == block.len())
                    .unwrap_or(block.len());
                let (head, blank) = block.split_at(body_at.min(block.len()));
                let head = head.strip_suffix(b"\r\n").unwrap_or(head);
                skeleton.extend_from_slice(head);
                skeleton.extend_from_slice(format!("\r\n{MARK}: {}\r\n", files.len()).as_bytes());
                skeleton.extend_from_slice(if blank.is_empty() { b"\r\n" } else { blank });
                decoding = Some(Decoding::new(staging)?);
            }
            _ => skeleton.extend_from_slice(&block),
        }
    }
    if let Some(d) = decoding.take() {
        files.push(d.finish()?);
    }
    Ok(Some(Split { skeleton, files }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_come_out_and_the_skeleton_keeps_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let blob: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&blob);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let raw = format!(
            "From: a@x.example\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n\
             --o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n\
             --i\r\nContent-Type: text/plain\r\n\r\nhello there\r\n\
             --i\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n--i--\r\n\
             --o\r\nContent-Type: application/octet-stream; name=dump.bin\r\n\
             Content-Disposition: attachment; filename=dump.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             {}\r\n--o--\r\n",
            lines.join("\r\n")
        );
        let path = dir.path().join("mail");
        std::fs::write(&path, &raw).unwrap();
        let split = split(&path, dir.path()).unwrap().unwrap();
        assert_eq!(split.files.len(), 1);
        assert_eq!(std::fs::read(&split.files[0].path).unwrap(), blob);
        assert_eq!(split.files[0].size, blob.len() as u64);
        assert!(split.skeleton.len() < 1_000, "{}", split.skeleton.len());
        let text = String::from_utf8_lossy(&split.skeleton);
        assert!(
            text.contains("hello there") && text.contains("X-Piket-Part: 0"),
            "{text}"
        );
        // The skeleton parses as the mail did, with the file's part empty and marked.
        let msg = MessageParser::default().parse(&split.skeleton).unwrap();
        assert_eq!(msg.body_text(0).unwrap().trim(), "hello there");
        let att = msg.attachments().next().unwrap();
        assert_eq!(att.attachment_name(), Some("dump.bin"));
        assert!(att.headers().iter().any(|h| h.name() == MARK));
        let kept = split.files[0].path.clone();
        drop(split);
        assert!(!kept.exists(), "an unused extracted file stays behind");
    }

    #[test]
    fn hostile_structure_ends_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail");
        // 80 nested multiparts, a bad base64 file part, and every truncation of it.
        let mut raw =
            String::from("From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n");
        for i in 0..80 {
            raw.push_str(&format!(
                "--b{i}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
                i + 1
            ));
        }
        raw.push_str("--b80\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not*base64\r\n--b80--\r\n");
        for cut in (0..raw.len()).step_by(7).chain([raw.len()]) {
            std::fs::write(&path, &raw.as_bytes()[..cut]).unwrap();
            let _ = split(&path, dir.path());
        }
        // Nothing is left in the staging directory but the mail itself.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn a_mail_that_is_not_multipart_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail");
        std::fs::write(&path, "From: a@x.example\r\nSubject: s\r\n\r\nbody\r\n").unwrap();
        assert!(split(&path, dir.path()).unwrap().is_none());
    }
}
