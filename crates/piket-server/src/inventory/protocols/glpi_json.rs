//! The GLPI agent's native JSON protocol: `{"action":"contact"|"inventory","deviceid":…,
//! "content":{"hardware":{…},"softwares":[…],…}}`, read into a `serde_json::Value` (whose
//! recursion limit guards the stack) and then checked for depth and size; and its answers
//! (`{"status":"ok","expiration":N}`, `{"status":"error","message":…}`).

use serde_json::{json, Map, Value};

use super::content::{set, Content, Entry};
use super::{cut, Refusal, MAX_DEPTH, MAX_NODES};

/// One agent request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// `contact`, `inventory`, … (lowercase).
    pub action: String,
    pub deviceid: String,
    /// Only the sections that changed were sent (`"partial": true`).
    pub partial: bool,
    pub content: Content,
}

/// Depth of `v` (a scalar is 1), counting values into `nodes`; stops early past the limits.
fn check(v: &Value, depth: usize, nodes: &mut usize) -> Result<(), Refusal> {
    *nodes += 1;
    if depth > MAX_DEPTH {
        return Err(Refusal::bad("JSON nested too deeply"));
    }
    if *nodes > MAX_NODES {
        return Err(Refusal::bad("Too many JSON values"));
    }
    match v {
        Value::Array(a) => a.iter().try_for_each(|x| check(x, depth + 1, nodes)),
        Value::Object(o) => o.values().try_for_each(|x| check(x, depth + 1, nodes)),
        _ => Ok(()),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(cut(s.trim())),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        _ => None,
    }
}

fn fill(entry: &mut Entry, object: &Map<String, Value>) {
    for (k, v) in object {
        if let Some(text) = scalar(v) {
            set(entry, k, text);
        }
    }
}

/// Parse a request body (already decompressed).
pub fn parse(data: &[u8]) -> Result<Request, Refusal> {
    let value: Value =
        serde_json::from_slice(data).map_err(|_| Refusal::bad("The body is not valid JSON"))?;
    check(&value, 1, &mut 0)?;
    let Value::Object(top) = value else {
        return Err(Refusal::bad("The body must be a JSON object"));
    };
    let text = |k: &str| top.get(k).and_then(scalar).unwrap_or_default();
    let mut req = Request {
        action: text("action").to_lowercase(),
        deviceid: text("deviceid"),
        partial: matches!(
            text("partial").to_lowercase().as_str(),
            "1" | "true" | "yes"
        ),
        content: Content::default(),
    };
    if let Some(Value::Object(content)) = top.get("content") {
        for (section, v) in content {
            match v {
                Value::Object(o) => {
                    if let Some(e) = req.content.push(section) {
                        fill(e, o);
                    }
                }
                Value::Array(items) => {
                    // Present even when empty: an empty list in a partial report means "none".
                    req.content
                        .sections
                        .entry(section.to_lowercase())
                        .or_default();
                    for item in items {
                        if let Value::Object(o) = item {
                            match req.content.push(section) {
                                Some(e) => fill(e, o),
                                None => break,
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(req)
}

/// The answer to `contact`: run the inventory task, come back in `expiration` hours.
pub fn contact_reply(expiration: u32) -> Value {
    json!({
        "status": "ok",
        "expiration": expiration,
        "tasks": {"inventory": {"server": "glpi", "version": "10.0.0"}}
    })
}

/// The answer to `inventory`.
pub fn inventory_reply(expiration: u32) -> Value {
    json!({"status": "ok", "expiration": expiration})
}

/// An error in the protocol's form.
pub fn error_reply(message: &str) -> Value {
    json!({"status": "error", "message": message})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_and_inventory_are_read() {
        let body = br#"{"action":"inventory","deviceid":"pc-1","itemtype":"Computer",
          "content":{"hardware":{"name":"pc-1","memory":8192},"bios":{"ssn":"S1"},
          "cpus":[{"name":"i5","core":4,"thread":8}],"softwares":[{"name":"a"},{"name":"b"},3],
          "versionclient":"GLPI-Agent_v1.7"}}"#;
        let r = parse(body).unwrap_or_default();
        assert_eq!(
            (r.action.as_str(), r.deviceid.as_str()),
            ("inventory", "pc-1")
        );
        assert_eq!(r.content.first("hardware", "memory"), "8192");
        assert_eq!(r.content.first("cpus", "core"), "4");
        assert_eq!(r.content.all("softwares").len(), 2);
        assert_eq!(
            parse(br#"{"action":"CONTACT"}"#).unwrap_or_default().action,
            "contact"
        );
    }

    #[test]
    fn hostile_documents_are_refused() {
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert!(matches!(parse(deep.as_bytes()), Err(Refusal::Bad(_))));
        let very_deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(parse(very_deep.as_bytes()), Err(Refusal::Bad(_))));
        assert!(parse(b"[1]").is_err());
        assert!(parse(b"{nope").is_err());
    }

    #[test]
    fn replies_follow_the_protocol() {
        assert_eq!(inventory_reply(24), json!({"status":"ok","expiration":24}));
        assert_eq!(error_reply("x")["status"], "error");
    }
}
