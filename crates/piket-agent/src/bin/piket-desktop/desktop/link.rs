//! Who this OS account files as: the helper asks the server for a link, the browser opens the
//! confirmation page for the signed-in user, and the helper asks until the user confirmed. No
//! password is ever typed into or kept by the helper.

use std::time::Duration;

use piket_protocol::desktop::{LinkRequest, LinkStarted, Me, LINK_PATH, ME_PATH};

use super::settings::DesktopSettings;
use piket_agent::client::{self, Answer};

const TIMEOUT: Duration = Duration::from_secs(20);

/// What the server said about the link.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Pending,
    Linked(Me),
    /// The credential is not (or no longer) valid: ask for a new link.
    Gone,
    /// The server is away or answered something else: try again later.
    Unknown(String),
}

fn status_of(answer: &Answer) -> Status {
    match answer.status {
        200 => match serde_json::from_str::<Me>(&answer.body) {
            Ok(me) if me.status == "linked" => Status::Linked(me),
            Ok(_) => Status::Pending,
            Err(e) => Status::Unknown(e.to_string()),
        },
        401 => Status::Gone,
        other => Status::Unknown(format!(
            "HTTP {other}: {}",
            client::server_message(&answer.body)
        )),
    }
}

/// Ask for a link; on success the settings hold the new credential.
pub fn start(
    settings: &mut DesktopSettings,
    hostname: &str,
    os_user: &str,
    device_id: &str,
) -> Result<LinkStarted, String> {
    let request = LinkRequest {
        hostname: hostname.chars().take(100).collect(),
        os_user: os_user.chars().take(100).collect(),
        device_id: device_id.to_string(),
    };
    let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
    let answer = client::request(
        "POST",
        &client::endpoint(&settings.server, LINK_PATH),
        Some(("application/json", &body)),
        &[],
        TIMEOUT,
    )
    .map_err(|f| f.message)?;
    if answer.status != 201 {
        return Err(format!(
            "HTTP {}: {}",
            answer.status,
            client::server_message(&answer.body)
        ));
    }
    let started: LinkStarted = serde_json::from_str(&answer.body).map_err(|e| e.to_string())?;
    settings.link_key.clone_from(&started.link_key);
    settings.secret.clone_from(&started.secret);
    Ok(started)
}

/// Where the link stands now.
pub fn status(settings: &DesktopSettings) -> Status {
    let Some(bearer) = settings.bearer() else {
        return Status::Gone;
    };
    match client::request(
        "GET",
        &client::endpoint(&settings.server, ME_PATH),
        None,
        &[("Authorization", bearer)],
        TIMEOUT,
    ) {
        Ok(answer) => status_of(&answer),
        Err(f) => Status::Unknown(f.message),
    }
}

/// Keep what the server said about the user and the form's choices.
pub fn remember(settings: &mut DesktopSettings, me: &Me) {
    settings.user_name.clone_from(&me.name);
    settings.user_email.clone_from(&me.email);
    settings.categories = me
        .categories
        .iter()
        .map(|c| (c.id, c.name.clone()))
        .collect();
}

/// Open a page of the server in the user's browser (`PIKET_DESKTOP_BROWSER` names another
/// program, for tests and locked-down desktops).
pub fn open_in_browser(url: &str) {
    let custom = std::env::var("PIKET_DESKTOP_BROWSER")
        .ok()
        .filter(|b| !b.is_empty());
    let mut command = match custom {
        Some(program) => std::process::Command::new(program),
        None if cfg!(windows) => {
            let mut c = std::process::Command::new("rundll32");
            c.arg("url.dll,FileProtocolHandler");
            c
        }
        None if cfg!(target_os = "macos") => std::process::Command::new("open"),
        None => std::process::Command::new("xdg-open"),
    };
    if let Err(e) = command.arg(url).spawn() {
        eprintln!("piket-agent: cannot open {url} in a browser: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desktop::answer;

    #[test]
    fn the_servers_answer_tells_where_the_link_stands() {
        assert_eq!(
            status_of(&answer(200, r#"{"status":"pending"}"#)),
            Status::Pending
        );
        let linked = r#"{"status":"linked","name":"Budi","email":"b@x","portal_path":"/tickets","categories":[{"id":2,"name":"Printers"}],"priorities":["low"]}"#;
        let Status::Linked(me) = status_of(&answer(200, linked)) else {
            panic!()
        };
        let mut s = DesktopSettings::default();
        remember(&mut s, &me);
        assert_eq!(s.categories, vec![(2, "Printers".to_string())]);
        assert_eq!(status_of(&answer(401, "")), Status::Gone);
        assert!(matches!(status_of(&answer(503, "")), Status::Unknown(_)));
    }
}
