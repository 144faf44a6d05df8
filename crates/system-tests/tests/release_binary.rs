//! The application's release build runs on the instances' image (Amazon Linux 2023, x86_64):
//! an x86-64 ELF executable that needs no newer glibc than the image's 2.34 and no shared
//! library the image lacks. Checked with the same code `techchallenge deploy` runs before it
//! uploads a build (`techchallenge_artifact::check_build`, reading the ELF with `goblin`), so
//! the workspace's own build is known to pass it.
//!
//! Checks `TECHCHALLENGE_APP_BINARY`, else `<workspace>/target/release/TechChallengeApp`
//! (`scripts/test` builds it before the tests run).

use techchallenge_artifact::{AMAZON_LINUX_2023_X86_64, check_build};

#[test]
fn the_release_binary_runs_on_amazon_linux_2023_x86_64() {
    let Some(path) = techchallenge_system_tests::builds::app_binary() else {
        return;
    };
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fit = check_build(&data, &AMAZON_LINUX_2023_X86_64)
        .unwrap_or_else(|e| panic!("{} cannot run on the instances: {e}", path.display()));
    assert!(fit.libraries.contains(&"libc.so.6".to_owned()), "{fit:?}");
    let newest = fit.newest_glibc.clone().unwrap_or_default();
    assert!(newest.starts_with("GLIBC_2."), "{fit:?}");
    eprintln!(
        "{}: x86-64, needs {:?}, newest glibc version {newest}",
        path.display(),
        fit.libraries
    );
}
