//! The helper's words in English and Indonesian, picked from the OS language.

/// Every word the helper shows.
#[derive(Debug)]
pub struct Text {
    pub report: &'static str,
    pub my_tickets: &'static str,
    pub pause: &'static str,
    pub about: &'static str,
    pub quit: &'static str,
    pub discard_refused: &'static str,
    pub waiting_one: &'static str,
    pub waiting_many: &'static str,
    pub refused_some: &'static str,
    pub form_title: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub priority: &'static str,
    pub category: &'static str,
    pub no_category: &'static str,
    pub attach: &'static str,
    pub black_out_hint: &'static str,
    pub undo: &'static str,
    pub details: &'static str,
    pub measuring: &'static str,
    pub submit: &'static str,
    pub cancel: &'static str,
    pub sending: &'static str,
    pub filed: &'static str,
    pub open: &'static str,
    pub close: &'static str,
    pub saved_offline: &'static str,
    pub refused: &'static str,
    pub no_screen: &'static str,
    pub link_title: &'static str,
    pub link_steps: &'static str,
    pub link_code: &'static str,
    pub link_open: &'static str,
    pub link_done: &'static str,
    pub no_tray: &'static str,
    pub priorities: [&'static str; 4],
    pub labels: MachineLabels,
}

/// The names of the machine's details on the form.
#[derive(Debug)]
pub struct MachineLabels {
    pub user: &'static str,
    pub hostname: &'static str,
    pub os: &'static str,
    pub os_user: &'static str,
    pub ips: &'static str,
    pub macs: &'static str,
    pub cpu: &'static str,
    pub ram: &'static str,
    pub disks: &'static str,
    pub uptime: &'static str,
    pub battery: &'static str,
    pub charging: &'static str,
    pub on_battery: &'static str,
    pub public_ip: &'static str,
    pub public_ip_value: &'static str,
    pub server: &'static str,
}

pub const EN: Text = Text {
    report: "Report a problem",
    my_tickets: "My tickets",
    pause: "Pause hotkey",
    about: "About Piket helper",
    quit: "Quit",
    discard_refused: "Discard refused reports",
    waiting_one: "1 report waiting",
    waiting_many: "reports waiting",
    refused_some: "refused by the server",
    form_title: "Report a problem",
    title: "Title",
    description: "What happened?",
    priority: "Priority",
    category: "Category",
    no_category: "(none)",
    attach: "Attach the screenshot",
    black_out_hint: "Drag on the picture to hide a part of it.",
    undo: "Undo",
    details: "Sent with the report",
    measuring: "measuring…",
    submit: "Submit",
    cancel: "Cancel",
    sending: "Sending…",
    filed: "Filed as ticket",
    open: "Open in browser",
    close: "Close",
    saved_offline: "The server cannot be reached. Your report is saved on this computer and will be sent when the server is back.",
    refused: "The server refused the report",
    no_screen: "No screenshot",
    link_title: "Link this computer",
    link_steps: "Your browser opens Piket. Sign in if asked, type this code there, and confirm.",
    link_code: "Code",
    link_open: "Open the page again",
    link_done: "Linked. Press F8 whenever something goes wrong.",
    no_tray: "No tray host available: the tray icon is not shown. Press the hotkey to report a problem.",
    priorities: ["Low", "Normal", "High", "Urgent"],
    labels: MachineLabels {
        user: "Filed as",
        hostname: "Computer",
        os: "Operating system",
        os_user: "Windows/OS user",
        ips: "Local IP",
        macs: "MAC",
        cpu: "CPU",
        ram: "Memory",
        disks: "Disks",
        uptime: "Up for",
        battery: "Battery",
        charging: "charging",
        on_battery: "on battery",
        public_ip: "Public IP",
        public_ip_value: "added by the server",
        server: "Server",
    },
};

pub const ID: Text = Text {
    report: "Laporkan masalah",
    my_tickets: "Tiket saya",
    pause: "Jeda tombol pintas",
    about: "Tentang pembantu Piket",
    quit: "Keluar",
    discard_refused: "Buang laporan yang ditolak",
    waiting_one: "1 laporan menunggu",
    waiting_many: "laporan menunggu",
    refused_some: "ditolak server",
    form_title: "Laporkan masalah",
    title: "Judul",
    description: "Apa yang terjadi?",
    priority: "Prioritas",
    category: "Kategori",
    no_category: "(tidak ada)",
    attach: "Lampirkan tangkapan layar",
    black_out_hint: "Seret pada gambar untuk menyembunyikan sebagian.",
    undo: "Batalkan",
    details: "Dikirim bersama laporan",
    measuring: "mengukur…",
    submit: "Kirim",
    cancel: "Batal",
    sending: "Mengirim…",
    filed: "Dibuat sebagai tiket",
    open: "Buka di peramban",
    close: "Tutup",
    saved_offline: "Server tidak dapat dihubungi. Laporan Anda disimpan di komputer ini dan akan dikirim saat server kembali.",
    refused: "Server menolak laporan",
    no_screen: "Tanpa tangkapan layar",
    link_title: "Tautkan komputer ini",
    link_steps: "Peramban Anda membuka Piket. Masuk jika diminta, ketik kode ini di sana, lalu konfirmasi.",
    link_code: "Kode",
    link_open: "Buka halaman lagi",
    link_done: "Tertaut. Tekan F8 kapan pun ada masalah.",
    no_tray: "Tidak ada tempat ikon baki: ikon tidak ditampilkan. Tekan tombol pintas untuk melaporkan masalah.",
    priorities: ["Rendah", "Normal", "Tinggi", "Mendesak"],
    labels: MachineLabels {
        user: "Dibuat sebagai",
        hostname: "Komputer",
        os: "Sistem operasi",
        os_user: "Pengguna Windows/OS",
        ips: "IP lokal",
        macs: "MAC",
        cpu: "CPU",
        ram: "Memori",
        disks: "Disk",
        uptime: "Menyala selama",
        battery: "Baterai",
        charging: "sedang diisi",
        on_battery: "memakai baterai",
        public_ip: "IP publik",
        public_ip_value: "ditambahkan server",
        server: "Server",
    },
};

/// The words for an OS language tag (`id-ID`, `in_ID.UTF-8`, `en-US`, …).
pub fn for_locale(tag: Option<&str>) -> &'static Text {
    let lower = tag.unwrap_or_default().to_ascii_lowercase();
    // `in` is the old code for Indonesian that Java and some Windows APIs still use.
    if lower.starts_with("id") || lower.starts_with("in_") || lower.starts_with("in-") {
        &ID
    } else {
        &EN
    }
}

/// The words for this OS's language (`PIKET_LANG` wins, for tests and for people who want it).
pub fn current() -> &'static Text {
    let forced = std::env::var("PIKET_LANG").ok();
    for_locale(forced.or_else(sys_locale::get_locale).as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_systems_get_indonesian() {
        assert_eq!(for_locale(Some("id-ID")).submit, "Kirim");
        assert_eq!(for_locale(Some("in_ID.UTF-8")).submit, "Kirim");
        assert_eq!(for_locale(Some("en-US")).submit, "Submit");
        assert_eq!(for_locale(Some("de-DE")).submit, "Submit");
        assert_eq!(for_locale(None).submit, "Submit");
    }
}
