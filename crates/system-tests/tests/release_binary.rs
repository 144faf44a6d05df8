//! The application build runs on the instances' image (issue 5): it is an x86-64 ELF (the launch
//! template uses Amazon Linux 2023's x86_64 AMI) that needs no newer glibc than the image's and
//! no shared library the image lacks.
//!
//! Amazon Linux 2023 ships glibc 2.34 and keeps it for its whole life (its release notes'
//! package list: `glibc-2.34-*.amzn2023`; AWS's AL2023 FAQ: core packages keep their major
//! versions, with fixes backported), so GLIBC_2.34 is the highest symbol version the build may
//! need. The versions are read from the ELF's own `.gnu.version_r` section (what the dynamic
//! loader checks at start-up) by a small reader here, so the test needs no tool.
//!
//! Checks `TECHCHALLENGE_APP_BINARY`, else `<workspace>/target/release/TechChallengeApp`
//! (`scripts/test` builds it before the tests run).

/// Amazon Linux 2023's glibc (see the file comment).
const AMI_GLIBC: [u32; 2] = [2, 34];
/// Libraries of the AMI's base system that the build may link against.
const AMI_LIBRARIES: [&str; 8] = [
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
];

#[test]
fn the_release_binary_runs_on_amazon_linux_2023_x86_64() {
    let Some(path) = techchallenge_system_tests::builds::app_binary() else {
        return;
    };
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let elf = Elf::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(elf.machine, EM_X86_64, "an x86-64 executable");

    let needed = elf
        .needed()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(needed.iter().any(|l| l == "libc.so.6"), "{needed:?}");
    for library in &needed {
        assert!(
            AMI_LIBRARIES.contains(&library.as_str()),
            "{library} is not part of the AMI's base system: {needed:?}"
        );
    }

    let versions = elf
        .needed_versions()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let glibc: Vec<(&str, Vec<u32>)> = versions
        .iter()
        .filter_map(|(_, v)| Some((v.as_str(), glibc_version(v)?)))
        .collect();
    assert!(
        glibc.len() >= 2,
        "a glibc-linked build needs several GLIBC_ versions; the reader found {versions:?}"
    );
    assert!(
        !versions.iter().any(|(_, v)| v == "GLIBC_PRIVATE"),
        "GLIBC_PRIVATE ties the build to one glibc build: {versions:?}"
    );
    let highest = glibc
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1))
        .map(|(name, _)| *name)
        .unwrap_or_default();
    let too_new: Vec<&str> = glibc
        .iter()
        .filter(|(_, v)| v.as_slice() > AMI_GLIBC.as_slice())
        .map(|(name, _)| *name)
        .collect();
    assert!(
        too_new.is_empty(),
        "the build needs {too_new:?}, newer than Amazon Linux 2023's glibc 2.34 \
         (`objdump -T` names the symbols)"
    );
    eprintln!(
        "{}: x86-64, needs {needed:?}, highest glibc version {highest}",
        path.display()
    );
}

#[test]
fn the_reader_finds_the_glibc_versions_of_this_test_itself() {
    // This test program is a glibc-linked x86-64 executable too: the reader must see that, or
    // the check above could pass by finding nothing.
    let Ok(exe) = std::env::current_exe() else {
        panic!("current_exe")
    };
    let data = std::fs::read(&exe).unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    let elf = Elf::parse(&data).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(elf.machine, EM_X86_64);
    let versions = elf.needed_versions().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        versions
            .iter()
            .any(|(file, v)| file == "libc.so.6" && v == "GLIBC_2.2.5"),
        "{versions:?}"
    );
    assert!(
        elf.needed()
            .unwrap_or_default()
            .contains(&"libc.so.6".to_owned())
    );
    assert!(Elf::parse(b"#!/bin/sh\n").is_err());
    assert_eq!(glibc_version("GLIBC_2.2.5"), Some(vec![2, 2, 5]));
    assert!(glibc_version("GLIBC_2.35").is_some_and(|v| v.as_slice() > AMI_GLIBC.as_slice()));
    assert!(glibc_version("GLIBC_2.34").is_some_and(|v| v.as_slice() <= AMI_GLIBC.as_slice()));
    assert_eq!(glibc_version("GCC_3.0"), None);
}

/// `GLIBC_2.2.5` → `[2, 2, 5]`; anything else → `None`.
fn glibc_version(name: &str) -> Option<Vec<u32>> {
    name.strip_prefix("GLIBC_")?
        .split('.')
        .map(|n| n.parse().ok())
        .collect()
}

const EM_X86_64: u16 = 62;
const SHT_DYNAMIC: u32 = 6;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
const DT_NEEDED: u64 = 1;

/// Just enough of a 64-bit little-endian ELF file: its machine and section headers.
struct Elf<'a> {
    data: &'a [u8],
    machine: u16,
    sections: Vec<Section>,
}

#[derive(Clone, Copy)]
struct Section {
    kind: u32,
    offset: usize,
    size: usize,
    link: u32,
    info: u32,
}

impl<'a> Elf<'a> {
    fn parse(data: &'a [u8]) -> Result<Self, String> {
        if data.get(..4) != Some(b"\x7fELF".as_slice()) {
            return Err("not an ELF file".into());
        }
        if data.get(4) != Some(&2) || data.get(5) != Some(&1) {
            return Err("not a 64-bit little-endian ELF file".into());
        }
        let machine = u16_at(data, 18)?;
        let shoff = usize_at(data, 0x28)?;
        let shentsize = usize::from(u16_at(data, 0x3a)?);
        let shnum = usize::from(u16_at(data, 0x3c)?);
        let sections = (0..shnum)
            .map(|i| {
                let at = shoff + i * shentsize;
                Ok(Section {
                    kind: u32_at(data, at + 4)?,
                    offset: usize_at(data, at + 24)?,
                    size: usize_at(data, at + 32)?,
                    link: u32_at(data, at + 40)?,
                    info: u32_at(data, at + 44)?,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Elf {
            data,
            machine,
            sections,
        })
    }

    fn section(&self, index: u32) -> Result<Section, String> {
        self.sections
            .get(index as usize)
            .copied()
            .ok_or_else(|| format!("no section {index}"))
    }

    /// The NUL-terminated string at `offset` in string table section `table`.
    fn string(&self, table: Section, offset: usize) -> Result<String, String> {
        let bytes = self
            .data
            .get(table.offset + offset..table.offset + table.size)
            .ok_or("string outside its table")?;
        let end = bytes
            .iter()
            .position(|&b| b == 0)
            .ok_or("unterminated string")?;
        Ok(String::from_utf8_lossy(&bytes[..end]).into_owned())
    }

    /// The `DT_NEEDED` libraries of the dynamic section.
    fn needed(&self) -> Result<Vec<String>, String> {
        let mut libraries = Vec::new();
        for dynamic in self.sections.iter().filter(|s| s.kind == SHT_DYNAMIC) {
            let strings = self.section(dynamic.link)?;
            for at in (dynamic.offset..dynamic.offset + dynamic.size).step_by(16) {
                let tag = u64_at(self.data, at)?;
                if tag == 0 {
                    break;
                }
                if tag == DT_NEEDED {
                    libraries.push(self.string(strings, usize_at(self.data, at + 8)?)?);
                }
            }
        }
        Ok(libraries)
    }

    /// Every (library, version) pair of `.gnu.version_r`: the symbol versions the program needs.
    fn needed_versions(&self) -> Result<Vec<(String, String)>, String> {
        let mut versions = Vec::new();
        for verneed in self.sections.iter().filter(|s| s.kind == SHT_GNU_VERNEED) {
            let strings = self.section(verneed.link)?;
            let mut entry = verneed.offset;
            for _ in 0..verneed.info {
                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
                let count = u16_at(self.data, entry + 2)?;
                let file = self.string(strings, u32_at(self.data, entry + 4)? as usize)?;
                let mut aux = entry + u32_at(self.data, entry + 8)? as usize;
                for _ in 0..count {
                    // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                    let name = self.string(strings, u32_at(self.data, aux + 8)? as usize)?;
                    versions.push((file.clone(), name));
                    aux += u32_at(self.data, aux + 12)? as usize;
                }
                let next = u32_at(self.data, entry + 12)? as usize;
                if next == 0 {
                    break;
                }
                entry += next;
            }
        }
        Ok(versions)
    }
}

fn bytes_at<const N: usize>(data: &[u8], at: usize) -> Result<[u8; N], String> {
    data.get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("ELF field at {at} is outside the file"))
}

fn u16_at(data: &[u8], at: usize) -> Result<u16, String> {
    bytes_at(data, at).map(u16::from_le_bytes)
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, String> {
    bytes_at(data, at).map(u32::from_le_bytes)
}

fn u64_at(data: &[u8], at: usize) -> Result<u64, String> {
    bytes_at(data, at).map(u64::from_le_bytes)
}

fn usize_at(data: &[u8], at: usize) -> Result<usize, String> {
    u64_at(data, at).and_then(|v| usize::try_from(v).map_err(|e| e.to_string()))
}
