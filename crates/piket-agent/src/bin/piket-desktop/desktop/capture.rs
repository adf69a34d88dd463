//! The screen as it was when the key was pressed (all monitors, or the one under the pointer)
//! and the title of the window that was active: read before any window of ours appears.
//! Linux reads X11 directly (x11rb: no C libraries, no PipeWire); Windows uses xcap (GDI).

use image::RgbaImage;

/// Which part of the screen to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    AllMonitors,
    MonitorUnderPointer,
}

impl Scope {
    pub fn parse(text: &str) -> Scope {
        if text.eq_ignore_ascii_case("pointer") {
            Scope::MonitorUnderPointer
        } else {
            Scope::AllMonitors
        }
    }
}

/// A monitor's rectangle on the virtual screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// The monitor that holds the point, if any does.
pub fn monitor_at(monitors: &[Rect], x: i32, y: i32) -> Option<Rect> {
    monitors.iter().copied().find(|m| {
        let right = m.x + i32::try_from(m.width).unwrap_or(i32::MAX);
        let bottom = m.y + i32::try_from(m.height).unwrap_or(i32::MAX);
        (m.x..right).contains(&x) && (m.y..bottom).contains(&y)
    })
}

/// X11's 32-bit little-endian pixels (B, G, R, unused) as RGBA.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn bgrx_to_rgba(mut pixels: Vec<u8>) -> Vec<u8> {
    for p in pixels.chunks_exact_mut(4) {
        p.swap(0, 2);
        p[3] = 255;
    }
    pixels
}

/// What was on the screen and in front, now.
pub struct Moment {
    pub screen: Option<RgbaImage>,
    pub active_window: String,
    /// Why there is no screenshot, when there is none.
    pub problem: Option<String>,
}

/// Take the screen and the active window's title.
pub fn now(scope: Scope) -> Moment {
    let active_window = platform::active_window_title().unwrap_or_default();
    match platform::screen(scope) {
        Ok(screen) => Moment {
            screen: Some(screen),
            active_window,
            problem: None,
        },
        Err(why) => Moment {
            screen: None,
            active_window,
            problem: Some(why),
        },
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use super::{bgrx_to_rgba, monitor_at, Rect, Scope};
    use image::RgbaImage;
    use x11rb::connection::Connection;
    use x11rb::protocol::randr::ConnectionExt as _;
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, ImageFormat, ImageOrder};

    type Error = Box<dyn std::error::Error>;

    pub fn screen(scope: Scope) -> Result<RgbaImage, String> {
        grab(scope).map_err(|e| e.to_string())
    }

    fn grab(scope: Scope) -> Result<RgbaImage, Error> {
        let (conn, n) = x11rb::connect(None)?;
        let root = &conn.setup().roots[n];
        let mut area = Rect {
            x: 0,
            y: 0,
            width: u32::from(root.width_in_pixels),
            height: u32::from(root.height_in_pixels),
        };
        if scope == Scope::MonitorUnderPointer {
            let pointer = conn.query_pointer(root.root)?.reply()?;
            let monitors: Vec<Rect> = conn
                .randr_get_monitors(root.root, true)?
                .reply()?
                .monitors
                .iter()
                .map(|m| Rect {
                    x: i32::from(m.x),
                    y: i32::from(m.y),
                    width: u32::from(m.width),
                    height: u32::from(m.height),
                })
                .collect();
            if let Some(m) = monitor_at(
                &monitors,
                i32::from(pointer.root_x),
                i32::from(pointer.root_y),
            ) {
                area = m;
            }
        }
        let image = conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                root.root,
                i16::try_from(area.x)?,
                i16::try_from(area.y)?,
                u16::try_from(area.width)?,
                u16::try_from(area.height)?,
                !0,
            )?
            .reply()?;
        let bpp = conn
            .setup()
            .pixmap_formats
            .iter()
            .find(|f| f.depth == image.depth)
            .map(|f| f.bits_per_pixel);
        if bpp != Some(32) || conn.setup().image_byte_order != ImageOrder::LSB_FIRST {
            return Err("this X server's pixel format is not supported".into());
        }
        RgbaImage::from_raw(area.width, area.height, bgrx_to_rgba(image.data))
            .ok_or_else(|| "the X server sent a short image".into())
    }

    pub fn active_window_title() -> Option<String> {
        let (conn, n) = x11rb::connect(None).ok()?;
        let root = conn.setup().roots[n].root;
        let atom = |name: &[u8]| -> Option<u32> {
            Some(conn.intern_atom(false, name).ok()?.reply().ok()?.atom)
        };
        let active = atom(b"_NET_ACTIVE_WINDOW")?;
        let wm_name = atom(b"_NET_WM_NAME")?;
        let utf8 = atom(b"UTF8_STRING")?;
        let window = conn
            .get_property(false, root, active, AtomEnum::WINDOW, 0, 1)
            .ok()?
            .reply()
            .ok()?
            .value32()?
            .next()
            .filter(|w| *w != 0)?;
        let title = conn
            .get_property(false, window, wm_name, utf8, 0, 1024)
            .ok()?
            .reply()
            .ok()?;
        if !title.value.is_empty() {
            return Some(String::from_utf8_lossy(&title.value).into_owned());
        }
        let legacy = conn
            .get_property(false, window, AtomEnum::WM_NAME, AtomEnum::STRING, 0, 1024)
            .ok()?
            .reply()
            .ok()?;
        // WM_NAME is Latin-1.
        Some(legacy.value.iter().map(|&b| char::from(b)).collect())
    }
}

#[cfg(windows)]
mod platform {
    use super::{monitor_at, Rect, Scope};
    use image::RgbaImage;

    pub fn screen(scope: Scope) -> Result<RgbaImage, String> {
        let monitors = xcap::Monitor::all().map_err(|e| e.to_string())?;
        let rect = |m: &xcap::Monitor| -> Option<Rect> {
            Some(Rect {
                x: m.x().ok()?,
                y: m.y().ok()?,
                width: m.width().ok()?,
                height: m.height().ok()?,
            })
        };
        if scope == Scope::MonitorUnderPointer {
            // xcap tells no pointer position; the monitor of the focused window stands in.
            let focused = xcap::Window::all()
                .ok()
                .and_then(|ws| ws.into_iter().find(|w| w.is_focused().unwrap_or(false)));
            if let Some(m) = focused.and_then(|w| w.current_monitor().ok()) {
                return m.capture_image().map_err(|e| e.to_string());
            }
        }
        let rects: Vec<Rect> = monitors.iter().filter_map(rect).collect();
        let min_x = rects.iter().map(|r| r.x).min().unwrap_or(0);
        let min_y = rects.iter().map(|r| r.y).min().unwrap_or(0);
        let max_x = rects
            .iter()
            .map(|r| r.x + r.width as i32)
            .max()
            .unwrap_or(1);
        let max_y = rects
            .iter()
            .map(|r| r.y + r.height as i32)
            .max()
            .unwrap_or(1);
        let mut canvas =
            RgbaImage::new((max_x - min_x).max(1) as u32, (max_y - min_y).max(1) as u32);
        for m in &monitors {
            let (Some(r), Ok(shot)) = (rect(m), m.capture_image()) else {
                continue;
            };
            image::imageops::overlay(
                &mut canvas,
                &shot,
                i64::from(r.x - min_x),
                i64::from(r.y - min_y),
            );
        }
        let _ = monitor_at;
        Ok(canvas)
    }

    pub fn active_window_title() -> Option<String> {
        xcap::Window::all()
            .ok()?
            .into_iter()
            .find(|w| w.is_focused().unwrap_or(false))
            .and_then(|w| w.title().ok())
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
mod platform {
    use super::Scope;
    use image::RgbaImage;

    pub fn screen(_scope: Scope) -> Result<RgbaImage, String> {
        Err("screenshots are not supported on this platform yet".into())
    }

    pub fn active_window_title() -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pointer_picks_its_monitor() {
        let left = Rect {
            x: 0,
            y: 0,
            width: 1920,
            height: 1080,
        };
        let right = Rect {
            x: 1920,
            y: 0,
            width: 2560,
            height: 1440,
        };
        assert_eq!(monitor_at(&[left, right], 2000, 500), Some(right));
        assert_eq!(monitor_at(&[left, right], 1919, 1079), Some(left));
        assert_eq!(monitor_at(&[left, right], 100, 1200), None);
        assert_eq!(Scope::parse("Pointer"), Scope::MonitorUnderPointer);
        assert_eq!(Scope::parse("anything"), Scope::AllMonitors);
    }

    #[test]
    fn x11_pixels_become_rgba() {
        assert_eq!(
            bgrx_to_rgba(vec![1, 2, 3, 0, 9, 8, 7, 0]),
            vec![3, 2, 1, 255, 7, 8, 9, 255]
        );
    }
}
