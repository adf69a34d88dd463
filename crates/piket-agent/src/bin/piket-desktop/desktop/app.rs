//! The helper's one event loop: the hotkey and the tray menu arrive as events, the form and the
//! link window are windows of this loop, and the network runs on two threads (the queue's
//! sender, the link's poller) that answer through the loop's proxy.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use global_hotkey::hotkey::HotKey;
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};
use piket_protocol::desktop::{LinkStarted, MachineState, Me, Report};
use tray_icon::menu::MenuEvent;
use winit::application::ApplicationHandler;
use winit::event::{StartCause, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoopProxy};
use winit::window::WindowId;

use super::capture::{self, Scope};
use super::form::{Action, Form, Stage, PRIORITIES};
use super::link::{self, Status};
use super::queue;
use super::sender::{self, Outcome};
use super::settings::{self, DesktopSettings};
use super::text::Text;
use super::tray::{self, Tray};
use super::window::EguiWindow;

/// What the loop hears.
#[derive(Debug)]
pub enum Event {
    Hotkey(GlobalHotKeyEvent),
    Menu(MenuEvent),
    /// The machine's state for the form numbered `.0`.
    Machine(u64, Box<MachineState>),
    /// A queued report's fate.
    Sent(String, Outcome),
    /// The queue changed (a report left, or was refused).
    QueueChanged,
    LinkStarted(Result<LinkStarted, String>),
    Link(Status),
}

struct OpenForm {
    window: EguiWindow,
    form: Form,
    number: u64,
    /// The client id of the report sent from it, once submitted, and when.
    sent: Option<String>,
    submitted: Option<Instant>,
    /// When the key was pressed (the form's figures are measured from it).
    since: Instant,
    drawn: bool,
}

struct LinkWindow {
    window: EguiWindow,
    code: String,
    url: String,
    linked: bool,
}

pub struct App {
    text: &'static Text,
    home: PathBuf,
    settings: DesktopSettings,
    scope: Scope,
    proxy: EventLoopProxy<Event>,
    kick: mpsc::Sender<()>,
    hotkeys: Option<GlobalHotKeyManager>,
    hotkey: Option<HotKey>,
    paused: bool,
    tray: Option<Tray>,
    form: Option<OpenForm>,
    forms_opened: u64,
    link: Option<LinkWindow>,
    about: Option<EguiWindow>,
    /// `--report`: open the form at once and quit when it closes.
    report_once: bool,
    problem: Option<String>,
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// A report's id: unique on this computer (time, process, a counter), which is all the server
/// needs (it scopes ids by link).
fn client_id(n: u64) -> String {
    format!("{:x}-{:x}-{n}", now_ms(), std::process::id())
}

impl App {
    pub fn new(
        text: &'static Text,
        home: PathBuf,
        settings: DesktopSettings,
        proxy: EventLoopProxy<Event>,
        report_once: bool,
    ) -> App {
        let kick = start_sender(home.clone(), proxy.clone());
        App {
            text,
            scope: Scope::parse(&settings.capture),
            home,
            settings,
            proxy,
            kick,
            hotkeys: None,
            hotkey: None,
            paused: false,
            tray: None,
            form: None,
            forms_opened: 0,
            link: None,
            about: None,
            report_once,
            problem: None,
        }
    }

    fn save(&self) {
        if let Err(f) = settings::save(&settings::settings_path(&self.home), &self.settings) {
            eprintln!("piket-agent: {f}");
        }
    }

    fn start_hotkey(&mut self) {
        let hotkey = HotKey::from_str(&self.settings.hotkey).unwrap_or_else(|e| {
            eprintln!(
                "piket-agent: the hotkey {:?} is not valid ({e}); F8 is used",
                self.settings.hotkey
            );
            HotKey::new(None, global_hotkey::hotkey::Code::F8)
        });
        match GlobalHotKeyManager::new().and_then(|m| m.register(hotkey).map(|()| m)) {
            Ok(manager) => {
                self.hotkeys = Some(manager);
                self.hotkey = Some(hotkey);
            }
            Err(e) => eprintln!(
                "piket-agent: the hotkey {} is not available: {e}",
                self.settings.hotkey
            ),
        }
    }

    fn start_tray(&mut self) {
        match tray::build(self.text, &self.settings.hotkey) {
            Ok(t) => self.tray = Some(t),
            Err(e) => eprintln!("piket-agent: {} ({e})", self.text.no_tray),
        }
        if self.tray.is_some() && !tray::host_present() {
            eprintln!("piket-agent: {}", self.text.no_tray);
        }
        self.refresh_tray();
    }

    fn refresh_tray(&self) {
        let counts = queue::counts(&settings::queue_dir(&self.home));
        let t = self.text;
        let mut parts = Vec::new();
        match counts.waiting {
            0 => {}
            1 => parts.push(t.waiting_one.to_string()),
            n => parts.push(format!("{n} {}", t.waiting_many)),
        }
        let mut tip_extra = String::new();
        if counts.refused > 0 {
            parts.push(format!("{} {}", counts.refused, t.refused_some));
            // The first refusal's reason, as the server said it ("This account is disabled.").
            if let Some(why) = queue::list(&settings::queue_dir(&self.home))
                .into_iter()
                .find_map(|q| q.refused)
            {
                tip_extra = format!("\n{}: {why}", t.refused);
            }
        }
        let status = parts.join(" · ");
        if let Some(tray) = &self.tray {
            tray.status
                .set_text(if status.is_empty() { "Piket" } else { &status });
            tray.discard.set_enabled(counts.refused > 0);
            let tip = if status.is_empty() {
                "Piket".to_string()
            } else {
                format!("Piket: {status}{tip_extra}")
            };
            let _ = tray.icon.set_tooltip(Some(tip));
        }
        if !status.is_empty() {
            eprintln!("piket-agent: {status}{tip_extra}");
        }
    }

    /// Ask for a link (a thread), then show the code while the user confirms in the browser.
    fn begin_link(&self) {
        let mut settings = self.settings.clone();
        let proxy = self.proxy.clone();
        std::thread::spawn(move || {
            let hostname = sysinfo::System::host_name().unwrap_or_default();
            let user = super::machine::os_user();
            let started = link::start(&mut settings, &hostname, &user, &settings::device_id());
            let _ = proxy.send_event(Event::LinkStarted(started));
        });
    }

    /// Ask the server where the link stands, every two seconds until it is settled.
    fn poll_link(&self, once: bool) {
        let settings = self.settings.clone();
        let proxy = self.proxy.clone();
        std::thread::spawn(move || loop {
            let status = link::status(&settings);
            let settled = once || !matches!(status, Status::Pending);
            let _ = proxy.send_event(Event::Link(status));
            if settled {
                return;
            }
            std::thread::sleep(Duration::from_secs(2));
        });
    }

    fn open_form(&mut self, event_loop: &ActiveEventLoop) {
        if self.settings.bearer().is_none() {
            if self.link.is_none() {
                self.begin_link();
            }
            return;
        }
        if let Some(open) = &self.form {
            open.window.window.focus_window();
            return;
        }
        let pressed = Instant::now();
        // The screen first, before any window of ours appears.
        let moment = capture::now(self.scope);
        let title = moment
            .active_window
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect::<String>();
        let user = if self.settings.user_email.is_empty() {
            String::new()
        } else {
            format!("{} <{}>", self.settings.user_name, self.settings.user_email)
        };
        let form = Form::new(
            self.text,
            moment.screen,
            moment.problem,
            title.clone(),
            self.settings.categories.clone(),
            user,
        );
        let window = match EguiWindow::open(event_loop, self.text.form_title, 600.0, 680.0) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("piket-agent: {e}");
                return;
            }
        };
        self.forms_opened += 1;
        let number = self.forms_opened;
        let proxy = self.proxy.clone();
        std::thread::spawn(move || {
            let state = super::machine::collect(&title);
            let _ = proxy.send_event(Event::Machine(number, Box::new(state)));
        });
        eprintln!("piket-agent: form open");
        self.form = Some(OpenForm {
            window,
            form,
            number,
            sent: None,
            submitted: None,
            since: pressed,
            drawn: false,
        });
    }

    fn submit(&mut self) {
        let Some(open) = &mut self.form else { return };
        let f = &open.form;
        let id = client_id(open.number);
        let report = Report {
            client_id: id.clone(),
            title: f.title.trim().to_string(),
            description: f.description.clone(),
            priority: Some(PRIORITIES[f.priority.min(3)].to_string()),
            category_id: f.category,
            machine: f.machine.clone().unwrap_or_default(),
        };
        let png = f.screenshot_png();
        let queued = queue::put(
            &settings::queue_dir(&self.home),
            now_ms(),
            &report,
            png.as_deref().map(|b| (b, "png")),
        );
        match queued {
            Ok(_) => {
                open.sent = Some(id);
                open.submitted = Some(Instant::now());
                open.form.stage = Stage::Sending;
                let _ = self.kick.send(());
            }
            Err(e) => open.form.stage = Stage::Refused(e),
        }
        open.window.refresh();
        self.refresh_tray();
    }

    fn close_form(&mut self, event_loop: &ActiveEventLoop) {
        self.form = None;
        if self.report_once {
            event_loop.exit();
        }
    }

    fn menu(&mut self, event_loop: &ActiveEventLoop, id: &str) {
        match id {
            tray::REPORT => self.open_form(event_loop),
            tray::TICKETS => link::open_in_browser(&piket_agent::client::endpoint(
                &self.settings.server,
                "/tickets",
            )),
            tray::PAUSE => self.toggle_pause(),
            tray::DISCARD => {
                queue::discard_refused(&settings::queue_dir(&self.home));
                self.refresh_tray();
            }
            tray::ABOUT => self.open_about(event_loop),
            tray::QUIT => event_loop.exit(),
            _ => {}
        }
    }

    fn open_about(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(about) = &self.about {
            about.window.focus_window();
            return;
        }
        match EguiWindow::open(event_loop, self.text.about, 420.0, 220.0) {
            Ok(window) => self.about = Some(window),
            Err(e) => eprintln!("piket-agent: {e}"),
        }
    }

    fn toggle_pause(&mut self) {
        let (Some(manager), Some(hotkey)) = (&self.hotkeys, self.hotkey) else {
            return;
        };
        self.paused = !self.paused;
        let done = if self.paused {
            manager.unregister(hotkey)
        } else {
            manager.register(hotkey)
        };
        if let Err(e) = done {
            eprintln!("piket-agent: {e}");
        }
        if let Some(tray) = &self.tray {
            tray.pause.set_checked(self.paused);
        }
    }

    fn on_link(&mut self, event_loop: &ActiveEventLoop, status: Status) {
        match status {
            Status::Linked(me) => {
                let first = self.settings.user_email.is_empty() || self.link.is_some();
                self.remember(&me);
                if let Some(l) = &mut self.link {
                    l.linked = true;
                    l.window.refresh();
                }
                if first {
                    eprintln!("piket-agent: linked as {}", me.email);
                }
                let _ = self.kick.send(());
                if self.report_once && self.form.is_none() {
                    self.open_form(event_loop);
                }
            }
            Status::Pending => {}
            Status::Gone => {
                // Unlinked, or a link nobody confirmed in time: forget it, and ask again only
                // when the user asks (F8 or the menu), not on a timer: an unattended PC must
                // not open the browser every quarter hour (review finding).
                self.settings.link_key.clear();
                self.settings.secret.clear();
                self.settings.user_email.clear();
                self.save();
                self.link = None;
                eprintln!("piket-agent: this computer is not linked: press the hotkey to link it");
            }
            Status::Unknown(why) => {
                eprintln!("piket-agent: cannot ask the server: {why}");
                if self.report_once && self.form.is_none() && !self.settings.user_email.is_empty() {
                    self.open_form(event_loop);
                }
            }
        }
    }

    fn remember(&mut self, me: &Me) {
        link::remember(&mut self.settings, me);
        self.save();
        if let Some(open) = &mut self.form {
            open.form.categories = self.settings.categories.clone();
        }
    }
}

/// How often a waiting report is tried again: 30 s, or `PIKET_DESKTOP_RETRY_SECONDS` (tests).
fn retry_every() -> Duration {
    let seconds = std::env::var("PIKET_DESKTOP_RETRY_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(30);
    Duration::from_secs(seconds)
}

/// The queue's sender: sends whenever kicked, and every 30 s while something waits.
fn start_sender(home: PathBuf, proxy: EventLoopProxy<Event>) -> mpsc::Sender<()> {
    let (kick, kicked) = mpsc::channel::<()>();
    std::thread::spawn(move || loop {
        match kicked.recv_timeout(retry_every()) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        let Ok(current) = settings::load(&settings::settings_path(&home)) else {
            continue;
        };
        let (Some(bearer), false) = (current.bearer(), current.server.is_empty()) else {
            continue;
        };
        let queue_dir = settings::queue_dir(&home);
        if queue::counts(&queue_dir).waiting == 0 {
            continue;
        }
        sender::drain(&current.server, &bearer, &queue_dir, |item, outcome| {
            let _ = proxy.send_event(Event::Sent(item.report.client_id.clone(), outcome.clone()));
        });
        let _ = proxy.send_event(Event::QueueChanged);
    });
    kick
}

impl ApplicationHandler<Event> for App {
    fn new_events(&mut self, event_loop: &ActiveEventLoop, cause: StartCause) {
        if cause != StartCause::Init {
            return;
        }
        // Hotkey and tray are made on the loop's thread (Windows needs it).
        if !self.report_once {
            self.start_hotkey();
            self.start_tray();
        }
        if self.settings.bearer().is_some() {
            self.poll_link(true);
        } else {
            self.begin_link();
        }
        if self.report_once && !self.settings.user_email.is_empty() {
            self.open_form(event_loop);
        }
        let _ = self.kick.send(());
        eprintln!(
            "piket-agent: desktop helper ready ({})",
            self.settings.hotkey
        );
    }

    fn resumed(&mut self, _event_loop: &ActiveEventLoop) {}

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: Event) {
        match event {
            Event::Hotkey(e) => {
                let ours = self.hotkey.is_some_and(|h| h.id() == e.id());
                if ours && e.state() == HotKeyState::Pressed && !self.paused {
                    self.open_form(event_loop);
                }
            }
            Event::Menu(m) => self.menu(event_loop, &m.id.0),
            Event::Machine(number, state) => {
                if let Some(open) = self.form.as_mut().filter(|o| o.number == number) {
                    open.form.machine = Some(*state);
                    open.window.refresh();
                    eprintln!(
                        "piket-agent: details measured in {} ms",
                        open.since.elapsed().as_millis()
                    );
                }
            }
            Event::Sent(id, outcome) => {
                if let Some(open) = self
                    .form
                    .as_mut()
                    .filter(|o| o.sent.as_deref() == Some(&id))
                {
                    open.form.stage = match &outcome {
                        Outcome::Filed(f) => Stage::Filed {
                            ticket_id: f.ticket_id,
                            url: piket_agent::client::endpoint(&self.settings.server, &f.path),
                        },
                        Outcome::Later(_) => Stage::Offline,
                        Outcome::Refused(why) | Outcome::Unlinked(why) => {
                            Stage::Refused(why.clone())
                        }
                    };
                    open.window.refresh();
                    if let (Outcome::Filed(_), Some(at)) = (&outcome, open.submitted) {
                        eprintln!(
                            "piket-agent: filed {} ms after Submit",
                            at.elapsed().as_millis()
                        );
                    }
                }
                match &outcome {
                    Outcome::Filed(f) => eprintln!("piket-agent: filed ticket #{}", f.ticket_id),
                    Outcome::Later(why) => eprintln!("piket-agent: report waits: {why}"),
                    Outcome::Refused(why) => eprintln!("piket-agent: report refused: {why}"),
                    Outcome::Unlinked(_) => self.on_link(event_loop, Status::Gone),
                }
            }
            Event::QueueChanged => self.refresh_tray(),
            Event::LinkStarted(Ok(started)) => {
                self.settings.link_key.clone_from(&started.link_key);
                self.settings.secret.clone_from(&started.secret);
                self.save();
                let url =
                    piket_agent::client::endpoint(&self.settings.server, &started.confirm_path);
                eprintln!(
                    "piket-agent: confirm this computer at {url} (code {})",
                    started.code
                );
                link::open_in_browser(&url);
                match EguiWindow::open(event_loop, self.text.link_title, 460.0, 240.0) {
                    Ok(window) => {
                        self.link = Some(LinkWindow {
                            window,
                            code: started.code,
                            url,
                            linked: false,
                        });
                    }
                    Err(e) => eprintln!("piket-agent: {e}"),
                }
                self.poll_link(false);
            }
            Event::LinkStarted(Err(why)) => {
                self.problem = Some(why.clone());
                eprintln!(
                    "piket-agent: cannot ask {} for a link: {why}",
                    self.settings.server
                );
            }
            Event::Link(status) => self.on_link(event_loop, status),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, id: WindowId, event: WindowEvent) {
        if let Some(open) = self.form.as_mut().filter(|o| o.window.id() == id) {
            let mut action = Action::None;
            let form = &mut open.form;
            let closed = open.window.event(&event, &mut |ui| action = form.ui(ui));
            if !open.drawn && open.window.frames > 0 {
                open.drawn = true;
                eprintln!(
                    "piket-agent: form drawn {} ms after the key",
                    open.since.elapsed().as_millis()
                );
            }
            if closed {
                action = Action::Close;
            }
            match action {
                Action::None => {}
                Action::Submit => self.submit(),
                Action::Close => self.close_form(event_loop),
                Action::Open(url) => {
                    link::open_in_browser(&url);
                    self.close_form(event_loop);
                }
            }
            return;
        }
        if let Some(about) = self.about.as_mut().filter(|w| w.id() == id) {
            let (text, settings) = (self.text, &self.settings);
            let mut close = false;
            let closed = about.event(&event, &mut |ui| close = about_ui(text, settings, ui));
            if closed || close {
                self.about = None;
            }
            return;
        }
        if let Some(l) = self.link.as_mut().filter(|l| l.window.id() == id) {
            let text = self.text;
            let LinkWindow {
                window,
                code,
                url,
                linked,
            } = l;
            let mut ui_close = false;
            let closed = window.event(&event, &mut |ui| {
                ui_close = link_ui(code, url, *linked, text, ui);
            });
            if closed || ui_close {
                self.link = None;
                if self.report_once && self.form.is_none() && self.settings.user_email.is_empty() {
                    event_loop.exit();
                }
            }
        }
    }
}

/// The link window: the code to compare, a way to open the page again; "linked" once done.
/// `true` when the user closes it.
fn link_ui(code: &str, url: &str, linked: bool, text: &Text, ui: &mut egui::Ui) -> bool {
    ui.heading(text.link_title);
    ui.add_space(8.0);
    if linked {
        ui.label(text.link_done);
        return ui.button(text.close).clicked();
    }
    ui.label(text.link_steps);
    ui.add_space(8.0);
    ui.label(
        egui::RichText::new(format!("{}: {code}", text.link_code))
            .size(26.0)
            .strong(),
    );
    ui.add_space(8.0);
    if ui.button(text.link_open).clicked() {
        link::open_in_browser(url);
    }
    false
}

/// About: the helper's version, the server, who it files as, the hotkey. `true` on Close.
fn about_ui(text: &Text, settings: &DesktopSettings, ui: &mut egui::Ui) -> bool {
    ui.heading(format!("Piket {}", env!("CARGO_PKG_VERSION")));
    ui.add_space(6.0);
    egui::Grid::new("about").num_columns(2).show(ui, |ui| {
        ui.label(text.labels.user);
        ui.label(format!("{} <{}>", settings.user_name, settings.user_email));
        ui.end_row();
        ui.label(text.labels.server);
        ui.label(&settings.server);
        ui.end_row();
        ui.label(text.report);
        ui.label(&settings.hotkey);
        ui.end_row();
    });
    ui.add_space(8.0);
    ui.input(|i| i.key_pressed(egui::Key::Escape)) || ui.button(text.close).clicked()
}
