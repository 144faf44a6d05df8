//! Where the commands talk to the user: stdout, stderr, answers read from stdin, whether each is a
//! terminal, and the Ctrl-C signal. One value the tests can build with scripted input and captured
//! output, so the prompt and every message are tested without a terminal.

use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use tokio::sync::Notify;

use crate::error::UsageError;

/// Ctrl-C arrived: the command stopped waiting, CloudFormation carries on. Exit code 130.
#[derive(Debug, thiserror::Error)]
#[error(
    "interrupted: nothing was cancelled, CloudFormation carries on with the operations already started. Re-run the same command to attach to them and wait, or see `techchallenge status`."
)]
pub struct Interrupted;

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// The user's terminal (or the test's stand-in for it).
pub struct Console {
    out: Sink,
    err: Sink,
    input: Mutex<Box<dyn BufRead + Send>>,
    /// Whether stdin is a terminal a person can answer on.
    pub stdin_is_terminal: bool,
    /// Whether stdout is a terminal (progress bars) or a pipe/file (plain lines).
    pub stdout_is_terminal: bool,
    /// Notified once on Ctrl-C.
    pub interrupt: Arc<Notify>,
}

/// The text a test console captured.
#[derive(Clone, Default)]
pub struct Captured {
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    /// Everything written to stdout so far.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().map(|b| b.clone()).unwrap_or_default()).into()
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().map(|b| b.clone()).unwrap_or_default()).into()
    }
}

struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Console {
    /// The process's stdin, stdout and stderr.
    pub fn stdio() -> Self {
        use std::io::IsTerminal;
        Self {
            out: Arc::new(Mutex::new(Box::new(std::io::stdout()))),
            err: Arc::new(Mutex::new(Box::new(std::io::stderr()))),
            input: Mutex::new(Box::new(std::io::BufReader::new(std::io::stdin()))),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            interrupt: Arc::new(Notify::new()),
        }
    }

    /// A console for tests: `input` is what the user types, stdout is not a terminal.
    pub fn scripted(input: &str, stdin_is_terminal: bool) -> (Self, Captured) {
        let captured = Captured::default();
        let console = Self {
            out: Arc::new(Mutex::new(Box::new(SharedBuffer(captured.out.clone())))),
            err: Arc::new(Mutex::new(Box::new(SharedBuffer(captured.err.clone())))),
            input: Mutex::new(Box::new(std::io::Cursor::new(input.as_bytes().to_vec()))),
            stdin_is_terminal,
            stdout_is_terminal: false,
            interrupt: Arc::new(Notify::new()),
        };
        (console, captured)
    }

    /// A handle on stdout for the progress display (shared with other threads).
    pub(crate) fn out_handle(&self) -> Sink {
        self.out.clone()
    }

    /// Writes to stdout as is.
    pub fn print(&self, text: &str) {
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }

    /// Writes a line to stdout.
    pub fn println(&self, line: &str) {
        self.print(&format!("{line}\n"));
    }

    /// Writes to stderr as is.
    pub fn eprint(&self, text: &str) {
        if let Ok(mut err) = self.err.lock() {
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        }
    }

    /// Writes a line to stderr.
    pub fn eprintln(&self, line: &str) {
        self.eprint(&format!("{line}\n"));
    }

    /// Asks a yes/no question on stderr. No default answer: an empty line or anything but
    /// `yes`/`no` asks again. `assume_yes` (`--yes`) answers yes without asking. Without a
    /// terminal on stdin nobody can answer: refused as a usage error naming `--yes`.
    pub fn confirm(&self, question: &str, assume_yes: bool) -> Result<bool> {
        if assume_yes {
            return Ok(true);
        }
        if !self.stdin_is_terminal {
            anyhow::bail!(UsageError(format!(
                "{question} needs an answer, but stdin is not a terminal: nothing was changed. Re-run with --yes to proceed without asking (e.g. in CI)"
            )));
        }
        loop {
            self.eprint(&format!("{question} Type yes or no: "));
            let mut line = String::new();
            let read = self
                .input
                .lock()
                .map_err(|_| anyhow::anyhow!("stdin is unavailable"))?
                .read_line(&mut line)?;
            if read == 0 {
                self.eprintln("");
                anyhow::bail!(UsageError(
                    "stdin closed before an answer: nothing was changed".to_owned()
                ));
            }
            match line.trim().to_ascii_lowercase().as_str() {
                "yes" => return Ok(true),
                "no" => return Ok(false),
                _ => self.eprintln("Please answer yes or no."),
            }
        }
    }
}
