//! Tests of the Windows mapping with values recorded from a Windows 11 laptop and from Wine 8.

use super::*;
use crate::collect::windows::facts::*;

fn s(value: &str) -> Option<String> {
    Some(value.to_string())
}

/// A ThinkPad on Windows 11 23H2, as WMI and the registry answered.
fn windows_11_laptop() -> WindowsFacts {
    WindowsFacts {
        computer_name: s("PC-FINANCE-07"),
        os: Some(OsFacts {
            caption: s("Microsoft Windows 11 Pro"),
            build_number: s("22631"),
            version: s("10.0.22631"),
            csd_version: None,
            os_architecture: s("64-bit"),
            last_boot_up_time: s("20261207083000.500000+060"),
        }),
        computer_system: Some(ComputerSystemFacts {
            manufacturer: s("LENOVO"),
            model: s("20XW0055GE"),
            name: s("PC-FINANCE-07"),
            total_physical_memory: Some(17_011_355_648),
            user_name: s(r"CORP\alice"),
        }),
        processors: vec![ProcessorFacts {
            name: s("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz"),
            number_of_cores: Some(4),
            number_of_logical_processors: Some(8),
        }],
        bios: Some(BiosFacts {
            manufacturer: s("LENOVO"),
            serial_number: s("PF3ABCDE"),
            smbios_bios_version: s("N32ET86W (1.62 )"),
            release_date: s("20230914000000.000000+000"),
        }),
        chassis_types: vec![10],
        disks: vec![DiskFacts {
            device_id: s(r"\\.\PHYSICALDRIVE0"),
            model: s("SAMSUNG MZVLB512HBJQ-000L7"),
            serial_number: s("S4ENNX0R123456"),
            size: Some(512_105_932_800),
        }],
        batteries: vec![BatteryFacts {
            estimated_charge_remaining: Some(76),
            battery_status: Some(2),
        }],
        logical_disks: vec![LogicalDiskFacts {
            device_id: s("C:"),
            drive_type: Some(3),
            file_system: s("NTFS"),
            size: Some(511_137_099_776),
            free_space: Some(201_326_592_000),
        }],
        network_adapters: vec![NetworkAdapterFacts {
            description: s("Intel(R) Wi-Fi 6 AX201 160MHz"),
            mac_address: s("A4:C3:F0:12:34:56"),
            ip_addresses: vec!["10.0.0.7".into(), "fe80::1c2:3ff:fe4:5".into()],
        }],
        current_version: Some(CurrentVersionFacts {
            product_name: s("Windows 10 Pro"),
            display_version: s("23H2"),
            release_id: s("2009"),
            current_build: s("22631"),
            ubr: Some(3880),
        }),
        uninstall: vec![
            UninstallEntry {
                display_name: s("7-Zip 23.01 (x64)"),
                display_version: s("23.01"),
                publisher: s("Igor Pavlov"),
                ..UninstallEntry::default()
            },
            UninstallEntry {
                display_name: s("Office 16 Click-to-Run Extensibility Component"),
                system_component: true,
                ..UninstallEntry::default()
            },
            UninstallEntry {
                display_name: s("Security Update for Windows (KB5034441)"),
                has_parent: true,
                ..UninstallEntry::default()
            },
            // An Uninstall subkey with no DisplayName (left by an installer).
            UninstallEntry::default(),
            UninstallEntry {
                display_name: s("Adobe Acrobat Reader DC"),
                display_version: s("23.008.20470"),
                publisher: s("Adobe Systems Incorporated"),
                ..UninstallEntry::default()
            },
            // The same program seen through the 32-bit registry view too.
            UninstallEntry {
                display_name: s("7-Zip 23.01 (x64)"),
                display_version: s("23.01"),
                publisher: s("Igor Pavlov"),
                ..UninstallEntry::default()
            },
        ],
    }
}

/// What Wine 8 answered (Debian 12, fresh prefix): WMI values as recorded, no battery, and a
/// registry without DisplayVersion, ReleaseId, UBR or any Uninstall entry.
fn wine_8() -> WindowsFacts {
    WindowsFacts {
        computer_name: s("VM"),
        os: Some(OsFacts {
            caption: s("Microsoft Windows 7 Professional"),
            build_number: s("7601"),
            version: s("6.1.7601"),
            csd_version: s("Service Pack 1"),
            os_architecture: s("64-bit"),
            last_boot_up_time: s("20261207200927.644000+000"),
        }),
        computer_system: Some(ComputerSystemFacts {
            manufacturer: s("The Wine Project"),
            model: s("Wine"),
            name: s("VM"),
            total_physical_memory: Some(25_276_178_432),
            user_name: s(r"VM\root"),
        }),
        processors: vec![ProcessorFacts {
            name: s("AMD EPYC"),
            number_of_cores: Some(2),
            number_of_logical_processors: Some(2),
        }],
        bios: Some(BiosFacts {
            manufacturer: s("The Wine Project"),
            serial_number: s("0"),
            smbios_bios_version: s("Wine"),
            release_date: s("20120608000000.000000+000"),
        }),
        chassis_types: vec![2],
        disks: vec![DiskFacts {
            device_id: s(r"\\\\.\\PHYSICALDRIVE0"),
            model: s("Wine Disk Drive"),
            serial_number: s("WINEHDISK"),
            size: Some(82_252_800_000),
        }],
        batteries: vec![],
        logical_disks: vec![
            LogicalDiskFacts {
                device_id: s("Z:"),
                drive_type: Some(3),
                file_system: s("NTFS"),
                size: Some(82_252_800_000),
                free_space: Some(69_718_994_944),
            },
            LogicalDiskFacts {
                device_id: s("C:"),
                drive_type: Some(3),
                file_system: s("NTFS"),
                size: Some(82_252_800_000),
                free_space: Some(69_718_994_944),
            },
        ],
        network_adapters: vec![
            NetworkAdapterFacts {
                description: s("eth0"),
                mac_address: s("02:fc:00:00:00:01"),
                ip_addresses: vec![
                    "fd00::2".into(),
                    "fe80::fc:ff:fe00:1%4".into(),
                    "192.0.2.2".into(),
                ],
            },
            NetworkAdapterFacts {
                description: s("ifb0"),
                mac_address: s("5a:3b:0a:15:31:0d"),
                ip_addresses: vec![],
            },
        ],
        current_version: Some(CurrentVersionFacts {
            product_name: s("Microsoft Windows 7"),
            current_build: s("7601"),
            ..CurrentVersionFacts::default()
        }),
        uninstall: vec![],
    }
}

fn filled(facts: &WindowsFacts, now_unix: i64) -> Inventory {
    let mut inventory = Inventory::default();
    fill(&mut inventory, facts, now_unix);
    inventory
}

#[test]
fn windows_11_is_recognised_by_build_number() {
    assert_eq!(
        windows_os_name("Windows 10 Pro", "", "22631"),
        "Windows 11 Pro"
    );
    assert_eq!(
        windows_os_name("Windows 10 Enterprise", "", "22000"),
        "Windows 11 Enterprise"
    );
    assert_eq!(
        windows_os_name("Windows 10 Pro", "", "19045"),
        "Windows 10 Pro"
    );
    assert_eq!(
        windows_os_name("", "Microsoft Windows 11 Home", "26100"),
        "Windows 11 Home"
    );
    assert_eq!(
        windows_os_name("Windows Server 2022 Standard", "", "20348"),
        "Windows Server 2022 Standard"
    );
    assert_eq!(
        windows_os_name(
            "Microsoft Windows 7",
            "Microsoft Windows 7 Professional",
            "7601"
        ),
        "Windows 7"
    );
}

#[test]
fn a_windows_11_laptop_is_read_into_the_inventory() {
    // Booted 2026-12-07 07:30:00 UTC (08:30 at +060); one day later.
    let boot = 1_796_628_600;
    let inv = filled(&windows_11_laptop(), boot + 86_400);
    assert_eq!(inv.hostname, "PC-FINANCE-07");
    assert_eq!(inv.os.name, "Windows 11 Pro");
    assert_eq!(inv.os.version, "23H2");
    assert_eq!(inv.os.build, "22631");
    assert_eq!(inv.os.kernel, "10.0.22631.3880");
    assert_eq!(inv.os.arch, "64-bit");
    assert_eq!(
        inv.hardware,
        Hardware {
            manufacturer: "LENOVO".into(),
            model: "20XW0055GE".into(),
            serial: "PF3ABCDE".into(),
            chassis: "laptop".into(),
            bios_vendor: "LENOVO".into(),
            bios_version: "N32ET86W (1.62 )".into(),
            bios_date: "2023-09-14".into(),
        }
    );
    assert_eq!((inv.cpu.cores, inv.cpu.threads), (4, 8));
    assert_eq!(inv.memory_bytes, Some(17_011_355_648));
    assert_eq!(inv.disks.len(), 1);
    assert_eq!(inv.disks[0].name, r"\\.\PHYSICALDRIVE0");
    assert_eq!(inv.disks[0].size_bytes, Some(512_105_932_800));
    assert_eq!(inv.user, r"CORP\alice");
    assert_eq!(inv.uptime_seconds, Some(86_400));
    assert_eq!(
        inv.battery,
        Some(Battery {
            percent: Some(76),
            status: "charging".into()
        })
    );
    assert_eq!(
        inv.filesystems,
        vec![FileSystem {
            mount: "C:\\".into(),
            fs_type: "NTFS".into(),
            total_bytes: Some(511_137_099_776),
            free_bytes: Some(201_326_592_000),
        }]
    );
    assert_eq!(
        inv.interfaces,
        vec![NetInterface {
            name: "Intel(R) Wi-Fi 6 AX201 160MHz".into(),
            mac: "a4:c3:f0:12:34:56".into(),
            ips: vec!["10.0.0.7".into()],
        }],
        "MAC in lower case like sysinfo's, link-local address left out"
    );
    let names: Vec<&str> = inv.software.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["7-Zip 23.01 (x64)", "Adobe Acrobat Reader DC"]);
    assert_eq!(inv.software[1].vendor, "Adobe Systems Incorporated");
}

#[test]
fn what_wine_answers_is_mapped_and_its_placeholders_dropped() {
    let inv = filled(&wine_8(), 1_796_674_167 + 60);
    assert_eq!(inv.os.name, "Windows 7");
    assert_eq!(inv.os.version, "Service Pack 1");
    assert_eq!(inv.os.build, "7601");
    assert_eq!(
        inv.os.kernel, "6.1.7601",
        "no UBR: the kernel stays as WMI says"
    );
    assert_eq!(inv.hardware.manufacturer, "The Wine Project");
    assert_eq!(
        inv.hardware.serial, "",
        "BIOS serial \"0\" is a placeholder"
    );
    assert_eq!(inv.hardware.chassis, "", "chassis type 2 means unknown");
    assert_eq!(inv.hardware.bios_date, "2012-06-08");
    assert_eq!(inv.cpu.model, "AMD EPYC");
    assert_eq!(inv.memory_bytes, Some(25_276_178_432));
    assert_eq!(inv.disks[0].model, "Wine Disk Drive");
    assert_eq!(inv.uptime_seconds, Some(60));
    assert_eq!(inv.battery, None);
    assert!(inv.software.is_empty());
    let mounts: Vec<&str> = inv.filesystems.iter().map(|f| f.mount.as_str()).collect();
    assert_eq!(mounts, [r"C:\", r"Z:\"]);
    assert_eq!(inv.interfaces.len(), 2);
    assert_eq!(inv.interfaces[0].name, "eth0");
    assert_eq!(
        inv.interfaces[0].ips,
        ["192.0.2.2", "fd00::2"],
        "the scoped link-local address is left out"
    );
    assert!(
        inv.interfaces[1].ips.is_empty(),
        "an adapter with only a MAC stays"
    );
}

#[test]
fn classes_that_failed_leave_only_their_fields_empty() {
    // Only Win32_Processor and the registry answered.
    let facts = WindowsFacts {
        computer_system: None,
        os: None,
        bios: None,
        disks: vec![],
        computer_name: None,
        ..windows_11_laptop()
    };
    let inv = filled(&facts, 0);
    assert_eq!(inv.hostname, "");
    assert_eq!(
        inv.os.name, "Windows 11 Pro",
        "the registry alone names the OS"
    );
    assert_eq!(inv.os.kernel, "");
    assert_eq!(inv.hardware.manufacturer, "");
    assert_eq!(inv.hardware.chassis, "laptop");
    assert_eq!(inv.cpu.threads, 8);
    assert_eq!(inv.memory_bytes, None);
    assert_eq!(inv.uptime_seconds, None);
    assert!(inv.disks.is_empty());
    // With no registry either, WMI's caption and build name the OS.
    let facts = WindowsFacts {
        current_version: None,
        ..windows_11_laptop()
    };
    let inv = filled(&facts, 0);
    assert_eq!(inv.os.name, "Windows 11 Pro");
    assert_eq!(inv.os.build, "22631");
    assert_eq!(inv.os.version, "");
    // Nothing at all: an empty inventory, no panic.
    assert_eq!(filled(&WindowsFacts::default(), 0), Inventory::default());
}

#[test]
fn odd_values_degrade_instead_of_failing() {
    let mut facts = windows_11_laptop();
    facts.computer_name = s("  ");
    // A boot time in the future (clock changed) gives no uptime rather than a huge one.
    facts.os.as_mut().unwrap().last_boot_up_time = s("20991231000000.000000+000");
    facts.batteries = vec![
        BatteryFacts {
            estimated_charge_remaining: Some(255),
            battery_status: Some(1),
        },
        BatteryFacts::default(),
    ];
    facts.processors.push(ProcessorFacts {
        name: s("second socket"),
        number_of_cores: Some(4),
        number_of_logical_processors: None,
    });
    facts.chassis_types = vec![2, 9];
    // A network drive, a drive without a size and an adapter with nothing to report.
    facts.logical_disks = vec![
        LogicalDiskFacts {
            device_id: s("N:"),
            drive_type: Some(4),
            size: Some(1),
            ..LogicalDiskFacts::default()
        },
        LogicalDiskFacts {
            device_id: s("D:"),
            drive_type: Some(3),
            ..LogicalDiskFacts::default()
        },
    ];
    facts.network_adapters = vec![NetworkAdapterFacts {
        description: s("Loopback"),
        mac_address: None,
        ip_addresses: vec!["127.0.0.1".into(), "not an address".into()],
    }];
    let inv = filled(&facts, 1_796_628_600);
    assert_eq!(
        inv.hostname, "PC-FINANCE-07",
        "COMPUTERNAME blank: WMI's name"
    );
    assert_eq!(inv.uptime_seconds, None);
    assert_eq!(
        inv.battery,
        Some(Battery {
            percent: Some(100),
            status: "discharging".into()
        })
    );
    assert_eq!((inv.cpu.cores, inv.cpu.threads), (8, 8));
    assert_eq!(
        inv.hardware.chassis, "laptop",
        "the first telling type wins"
    );
    // A battery row without a status is no battery reading.
    facts.batteries = vec![BatteryFacts::default()];
    assert_eq!(filled(&facts, 0).battery, None);
}
