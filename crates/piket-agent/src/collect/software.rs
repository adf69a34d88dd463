//! Installed packages from Linux package managers: the dpkg status file (read directly, no
//! process spawned) and `rpm -qa` output.
// Used only on Linux, compiled and tested everywhere.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

use piket_protocol::Software;

/// Packages marked `install ok installed` in `/var/lib/dpkg/status`, the maintainer as vendor.
pub fn parse_dpkg_status(text: &str) -> Vec<Software> {
    let mut packages = Vec::new();
    for stanza in text.split("\n\n") {
        let (mut name, mut version, mut vendor, mut installed) = ("", "", "", false);
        for line in stanza.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                name = v.trim();
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = v.trim();
            } else if let Some(v) = line.strip_prefix("Maintainer:") {
                vendor = v.trim();
            } else if let Some(v) = line.strip_prefix("Status:") {
                installed = v.trim() == "install ok installed";
            }
        }
        if installed && !name.is_empty() {
            packages.push(Software {
                name: name.to_string(),
                version: version.to_string(),
                vendor: vendor.to_string(),
            });
        }
    }
    packages
}

/// The query format [`parse_rpm_output`] reads.
pub const RPM_QUERY_FORMAT: &str = "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{VENDOR}\\n";

/// Lines of `rpm -qa --qf RPM_QUERY_FORMAT`; rpm prints `(none)` for a missing vendor.
pub fn parse_rpm_output(text: &str) -> Vec<Software> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next()?.trim();
            if name.is_empty() || name == "gpg-pubkey" {
                return None;
            }
            let version = fields.next().unwrap_or_default().trim();
            let vendor = fields.next().unwrap_or_default().trim();
            Some(Software {
                name: name.to_string(),
                version: version.to_string(),
                vendor: if vendor == "(none)" { "" } else { vendor }.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DPKG_STATUS: &str = "\
Package: bash
Essential: yes
Status: install ok installed
Priority: required
Section: shells
Installed-Size: 7164
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Version: 5.2.15-2+b7
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 Multi-line description.

Package: oldpkg
Status: deinstall ok config-files
Maintainer: Someone <s@example.org>
Version: 1.0

Package: zlib1g
Status: install ok installed
Maintainer: Mark Brown <broonie@debian.org>
Version: 1:1.2.13.dfsg-1
";

    #[test]
    fn dpkg_status_keeps_only_installed_packages() {
        let packages = parse_dpkg_status(DPKG_STATUS);
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].name, "bash");
        assert_eq!(packages[0].version, "5.2.15-2+b7");
        assert_eq!(packages[0].vendor, "Matthias Klose <doko@debian.org>");
        assert_eq!(packages[1].name, "zlib1g");
        assert_eq!(packages[1].version, "1:1.2.13.dfsg-1");
    }

    #[test]
    fn rpm_output_is_parsed_and_none_vendor_dropped() {
        let out = "bash\t5.2.26-3.fc40\tFedora Project\n\
                   gpg-pubkey\tabc-def\t(none)\n\
                   mystuff\t1.0-1\t(none)\n";
        let packages = parse_rpm_output(out);
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].vendor, "Fedora Project");
        assert_eq!(packages[0].version, "5.2.26-3.fc40");
        assert_eq!(packages[1].name, "mystuff");
        assert_eq!(packages[1].vendor, "");
    }
}
