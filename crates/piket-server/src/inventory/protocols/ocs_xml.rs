//! The OCS Inventory XML protocol that FusionInventory and OCS agents speak:
//! `<REQUEST><DEVICEID>…</DEVICEID><QUERY>PROLOG|INVENTORY</QUERY><CONTENT>…</CONTENT></REQUEST>`
//! read with a pull parser under limits (depth, element count, text length), DOCTYPE and any
//! entity but the five predefined ones refused; and the protocol's `<REPLY>` answers.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::content::{set, Content};
use super::{cut, Refusal, MAX_DEPTH, MAX_NODES, MAX_TEXT};

/// One agent request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// `PROLOG`, `INVENTORY`, … (uppercase).
    pub query: String,
    pub deviceid: String,
    pub content: Content,
}

fn name_of(raw: &[u8]) -> Result<String, Refusal> {
    std::str::from_utf8(raw)
        .map(|s| s.to_ascii_uppercase())
        .map_err(|_| Refusal::bad("Element names must be UTF-8"))
}

/// Parse a request body (already decompressed).
pub fn parse(data: &[u8]) -> Result<Request, Refusal> {
    let mut reader = Reader::from_reader(data);
    reader.config_mut().trim_text(true);
    let mut req = Request::default();
    let mut stack: Vec<String> = Vec::new();
    let mut entry: Option<(String, usize)> = None;
    let mut text = String::new();
    let mut nodes = 0usize;
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| Refusal::bad(format!("Malformed XML: {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err(Refusal::bad(
                    "DOCTYPE declarations and entities are refused",
                ))
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = name_of(e.name().as_ref())?;
                nodes += 1;
                if nodes > MAX_NODES {
                    return Err(Refusal::bad("Too many XML elements"));
                }
                if stack.len() + 1 > MAX_DEPTH {
                    return Err(Refusal::bad("XML nested too deeply"));
                }
                if stack.is_empty() {
                    if seen_root || name != "REQUEST" {
                        return Err(Refusal::bad("The document must be one <REQUEST>"));
                    }
                    seen_root = true;
                }
                if stack.len() == 2 && stack[1] == "CONTENT" {
                    entry = match req.content.push(&name) {
                        Some(_) => {
                            let section = name.to_lowercase();
                            let index = req.content.all(&section).len().saturating_sub(1);
                            Some((section, index))
                        }
                        None => None,
                    };
                }
                text.clear();
                if !empty {
                    stack.push(name);
                } else if stack.len() == 3 && stack[1] == "CONTENT" {
                    commit(&mut req, &entry, &name, "");
                }
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|_| {
                    Refusal::bad("Unknown XML entity (entities are never expanded)")
                })?;
                if text.len() < MAX_TEXT * 4 {
                    text.push_str(&t);
                }
            }
            Event::CData(t) if text.len() < MAX_TEXT * 4 => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::End(_) => {
                let Some(name) = stack.pop() else {
                    return Err(Refusal::bad("Malformed XML"));
                };
                match stack.len() {
                    1 if name == "DEVICEID" => req.deviceid = cut(text.trim()),
                    1 if name == "QUERY" => req.query = cut(text.trim()).to_ascii_uppercase(),
                    3 if stack[1] == "CONTENT" => commit(&mut req, &entry, &name, &text),
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root || !stack.is_empty() {
        return Err(Refusal::bad("The document must be one complete <REQUEST>"));
    }
    Ok(req)
}

fn commit(req: &mut Request, entry: &Option<(String, usize)>, field: &str, text: &str) {
    if let Some((section, index)) = entry {
        if let Some(e) = req
            .content
            .sections
            .get_mut(section)
            .and_then(|l| l.get_mut(*index))
        {
            set(e, field, cut(text.trim()));
        }
    }
}

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// The answer to PROLOG: send an inventory, and come back every `freq_hours`.
pub fn prolog_reply(freq_hours: u32) -> String {
    format!("{DECL}<REPLY><PROLOG_FREQ>{freq_hours}</PROLOG_FREQ><RESPONSE>SEND</RESPONSE></REPLY>")
}

/// The answer to INVENTORY.
pub fn inventory_reply() -> String {
    format!("{DECL}<REPLY><RESPONSE>no_account_update</RESPONSE></REPLY>")
}

/// The answer to a query Piket does not serve.
pub fn empty_reply() -> String {
    format!("{DECL}<REPLY></REPLY>")
}

/// An error in the protocol's form.
pub fn error_reply(message: &str) -> String {
    format!(
        "{DECL}<REPLY><RESPONSE>ERROR</RESPONSE><MESSAGE>{}</MESSAGE></REPLY>",
        quick_xml::escape::escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prolog_and_inventory_are_read() {
        let p = parse(b"<?xml version=\"1.0\"?>\n<REQUEST><DEVICEID>pc-2024</DEVICEID><QUERY>PROLOG</QUERY><TOKEN>1</TOKEN></REQUEST>");
        let p = p.unwrap_or_default();
        assert_eq!(
            (p.query.as_str(), p.deviceid.as_str()),
            ("PROLOG", "pc-2024")
        );
        let inv = parse(
            b"<REQUEST><CONTENT><HARDWARE><NAME>a &amp; b</NAME><MEMORY>8000</MEMORY>\
              <EMPTY/></HARDWARE><OPERATINGSYSTEM><TIMEZONE><NAME>UTC</NAME></TIMEZONE>\
              <NAME>Linux</NAME></OPERATINGSYSTEM><SOFTWARES><NAME>x</NAME></SOFTWARES>\
              <SOFTWARES><NAME><![CDATA[y<z]]></NAME></SOFTWARES></CONTENT>\
              <DEVICEID>d</DEVICEID><QUERY>INVENTORY</QUERY></REQUEST>",
        )
        .unwrap_or_default();
        assert_eq!(inv.query, "INVENTORY");
        assert_eq!(inv.content.first("hardware", "name"), "a & b");
        assert_eq!(inv.content.first("hardware", "memory"), "8000");
        assert_eq!(
            inv.content.first("operatingsystem", "name"),
            "Linux",
            "nested TIMEZONE/NAME ignored"
        );
        assert_eq!(inv.content.all("softwares").len(), 2);
        assert_eq!(
            inv.content.all("softwares")[1]
                .get("name")
                .map(String::as_str),
            Some("y<z")
        );
    }

    #[test]
    fn hostile_documents_are_refused() {
        let doctype = b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">]><REQUEST><QUERY>&a;</QUERY></REQUEST>";
        assert!(matches!(parse(doctype), Err(Refusal::Bad(_))));
        assert!(matches!(
            parse(b"<REQUEST><QUERY>&ext;</QUERY></REQUEST>"),
            Err(Refusal::Bad(_))
        ));
        let deep = format!(
            "<REQUEST>{}{}</REQUEST>",
            "<A>".repeat(40),
            "</A>".repeat(40)
        );
        assert!(matches!(parse(deep.as_bytes()), Err(Refusal::Bad(_))));
        assert!(parse(b"<OTHER/>").is_err());
        assert!(parse(b"<REQUEST><A></B></REQUEST>").is_err());
        assert!(parse(b"<REQUEST>").is_err());
        assert!(parse(b"<REQUEST/><REQUEST/>").is_err());
        let long = format!(
            "<REQUEST><CONTENT><HARDWARE><NAME>{}</NAME></HARDWARE></CONTENT></REQUEST>",
            "x".repeat(100_000)
        );
        let r = parse(long.as_bytes()).unwrap_or_default();
        assert_eq!(r.content.first("hardware", "name").len(), MAX_TEXT);
    }

    #[test]
    fn replies_are_escaped() {
        assert!(prolog_reply(24).contains("<PROLOG_FREQ>24</PROLOG_FREQ><RESPONSE>SEND</RESPONSE>"));
        assert!(error_reply("<b>").contains("&lt;b&gt;"));
    }
}
