//! The report form (egui): the screenshot's thumbnail with the choice to leave it out or black
//! out parts of it, title, description, priority, category, the machine's details read-only,
//! and Submit at the bottom right. Esc cancels, Ctrl+Enter submits, Tab walks the fields.

use egui::{Color32, Key, Modifiers, Pos2, Rect, Sense, Stroke, Vec2};
use image::RgbaImage;
use piket_protocol::desktop::MachineState;

use super::text::Text;

/// Longest side of the thumbnail on the form, in points.
const THUMB_W: f32 = 520.0;
const THUMB_H: f32 = 240.0;
/// The priorities, as the server names them, in the order of `Text::priorities`.
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

/// Where the form is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Editing,
    Sending,
    Filed { ticket_id: i64, url: String },
    Offline,
    Refused(String),
}

/// What the user asked for this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Submit,
    Close,
    Open(String),
}

pub struct Form {
    text: &'static Text,
    pub screen: Option<RgbaImage>,
    pub screen_problem: Option<String>,
    thumb: Option<egui::TextureHandle>,
    pub attach: bool,
    /// Rectangles to black out, in the screenshot's pixels.
    pub blackouts: Vec<[u32; 4]>,
    drag_from: Option<Pos2>,
    pub title: String,
    pub description: String,
    pub priority: usize,
    pub category: Option<i64>,
    pub categories: Vec<(i64, String)>,
    pub machine: Option<MachineState>,
    pub user: String,
    pub stage: Stage,
    focused_once: bool,
}

impl Form {
    pub fn new(
        text: &'static Text,
        screen: Option<RgbaImage>,
        screen_problem: Option<String>,
        title: String,
        categories: Vec<(i64, String)>,
        user: String,
    ) -> Form {
        Form {
            text,
            attach: screen.is_some(),
            screen,
            screen_problem,
            thumb: None,
            blackouts: Vec::new(),
            drag_from: None,
            title,
            description: String::new(),
            priority: 1,
            category: None,
            categories,
            machine: None,
            user,
            stage: Stage::Editing,
            focused_once: false,
        }
    }

    /// The screenshot as sent: the black rectangles painted in, encoded as PNG; `None` when
    /// the user left it out.
    pub fn screenshot_png(&self) -> Option<Vec<u8>> {
        let mut image = self.screen.clone().filter(|_| self.attach)?;
        blacken(&mut image, &self.blackouts);
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).ok()?;
        Some(out.into_inner())
    }

    /// Draw the form; what the user asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Action {
        let t = self.text;
        if ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
            return Action::Close;
        }
        match self.stage.clone() {
            Stage::Editing => {}
            Stage::Sending => {
                ui.heading(t.sending);
                ui.spinner();
                return Action::None;
            }
            Stage::Filed { ticket_id, url } => {
                return self.after(ui, &format!("{} #{ticket_id}", t.filed), Some(url))
            }
            Stage::Offline => return self.after(ui, t.saved_offline, None),
            Stage::Refused(why) => return self.after(ui, &format!("{}: {why}", t.refused), None),
        }
        let submit_keys = ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Enter));
        let mut action = Action::None;
        egui::Panel::bottom("actions")
            .exact_size(52.0)
            .resizable(false)
            .show_inside(ui, |ui| {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let submit = egui::Button::new(
                        egui::RichText::new(t.submit)
                            .strong()
                            .size(16.0)
                            .color(Color32::WHITE),
                    )
                    .fill(Color32::from_rgb(0x1f, 0x6f, 0xd1))
                    .min_size(Vec2::new(120.0, 32.0));
                    if ui
                        .add_enabled(!self.title.trim().is_empty(), submit)
                        .clicked()
                    {
                        action = Action::Submit;
                    }
                    if ui.button(t.cancel).clicked() {
                        action = Action::Close;
                    }
                });
            });
        egui::CentralPanel::default_margins().show_inside(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.fields(ui));
        });
        if submit_keys && !self.title.trim().is_empty() {
            action = Action::Submit;
        }
        action
    }

    fn after(&mut self, ui: &mut egui::Ui, message: &str, url: Option<String>) -> Action {
        let t = self.text;
        let mut action = Action::None;
        ui.add_space(12.0);
        ui.label(egui::RichText::new(message).size(16.0));
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            if let Some(url) = url {
                if ui.button(t.open).clicked() {
                    action = Action::Open(url);
                }
            }
            if ui.button(t.close).clicked() {
                action = Action::Close;
            }
        });
        action
    }

    fn fields(&mut self, ui: &mut egui::Ui) {
        let t = self.text;
        self.picture(ui);
        ui.add_space(6.0);
        ui.label(t.title);
        let mut title = egui::TextEdit::singleline(&mut self.title)
            .desired_width(f32::INFINITY)
            .char_limit(200)
            .show(ui);
        if !self.focused_once {
            // The active window's title is a suggestion: selected, so typing replaces it.
            title.response.request_focus();
            let all = egui::text::CCursorRange::select_all(&title.galley);
            title.state.cursor.set_char_range(Some(all));
            title.state.store(ui.ctx(), title.response.id);
            self.focused_once = true;
        }
        ui.label(t.description);
        ui.add(
            egui::TextEdit::multiline(&mut self.description)
                .desired_rows(5)
                .desired_width(f32::INFINITY),
        );
        ui.horizontal(|ui| {
            ui.label(t.priority);
            egui::ComboBox::from_id_salt("priority")
                .selected_text(t.priorities[self.priority.min(3)])
                .show_ui(ui, |ui| {
                    for (i, name) in t.priorities.iter().enumerate() {
                        ui.selectable_value(&mut self.priority, i, *name);
                    }
                });
            ui.label(t.category);
            let chosen = self
                .categories
                .iter()
                .find(|(id, _)| Some(*id) == self.category)
                .map_or(t.no_category, |(_, n)| n.as_str())
                .to_string();
            egui::ComboBox::from_id_salt("category")
                .selected_text(chosen)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.category, None, t.no_category);
                    for (id, name) in &self.categories {
                        ui.selectable_value(&mut self.category, Some(*id), name.as_str());
                    }
                });
        });
        ui.add_space(6.0);
        egui::CollapsingHeader::new(t.details)
            .default_open(true)
            .show(ui, |ui| self.details(ui));
    }

    fn picture(&mut self, ui: &mut egui::Ui) {
        let t = self.text;
        let Some(screen) = &self.screen else {
            let why = self.screen_problem.clone().unwrap_or_default();
            ui.label(format!("{}: {why}", t.no_screen));
            return;
        };
        let (w, h) = screen.dimensions();
        let tex = self.thumb.get_or_insert_with(|| {
            let small = image::imageops::thumbnail(
                screen,
                1040.min(w),
                (1040 * h / w.max(1)).clamp(1, 480),
            );
            let size = [small.width() as usize, small.height() as usize];
            let color = egui::ColorImage::from_rgba_unmultiplied(size, small.as_raw());
            ui.ctx()
                .load_texture("screenshot", color, egui::TextureOptions::LINEAR)
        });
        #[allow(clippy::cast_precision_loss)]
        let scale = (THUMB_W / w as f32).min(THUMB_H / h as f32);
        #[allow(clippy::cast_precision_loss)]
        let size = Vec2::new(w as f32 * scale, h as f32 * scale);
        ui.checkbox(&mut self.attach, t.attach);
        if !self.attach {
            return;
        }
        let (rect, response) = ui.allocate_exact_size(size, Sense::drag());
        let painter = ui.painter_at(rect);
        painter.image(
            tex.id(),
            rect,
            Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
            Color32::WHITE,
        );
        let to_screen = |b: &[u32; 4]| {
            #[allow(clippy::cast_precision_loss)]
            Rect::from_min_max(
                rect.min + Vec2::new(b[0] as f32, b[1] as f32) * scale,
                rect.min + Vec2::new(b[2] as f32, b[3] as f32) * scale,
            )
        };
        for b in &self.blackouts {
            painter.rect_filled(to_screen(b), 0.0, Color32::BLACK);
        }
        if response.drag_started() {
            self.drag_from = response.interact_pointer_pos();
        }
        if let (Some(from), Some(to)) = (self.drag_from, response.interact_pointer_pos()) {
            let live = Rect::from_two_pos(from, to);
            painter.rect_stroke(
                live,
                0.0,
                Stroke::new(2.0, Color32::RED),
                egui::StrokeKind::Inside,
            );
            if response.drag_stopped() {
                let pixel = |p: Pos2| {
                    let local = (p - rect.min) / scale;
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    (
                        local.x.clamp(0.0, w as f32) as u32,
                        local.y.clamp(0.0, h as f32) as u32,
                    )
                };
                let (x0, y0) = pixel(live.min);
                let (x1, y1) = pixel(live.max);
                if x1 > x0 && y1 > y0 {
                    self.blackouts.push([x0, y0, x1, y1]);
                }
                self.drag_from = None;
            }
        }
        ui.horizontal(|ui| {
            ui.small(t.black_out_hint);
            if ui
                .add_enabled(!self.blackouts.is_empty(), egui::Button::new(t.undo))
                .clicked()
            {
                self.blackouts.pop();
            }
        });
    }

    fn details(&self, ui: &mut egui::Ui) {
        let l = &self.text.labels;
        let row = |ui: &mut egui::Ui, label: &str, value: String| {
            ui.label(egui::RichText::new(label).strong());
            ui.label(value);
            ui.end_row();
        };
        egui::Grid::new("machine")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                row(ui, l.user, self.user.clone());
                let Some(m) = &self.machine else {
                    row(ui, l.hostname, self.text.measuring.to_string());
                    return;
                };
                row(ui, l.hostname, m.hostname.clone());
                row(ui, l.os, m.os.clone());
                row(ui, l.os_user, m.os_user.clone());
                row(ui, l.ips, m.local_ips.join(", "));
                row(ui, l.public_ip, l.public_ip_value.to_string());
                row(ui, l.macs, m.macs.join(", "));
                row(
                    ui,
                    l.cpu,
                    format!(
                        "{} % · {} ×",
                        m.cpu_percent.map_or("—".into(), |p| format!("{p:.0}")),
                        m.logical_processors.map_or("—".into(), |n| n.to_string())
                    ),
                );
                row(
                    ui,
                    l.ram,
                    format!(
                        "{} % · {}",
                        m.ram_percent.map_or("—".into(), |p| format!("{p:.0}")),
                        m.ram_total_bytes.map_or("—".into(), gib)
                    ),
                );
                let disks: Vec<String> = m
                    .disks
                    .iter()
                    .map(|d| format!("{} {} / {}", d.mount, gib(d.used_bytes), gib(d.total_bytes)))
                    .collect();
                row(ui, l.disks, disks.join("\n"));
                row(ui, l.uptime, m.uptime_seconds.map_or("—".into(), uptime));
                if let Some(p) = m.battery_percent {
                    let state = match m.battery_charging {
                        Some(true) => l.charging,
                        Some(false) => l.on_battery,
                        None => "",
                    };
                    row(ui, l.battery, format!("{p} % {state}"));
                }
            });
    }
}

#[allow(clippy::cast_precision_loss)]
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

fn uptime(s: u64) -> String {
    format!(
        "{} d {} h {} min",
        s / 86_400,
        s % 86_400 / 3600,
        s % 3600 / 60
    )
}

/// Paint the rectangles black (clipped to the image).
pub fn blacken(image: &mut RgbaImage, boxes: &[[u32; 4]]) {
    let (w, h) = image.dimensions();
    for b in boxes {
        for y in b[1].min(h)..b[3].min(h) {
            for x in b[0].min(w)..b[2].min(w) {
                image.put_pixel(x, y, image::Rgba([0, 0, 0, 255]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blacked_out_parts_leave_the_computer_black_and_the_rest_untouched() {
        let screen = RgbaImage::from_pixel(40, 20, image::Rgba([200, 100, 50, 255]));
        let mut form = Form::new(
            &super::super::text::EN,
            Some(screen),
            None,
            "t".into(),
            vec![],
            String::new(),
        );
        form.blackouts.push([5, 5, 10, 100]);
        let png = form.screenshot_png().unwrap();
        let back = image::load_from_memory(&png).unwrap().to_rgba8();
        assert_eq!(back.get_pixel(6, 6).0, [0, 0, 0, 255]);
        assert_eq!(back.get_pixel(6, 19).0, [0, 0, 0, 255]);
        assert_eq!(back.get_pixel(20, 6).0, [200, 100, 50, 255]);
        form.attach = false;
        assert_eq!(form.screenshot_png(), None);
    }
}
