//! Standard output, written in one place, so every command treats it the same way: a closed
//! pipe (`losscape train S | head -1`: the reader has what it wanted) ends the program quietly
//! with exit 0, as ripgrep does; any other failure, such as a full disk, is one line naming
//! standard output and exit 2. `println!` would panic on both.

use std::fmt;
use std::io::{self, BufWriter, Write};

/// Standard output could not be written.
#[derive(Debug, thiserror::Error)]
#[error("standard output: cannot write: {}", crate::files::os_message(.0))]
pub struct StdoutError(pub io::Error);

impl StdoutError {
    /// Whether the reader closed the pipe (not an error for the user).
    pub fn is_closed_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

/// Writes formatted text to standard output and flushes it (what [`outln!`] calls).
pub fn print(args: fmt::Arguments) -> Result<(), StdoutError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args).and_then(|()| out.flush()).map_err(StdoutError)
}

/// Streams to standard output through one buffer: `fill` writes, everything is flushed, and
/// any failure is a [`StdoutError`].
pub fn stream<T>(fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<T>) -> Result<T, StdoutError> {
    // `Stdout`, not its lock: the writer may be used on another thread, and a lock is not Send.
    let mut w = BufWriter::new(io::stdout());
    let value = fill(&mut w).map_err(StdoutError)?;
    w.flush().map_err(StdoutError)?;
    Ok(value)
}

/// `println!` for the commands: `outln!("…", …)?` returns a [`StdoutError`] instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;
