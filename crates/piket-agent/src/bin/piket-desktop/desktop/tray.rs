//! The tray icon and its menu (StatusNotifierItem over D-Bus on Linux, no GTK; the notification
//! area on Windows), and whether anything shows it at all.

use tray_icon::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

use super::text::Text;

pub const REPORT: &str = "report";
pub const TICKETS: &str = "tickets";
pub const PAUSE: &str = "pause";
pub const DISCARD: &str = "discard";
pub const ABOUT: &str = "about";
pub const QUIT: &str = "quit";

/// The icon and the menu items whose text or state changes.
pub struct Tray {
    pub icon: TrayIcon,
    pub status: MenuItem,
    pub pause: CheckMenuItem,
    pub discard: MenuItem,
}

/// A 32×32 icon drawn here (a blue disc with a white bar and dot, "!"), so no file ships.
fn icon_rgba() -> Vec<u8> {
    let mut px = Vec::with_capacity(32 * 32 * 4);
    for y in 0..32i32 {
        for x in 0..32i32 {
            let (dx, dy) = (x - 16, y - 16);
            let inside = dx * dx + dy * dy <= 15 * 15;
            let mark = (14..18).contains(&x) && ((7..19).contains(&y) || (22..26).contains(&y));
            let rgba = match (inside, mark) {
                (true, true) => [255, 255, 255, 255],
                (true, false) => [0x1f, 0x6f, 0xd1, 255],
                _ => [0, 0, 0, 0],
            };
            px.extend_from_slice(&rgba);
        }
    }
    px
}

/// Build the icon and its menu; `Err` when the platform has nowhere to put it (no D-Bus
/// session bus on Linux).
pub fn build(text: &Text, hotkey: &str) -> Result<Tray, String> {
    let report = MenuItem::with_id(REPORT, format!("{} ({hotkey})", text.report), true, None);
    let tickets = MenuItem::with_id(TICKETS, text.my_tickets, true, None);
    let pause = CheckMenuItem::with_id(PAUSE, text.pause, true, false, None);
    let status = MenuItem::new("", false, None);
    let discard = MenuItem::with_id(DISCARD, text.discard_refused, false, None);
    let about = MenuItem::with_id(ABOUT, text.about, true, None);
    let quit = MenuItem::with_id(QUIT, text.quit, true, None);
    let separator = PredefinedMenuItem::separator();
    let menu = Menu::with_items(&[
        &report, &tickets, &pause, &separator, &status, &discard, &separator, &about, &quit,
    ])
    .map_err(|e| e.to_string())?;
    let icon = Icon::from_rgba(icon_rgba(), 32, 32).map_err(|e| e.to_string())?;
    let tray = TrayIconBuilder::new()
        .with_tooltip("Piket")
        .with_menu(Box::new(menu))
        .with_icon(icon)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Tray {
        icon: tray,
        status,
        pause,
        discard,
    })
}

/// Whether a tray host shows icons. On Linux the icon is built even when nobody shows it, so
/// ask D-Bus whether a StatusNotifierWatcher with a registered host is there.
#[cfg(target_os = "linux")]
pub fn host_present() -> bool {
    let check = || -> zbus::Result<bool> {
        let bus = zbus::blocking::Connection::session()?;
        let dbus = zbus::blocking::fdo::DBusProxy::new(&bus)?;
        let watcher = "org.kde.StatusNotifierWatcher";
        if !dbus.name_has_owner(watcher.try_into()?)? {
            return Ok(false);
        }
        zbus::blocking::Proxy::new(&bus, watcher, "/StatusNotifierWatcher", watcher)?
            .get_property::<bool>("IsStatusNotifierHostRegistered")
    };
    check().unwrap_or(false)
}

/// Elsewhere a built icon is a shown icon.
#[cfg(not(target_os = "linux"))]
pub fn host_present() -> bool {
    true
}
