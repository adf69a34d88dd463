//! `piket-agent desktop`: the helper in the user's session. A tray icon with its menu, a global
//! hotkey (F8) that takes the screen at once and opens a form, the report filed as the Piket
//! user this OS account is linked to, and an offline queue that sends it when the server is
//! back. The wire contract is `piket_protocol::desktop`; see `docs/agent.md`.

mod app;
pub mod capture;
pub mod form;
pub mod link;
pub mod machine;
pub mod queue;
pub mod sender;
pub mod settings;
pub mod text;
mod tray;
mod window;

use global_hotkey::GlobalHotKeyEvent;
use tray_icon::menu::MenuEvent;
use winit::event_loop::EventLoop;

use piket_agent::failure::Failure;

/// How the helper was started.
pub struct Options {
    /// The server, on first run (kept in the settings afterwards).
    pub server: Option<String>,
    /// Open the form at once and quit when it closes (Wayland desktops bind this to a key).
    pub report: bool,
}

/// Run the helper until Quit.
pub fn run(options: &Options) -> Result<(), Failure> {
    let home = settings::home_dir()?;
    let path = settings::settings_path(&home);
    let mut current = settings::load(&path)?;
    if let Some(server) = options.server.as_deref().filter(|s| !s.trim().is_empty()) {
        let server = server.trim().trim_end_matches('/').to_string();
        if server != current.server {
            // Another server: the old link means nothing there.
            current = settings::DesktopSettings {
                server,
                hotkey: current.hotkey,
                capture: current.capture,
                ..settings::DesktopSettings::default()
            };
        }
    }
    if current.server.is_empty() {
        return Err(Failure::general(
            "which Piket server? start the helper once with `piket-agent desktop --server URL`",
        ));
    }
    settings::save(&path, &current)?;
    let event_loop = EventLoop::<app::Event>::with_user_event()
        .build()
        .map_err(|e| Failure::general(format!("no desktop to show the helper on: {e}")))?;
    event_loop.set_control_flow(winit::event_loop::ControlFlow::Wait);
    let proxy = event_loop.create_proxy();
    GlobalHotKeyEvent::set_event_handler(Some(move |e| {
        let _ = proxy.send_event(app::Event::Hotkey(e));
    }));
    let proxy = event_loop.create_proxy();
    MenuEvent::set_event_handler(Some(move |e| {
        let _ = proxy.send_event(app::Event::Menu(e));
    }));
    let mut helper = app::App::new(
        text::current(),
        home,
        current,
        event_loop.create_proxy(),
        options.report,
    );
    event_loop
        .run_app(&mut helper)
        .map_err(|e| Failure::general(format!("the helper stopped: {e}")))
}

/// A server's answer, as the tests of the link and the sender need one.
#[cfg(test)]
fn answer(status: u16, body: &str) -> piket_agent::client::Answer {
    piket_agent::client::Answer {
        status,
        body: body.into(),
        retry_after_seconds: None,
    }
}
