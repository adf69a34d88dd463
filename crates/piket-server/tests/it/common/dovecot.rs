//! A real Dovecot (IMAP and POP3) for the mail tests: Debian's `dovecot` run unprivileged in the
//! foreground with a throwaway config, one static password for every user, Maildirs and a
//! self-signed certificate under a temp directory, on free loopback ports. Mail is delivered
//! by writing into the user's Maildir. `None` (the test says SKIPPED) where Dovecot is not
//! installed.

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "secret";

pub struct Dovecot {
    dir: tempfile::TempDir,
    child: Option<Child>,
    pub imap: u16,
    pub imaps: u16,
    pub pop3: u16,
    pub pop3s: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn binary() -> Option<PathBuf> {
    ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

static SEQ: AtomicU64 = AtomicU64::new(0);

impl Dovecot {
    /// Start one, or `None` (and say SKIPPED) when Dovecot is not installed.
    pub fn start(test: &str) -> Option<Dovecot> {
        let Some(bin) = binary() else {
            eprintln!("SKIPPED {test}: dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["run", "state", "home"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::set_permissions(root.join("home"), std::fs::Permissions::from_mode(0o777))
            .unwrap();
        // As root the mail processes run as nobody: they must reach the homes.
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let ok = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(root.join("key.pem"))
            .arg("-out")
            .arg(root.join("cert.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "openssl could not make a test certificate");
        // Dovecot refuses uid 0 for mail: as root the mail processes run as nobody.
        let (uid, gid) = match (id("-u"), id("-g")) {
            (0, _) => (65534, 65534),
            (u, g) => (u, g),
        };
        let mut dv = Dovecot {
            child: None,
            imap: free_port(),
            imaps: free_port(),
            pop3: free_port(),
            pop3s: free_port(),
            dir,
        };
        let r = dv.dir.path().display().to_string();
        let conf = format!(
            r#"protocols = imap pop3
listen = 127.0.0.1
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
default_internal_user = {user}
default_login_user = {user}
default_internal_group = {group}
ssl = yes
ssl_cert = <{r}/cert.pem
ssl_key = <{r}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={r}/home/%u
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
  }}
}}
"#,
            user = if uid == 65534 {
                "nobody".to_string()
            } else {
                whoami()
            },
            group = if uid == 65534 {
                "nogroup".to_string()
            } else {
                group_name()
            },
            imap = dv.imap,
            imaps = dv.imaps,
            pop3 = dv.pop3,
            pop3s = dv.pop3s,
        );
        std::fs::write(root_of(&dv).join("dovecot.conf"), conf).unwrap();
        dv.run(&bin);
        Some(dv)
    }

    fn run(&mut self, bin: &Path) {
        let root = root_of(self).to_path_buf();
        // A killed Dovecot leaves its pid file and sockets; it refuses to start over them.
        let _ = std::fs::remove_dir_all(root.join("run"));
        std::fs::create_dir_all(root.join("run")).unwrap();
        // Its own process group, so that a kill takes its imap and pop3 processes too (they
        // outlive a killed master and would go on serving the open connection).
        let child = Command::new(bin)
            .process_group(0)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.imap)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot did not start: {}",
                std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kill it at once (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--"])
                .arg(format!("-{}", c.id()))
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
        // Its login and mail processes follow the master out.
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", self.imap)).is_ok()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn restart(&mut self) {
        self.kill();
        self.run(&binary().unwrap());
    }

    fn maildir(&self, user: &str) -> PathBuf {
        let md = root_of(self).join("home").join(user).join("Maildir");
        for d in ["", "new", "cur", "tmp"] {
            let p = md.join(d);
            if !p.exists() {
                std::fs::create_dir_all(&p).unwrap();
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
            }
        }
        let home = root_of(self).join("home").join(user);
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o777)).unwrap();
        md
    }

    /// Deliver `raw` to `user`'s inbox.
    pub fn deliver(&self, user: &str, raw: &[u8]) {
        let md = self.maildir(user);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}.{n}.piket-test", std::process::id());
        let tmp = md.join("tmp").join(&name);
        let mut f = std::fs::File::create(&tmp).unwrap();
        f.write_all(raw).unwrap();
        drop(f);
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o666)).unwrap();
        std::fs::rename(&tmp, md.join("new").join(name)).unwrap();
    }

    /// Mails left in `user`'s inbox (new and cur).
    pub fn count(&self, user: &str) -> usize {
        let md = self.maildir(user);
        ["new", "cur"]
            .iter()
            .map(|d| {
                std::fs::read_dir(md.join(d))
                    .map(|r| r.count())
                    .unwrap_or(0)
            })
            .sum()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(root_of(self).join("dovecot.log")).unwrap_or_default()
    }
}

fn root_of(dv: &Dovecot) -> &Path {
    dv.dir.path()
}

fn id(flag: &str) -> u32 {
    let out = Command::new("id").arg(flag).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "nobody".into())
}

fn group_name() -> String {
    let out = Command::new("id").arg("-gn").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.kill();
    }
}
