//! One native window drawn by egui on the CPU (softbuffer and egui's software renderer): no
//! OpenGL, so it opens on GPU-less VMs, RDP sessions and under Xvfb alike.

use std::num::NonZeroU32;
use std::rc::Rc;

use egui_software_backend::{BufferMutRef, ColorFieldOrder, EguiSoftwareRender};
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, OwnedDisplayHandle};
use winit::window::{Window, WindowId};

/// A window and what draws it.
pub struct EguiWindow {
    pub window: Rc<Window>,
    surface: softbuffer::Surface<OwnedDisplayHandle, Rc<Window>>,
    ctx: egui::Context,
    state: egui_winit::State,
    renderer: EguiSoftwareRender,
    /// Frames presented so far.
    pub frames: u64,
}

impl EguiWindow {
    /// Open a window of `width`×`height` logical pixels, in front.
    pub fn open(
        event_loop: &ActiveEventLoop,
        title: &str,
        width: f64,
        height: f64,
    ) -> Result<EguiWindow, String> {
        let attributes = Window::default_attributes()
            .with_title(title)
            .with_inner_size(winit::dpi::LogicalSize::new(width, height))
            .with_active(true);
        let window = Rc::new(
            event_loop
                .create_window(attributes)
                .map_err(|e| format!("cannot open a window: {e}"))?,
        );
        let context = softbuffer::Context::new(event_loop.owned_display_handle())
            .map_err(|e| format!("cannot draw: {e}"))?;
        let surface = softbuffer::Surface::new(&context, window.clone())
            .map_err(|e| format!("cannot draw: {e}"))?;
        let ctx = egui::Context::default();
        ctx.set_visuals(egui::Visuals::light());
        #[allow(clippy::cast_possible_truncation)]
        let state = egui_winit::State::new(
            ctx.clone(),
            egui::ViewportId::ROOT,
            &window,
            Some(window.scale_factor() as f32),
            None,
            None,
        );
        window.focus_window();
        window.request_redraw();
        Ok(EguiWindow {
            window,
            surface,
            ctx,
            state,
            renderer: EguiSoftwareRender::new(ColorFieldOrder::Bgra),
            frames: 0,
        })
    }

    pub fn id(&self) -> WindowId {
        self.window.id()
    }

    /// Feed an event to egui; on a redraw, run `ui` and paint. `true` when the window asked to
    /// close.
    pub fn event(&mut self, event: &WindowEvent, ui: &mut dyn FnMut(&mut egui::Ui)) -> bool {
        let response = self.state.on_window_event(&self.window, event);
        if response.repaint {
            self.window.request_redraw();
        }
        match event {
            WindowEvent::CloseRequested => true,
            WindowEvent::RedrawRequested => {
                self.paint(ui);
                false
            }
            _ => false,
        }
    }

    /// Ask for another frame (something outside egui changed what it shows).
    pub fn refresh(&self) {
        self.window.request_redraw();
    }

    fn paint(&mut self, ui: &mut dyn FnMut(&mut egui::Ui)) {
        let size = self.window.inner_size();
        let (Some(w), Some(h)) = (
            NonZeroU32::new(size.width.max(1)),
            NonZeroU32::new(size.height.max(1)),
        ) else {
            return;
        };
        if self.surface.resize(w, h).is_err() {
            return;
        }
        let input = self.state.take_egui_input(&self.window);
        let output = self.ctx.run_ui(input, |root| ui(root));
        self.state
            .handle_platform_output(&self.window, output.platform_output);
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        let Ok(mut buffer) = self.surface.buffer_mut() else {
            return;
        };
        buffer.fill(0x00f5_f5f5);
        let mut target = BufferMutRef::new(
            bytemuck::cast_slice_mut(&mut buffer),
            w.get() as usize,
            h.get() as usize,
        );
        self.renderer.render(
            &mut target,
            &primitives,
            &output.textures_delta,
            output.pixels_per_point,
        );
        if buffer.present().is_ok() {
            self.frames += 1;
        }
        // egui asks for a next frame for animations (the spinner) and delayed work.
        if output
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.repaint_delay.is_zero())
        {
            self.window.request_redraw();
        }
    }
}
