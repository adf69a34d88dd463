//! `winmail.dat` (TNEF, sent by Outlook with rich text on): the files inside it, read with
//! bounds checked at every step (the input is hostile; the one crate for it slices unchecked
//! lengths). Only what a desk needs is read: each attachment's title and data; the rest of the
//! stream (the message's RTF body, MAPI properties) is skipped.

/// TNEF's signature, little-endian.
const SIGNATURE: u32 = 0x223E_9F78;
/// Attribute ids (type in the high word, id in the low word).
const ATT_RENDDATA: u32 = 0x0006_9002;
const ATT_TITLE: u32 = 0x0001_8010;
const ATT_DATA: u32 = 0x0006_800F;
/// The level of attributes that belong to an attachment.
const LEVEL_ATTACHMENT: u8 = 2;
/// Files taken from one `winmail.dat`.
const MAX_FILES: usize = 50;

/// A file found inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The files of a TNEF stream; `None` when it is not one (or holds no file).
pub fn files(data: &[u8]) -> Option<Vec<File>> {
    if u32_at(data, 0)? != SIGNATURE {
        return None;
    }
    // Signature (4) and legacy key (2).
    let mut at = 6usize;
    let mut out: Vec<File> = Vec::new();
    // Each attribute: level (1), id (4), length (4), data, checksum (2).
    while at < data.len() {
        let level = *data.get(at)?;
        let id = u32_at(data, at + 1)?;
        let len = usize::try_from(u32_at(data, at + 5)?).ok()?;
        let start = at.checked_add(9)?;
        let end = start.checked_add(len)?;
        let body = data.get(start..end)?;
        at = end.checked_add(2)?;
        if level != LEVEL_ATTACHMENT {
            continue;
        }
        match id {
            ATT_RENDDATA => {
                if out.len() >= MAX_FILES {
                    break;
                }
                out.push(File {
                    name: String::new(),
                    bytes: Vec::new(),
                });
            }
            ATT_TITLE => {
                if let Some(f) = out.last_mut() {
                    let title = body.split(|b| *b == 0).next().unwrap_or_default();
                    // An 8-bit string in the sender's code page: Latin-1 keeps every byte.
                    f.name = title.iter().map(|&b| char::from(b)).collect();
                }
            }
            ATT_DATA => {
                if let Some(f) = out.last_mut() {
                    f.bytes = body.to_vec();
                }
            }
            _ => {}
        }
    }
    for (i, f) in out.iter_mut().enumerate() {
        if f.name.trim().is_empty() {
            f.name = format!("attachment-{}", i + 1);
        }
    }
    out.retain(|f| !f.bytes.is_empty());
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn attribute(out: &mut Vec<u8>, level: u8, id: u32, data: &[u8]) {
        out.push(level);
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        let sum = data.iter().fold(0u16, |s, b| s.wrapping_add(u16::from(*b)));
        out.extend_from_slice(&sum.to_le_bytes());
    }

    /// A `winmail.dat` holding `files` (name, bytes), as Outlook writes one.
    pub(crate) fn winmail(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = SIGNATURE.to_le_bytes().to_vec();
        out.extend_from_slice(&0x1234u16.to_le_bytes());
        // A message-level attribute first (the TNEF version), skipped.
        attribute(&mut out, 1, 0x0008_9006, &[0, 0, 1, 0]);
        for (name, bytes) in files {
            attribute(
                &mut out,
                2,
                ATT_RENDDATA,
                &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            );
            let mut title = name.as_bytes().to_vec();
            title.push(0);
            attribute(&mut out, 2, ATT_TITLE, &title);
            attribute(&mut out, 2, ATT_DATA, bytes);
        }
        out
    }

    #[test]
    fn the_files_inside_come_out() {
        let data = winmail(&[("report.txt", b"disk full"), ("a.csv", b"1,2")]);
        let got = files(&data).unwrap();
        assert_eq!(
            got,
            vec![
                File {
                    name: "report.txt".into(),
                    bytes: b"disk full".to_vec()
                },
                File {
                    name: "a.csv".into(),
                    bytes: b"1,2".to_vec()
                },
            ]
        );
    }

    #[test]
    fn hostile_streams_end_quietly() {
        let good = winmail(&[("report.txt", b"disk full")]);
        assert_eq!(files(b"not tnef at all"), None);
        assert_eq!(files(&[]), None);
        // Every truncation, and a length that points past the end, read without a panic.
        for cut in 0..good.len() {
            let _ = files(&good[..cut]);
        }
        let mut lying = good.clone();
        let len_at = 6 + 11 + 4 + 1 + 4;
        lying[len_at..len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(files(&lying), None);
        // Only attachment-level files without data are dropped.
        let empty = winmail(&[("empty.txt", b"")]);
        assert_eq!(files(&empty), None);
    }
}
