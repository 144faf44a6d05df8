//! The `techchallenge` binary: everything lives in the library (`src/lib.rs`) so tests can drive
//! the commands in-process with a fake CloudFormation; this only hands over the exit code.

fn main() -> std::process::ExitCode {
    techchallenge_cli::main()
}
