//! `piket-agent collect`: the original collector flow for people without an enrollment token.
//! Asks for the user's registered email, shows the data, asks for confirmation and posts the
//! legacy body to `/api/update-main-device`.

use std::io::{self, BufRead, Write};

use piket_protocol::{CollectorData, CollectorRequest, COLLECTOR_PATH};

use crate::client::{self, Action, Body};
use crate::collect::collect_inventory;
use crate::commands::enroll::check_server_url;
use crate::failure::Failure;
use crate::legacy::legacy_data;

pub struct CollectOptions {
    pub server: String,
    pub email: Option<String>,
    pub yes: bool,
    pub enrollment_token: Option<String>,
}

fn read_line(prompt: &str) -> Result<String, Failure> {
    print!("{prompt}");
    io::stdout()
        .flush()
        .map_err(|e| Failure::general(format!("cannot write to the terminal: {e}")))?;
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::general(format!("cannot read your answer: {e}")))?;
    Ok(line.trim().to_string())
}

/// Whether an answer to a y/N question is yes.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// A rough email check, so a typo is caught before the server says "User not found".
pub fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !email.contains(' ')
}

fn show(data: &CollectorData) {
    let rows = [
        ("Manufacturer", &data.manufaktur),
        ("CPU", &data.cpu),
        ("RAM", &data.ram),
        ("OS", &data.os),
        ("IP address", &data.ipaddress),
        ("Hostname", &data.hostname),
        ("Storage", &data.storage),
        ("Device type", &data.jenis),
    ];
    println!("This computer:");
    for (label, value) in rows {
        println!("  {label:<13}{}", value.as_deref().unwrap_or("(unknown)"));
    }
}

pub fn run(options: &CollectOptions) -> Result<(), Failure> {
    let server = check_server_url(&options.server)?;
    let email = match &options.email {
        Some(email) => email.trim().to_string(),
        None => read_line("Your registered email address: ")?,
    };
    if !looks_like_email(&email) {
        return Err(Failure::general(format!(
            "{email:?} is not an email address"
        )));
    }
    let inventory = collect_inventory();
    let data = legacy_data(&inventory);
    drop(inventory);
    show(&data);
    if !options.yes
        && !is_yes(&read_line(&format!(
            "Send this to {server} for {email}? [y/N] "
        ))?)
    {
        println!("Nothing sent.");
        return Ok(());
    }
    let body = CollectorRequest { email, data };
    let json = serde_json::to_vec(&body)
        .map_err(|e| Failure::general(format!("cannot encode the data: {e}")))?;
    let url = client::endpoint(&server, COLLECTOR_PATH);
    let headers: Vec<(&str, String)> = options
        .enrollment_token
        .iter()
        .map(|t| ("X-Enrollment-Token", t.trim().to_string()))
        .collect();
    let answer = client::post_json(
        &url,
        Body {
            json: &json,
            gzip: false,
        },
        &headers,
    )?;
    if !(200..300).contains(&answer.status) {
        return Err(client::failure_for(Action::Collect, &url, &answer));
    }
    let said = client::server_message(&answer.body);
    let main_id = serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v.get("main_id").and_then(serde_json::Value::as_i64));
    match main_id {
        Some(id) => println!("Sent: {said} (device {id})."),
        None => println!("Sent: {said}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_and_email_checks() {
        assert!(is_yes("y") && is_yes("YES\n") && is_yes(" Yes "));
        assert!(!is_yes("") && !is_yes("n") && !is_yes("yep"));
        assert!(looks_like_email("ana@example.com"));
        assert!(!looks_like_email("ana@localhost"));
        assert!(!looks_like_email("ana example.com"));
        assert!(!looks_like_email("@example.com"));
    }
}
