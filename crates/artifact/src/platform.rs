//! Whether a build can run on the instances' image, checked before anything is uploaded: a
//! macOS or arm64 build, or one linked against a newer glibc than the image's, would upload
//! fine and fail only after boot and rollback. Read from the ELF file itself with `goblin`:
//! its machine, the shared libraries it needs (`DT_NEEDED`) and the symbol versions it needs
//! from them (`.gnu.version_r`, what the dynamic loader checks at start-up).
//!
//! Amazon Linux 2023 ships glibc 2.34 and keeps it for its whole life (its package list:
//! `glibc-2.34-*.amzn2023`; AWS's AL2023 FAQ: core packages keep their major versions, with
//! fixes backported), so GLIBC_2.34 is the newest symbol version a build may need.

use goblin::elf::Elf;
use goblin::elf::header::{EM_AARCH64, EM_X86_64, ET_DYN, ET_EXEC};

/// What the instances' image offers a build.
#[derive(Debug, Clone, Copy)]
pub struct Platform {
    /// For messages, e.g. "Amazon Linux 2023 (x86_64)".
    pub name: &'static str,
    /// The ELF machine the instances run (`EM_X86_64`).
    pub machine: u16,
    /// The image's glibc: the newest `GLIBC_x.y` a build may need.
    pub glibc: [u32; 2],
    /// The shared libraries of the image's base system a build may link against.
    pub libraries: &'static [&'static str],
}

/// The instances' image: Amazon Linux 2023's x86_64 AMI.
pub const AMAZON_LINUX_2023_X86_64: Platform = Platform {
    name: "Amazon Linux 2023 (x86_64)",
    machine: EM_X86_64,
    glibc: [2, 34],
    libraries: &[
        "libc.so.6",
        "libm.so.6",
        "libgcc_s.so.1",
        "ld-linux-x86-64.so.2",
        "libpthread.so.0",
        "libdl.so.2",
        "librt.so.1",
        "libutil.so.1",
    ],
};

/// What a build that fits needs from the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildFit {
    /// The shared libraries it links against (none for a static build).
    pub libraries: Vec<String>,
    /// The newest glibc symbol version it needs, e.g. `GLIBC_2.34`.
    pub newest_glibc: Option<String>,
}

/// Why a build cannot run on the image; each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildMismatch {
    /// Not a Linux executable at all.
    #[error(
        "it is {what}, not a Linux (ELF) executable: build it for Linux, e.g. `cargo build --release -p techchallenge-app` on Linux or with --target x86_64-unknown-linux-gnu"
    )]
    NotElf {
        /// What it looks like ("a macOS (Mach-O) executable", ...).
        what: &'static str,
    },
    /// An ELF file of another kind (an object file, a core dump).
    #[error("it is an ELF file but not an executable (ELF type {kind}): pass the linked program")]
    NotExecutable {
        /// The ELF type.
        kind: u16,
    },
    /// Built for another processor.
    #[error(
        "it is built for {found}, but the instances run {expected}: build with --target x86_64-unknown-linux-gnu"
    )]
    WrongArchitecture {
        /// The build's processor.
        found: String,
        /// The image's.
        expected: String,
    },
    /// Needs a newer glibc than the image's.
    #[error(
        "it needs {needed}, newer than the glibc {have} of {platform}: build it on a system with glibc {have} or older (e.g. with cargo-zigbuild --target x86_64-unknown-linux-gnu.{have}), or statically (x86_64-unknown-linux-musl)"
    )]
    GlibcTooNew {
        /// The newest version it needs, e.g. `GLIBC_2.38`.
        needed: String,
        /// The image's glibc, e.g. `2.34`.
        have: String,
        /// The image.
        platform: &'static str,
    },
    /// Needs glibc's private interface, tied to one glibc build.
    #[error("it needs GLIBC_PRIVATE symbols, which tie it to the exact glibc it was built with")]
    PrivateGlibc,
    /// Needs a shared library the image's base system does not have.
    #[error(
        "it links against {library}, which {platform} does not install by default: link it statically (e.g. rustls instead of OpenSSL) or install it from the boot script"
    )]
    MissingLibrary {
        /// The library, e.g. `libssl.so.3`.
        library: String,
        /// The image.
        platform: &'static str,
    },
}

/// Checks the bytes of a build against `platform`.
pub fn check_build(bytes: &[u8], platform: &Platform) -> Result<BuildFit, BuildMismatch> {
    let elf = match Elf::parse(bytes) {
        Ok(elf) => elf,
        Err(_) => {
            return Err(BuildMismatch::NotElf {
                what: describe(bytes),
            });
        }
    };
    if !matches!(elf.header.e_type, ET_EXEC | ET_DYN) {
        return Err(BuildMismatch::NotExecutable {
            kind: elf.header.e_type,
        });
    }
    if elf.header.e_machine != platform.machine || !elf.is_64 {
        return Err(BuildMismatch::WrongArchitecture {
            found: machine_name(elf.header.e_machine, elf.is_64),
            expected: machine_name(platform.machine, true),
        });
    }
    let mut newest: Option<(Vec<u32>, String)> = None;
    if let Some(verneed) = &elf.verneed {
        for need in verneed.iter() {
            for aux in need.iter() {
                let name = elf.dynstrtab.get_at(aux.vna_name).unwrap_or_default();
                if name == "GLIBC_PRIVATE" {
                    return Err(BuildMismatch::PrivateGlibc);
                }
                if let Some(version) = glibc_version(name)
                    && newest.as_ref().is_none_or(|(v, _)| &version > v)
                {
                    newest = Some((version, name.to_owned()));
                }
            }
        }
    }
    if let Some((version, name)) = &newest
        && version.as_slice() > platform.glibc.as_slice()
    {
        return Err(BuildMismatch::GlibcTooNew {
            needed: name.clone(),
            have: format!("{}.{}", platform.glibc[0], platform.glibc[1]),
            platform: platform.name,
        });
    }
    if let Some(library) = elf
        .libraries
        .iter()
        .find(|l| !platform.libraries.contains(l))
    {
        return Err(BuildMismatch::MissingLibrary {
            library: (*library).to_owned(),
            platform: platform.name,
        });
    }
    Ok(BuildFit {
        libraries: elf.libraries.iter().map(|l| (*l).to_owned()).collect(),
        newest_glibc: newest.map(|(_, name)| name),
    })
}

/// `GLIBC_2.2.5` → `[2, 2, 5]`; anything else (`GCC_3.0`, `GLIBC_PRIVATE`) → `None`.
fn glibc_version(name: &str) -> Option<Vec<u32>> {
    name.strip_prefix("GLIBC_")?
        .split('.')
        .map(|n| n.parse().ok())
        .collect()
}

fn machine_name(machine: u16, is_64: bool) -> String {
    match (machine, is_64) {
        (EM_X86_64, true) => "x86_64".to_owned(),
        (EM_AARCH64, _) => "arm64 (aarch64)".to_owned(),
        (m, false) => format!("a 32-bit processor (ELF machine {m})"),
        (m, true) => format!("ELF machine {m}"),
    }
}

/// What a non-ELF file looks like, by its first bytes.
fn describe(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xcf, 0xfa, 0xed, 0xfe, ..]
        | [0xce, 0xfa, 0xed, 0xfe, ..]
        | [0xca, 0xfe, 0xba, 0xbe, ..] => "a macOS (Mach-O) executable",
        [b'M', b'Z', ..] => "a Windows (PE) executable",
        [b'#', b'!', ..] => "a script",
        [b'P', b'K', 3, 4, ..] => "a zip archive",
        [] => "an empty file",
        _ => "not an executable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal 64-bit little-endian ELF header of `kind` for `machine` (no sections).
    fn elf_header(machine: u16, kind: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2; // 64-bit
        h[5] = 1; // little-endian
        h[6] = 1; // version
        h[16..18].copy_from_slice(&kind.to_le_bytes());
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[52..54].copy_from_slice(&64u16.to_le_bytes()); // header size
        h
    }

    #[test]
    fn this_test_program_fits_and_its_glibc_needs_are_found() {
        // A glibc-linked x86-64 executable: the check must see its libraries and versions, or
        // it could pass real builds by finding nothing.
        let exe = std::env::current_exe().expect("current_exe");
        let bytes = std::fs::read(exe).expect("read");
        let fit = check_build(&bytes, &AMAZON_LINUX_2023_X86_64).expect("fits");
        assert!(fit.libraries.contains(&"libc.so.6".to_owned()), "{fit:?}");
        assert!(fit.newest_glibc.is_some(), "{fit:?}");
    }

    #[test]
    fn other_platforms_and_formats_are_named() {
        let al = &AMAZON_LINUX_2023_X86_64;
        let arm = check_build(&elf_header(EM_AARCH64, ET_DYN), al).expect_err("arm64");
        assert!(arm.to_string().contains("arm64 (aarch64)"), "{arm}");
        assert!(
            arm.to_string().contains("x86_64-unknown-linux-gnu"),
            "{arm}"
        );
        let object = check_build(&elf_header(EM_X86_64, 1), al).expect_err("an object file");
        assert_eq!(object, BuildMismatch::NotExecutable { kind: 1 });
        for (bytes, what) in [
            (&b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"[..], "macOS (Mach-O)"),
            (b"MZ\x90\x00", "Windows (PE)"),
            (b"#!/bin/sh\necho hi\n", "a script"),
            (b"", "an empty file"),
        ] {
            let e = check_build(bytes, al).expect_err(what);
            assert!(e.to_string().contains(what), "{e}");
        }
    }

    #[test]
    fn glibc_versions_compare_by_number() {
        assert_eq!(glibc_version("GLIBC_2.2.5"), Some(vec![2, 2, 5]));
        assert!(glibc_version("GLIBC_2.35").is_some_and(|v| v.as_slice() > [2, 34].as_slice()));
        assert!(glibc_version("GLIBC_2.34").is_some_and(|v| v.as_slice() <= [2, 34].as_slice()));
        assert!(glibc_version("GLIBC_2.4").is_some_and(|v| v.as_slice() < [2, 34].as_slice()));
        assert_eq!(glibc_version("GCC_3.0"), None);
        assert_eq!(glibc_version("GLIBC_PRIVATE"), None);
    }

    #[test]
    fn a_glibc_newer_than_the_image_is_refused_naming_it() {
        // The same program against an image with an older glibc than it needs.
        let exe = std::env::current_exe().expect("current_exe");
        let bytes = std::fs::read(exe).expect("read");
        let old = Platform {
            glibc: [2, 2],
            ..AMAZON_LINUX_2023_X86_64
        };
        let e = check_build(&bytes, &old).expect_err("too new for glibc 2.2");
        assert!(matches!(e, BuildMismatch::GlibcTooNew { .. }), "{e}");
        assert!(e.to_string().contains("glibc 2.2 of"), "{e}");
        let bare = Platform {
            libraries: &["ld-linux-x86-64.so.2"],
            ..AMAZON_LINUX_2023_X86_64
        };
        let e = check_build(&bytes, &bare).expect_err("libc missing");
        assert!(e.to_string().contains("links against lib"), "{e}");
    }
}
