//! The user's files, in and out, guarded at one place each.
//!
//! - [`read_input`] / [`read_text`] are the only way losscape reads a file the user names (a
//!   scene, a data CSV, a trajectory to plot): only a regular file, at most
//!   [`MAX_INPUT_BYTES`], opened without blocking, so `/dev/zero`, `/dev/urandom` or a FIFO with
//!   no writer is refused in one line instead of exhausting memory or hanging.
//! - [`check_outputs`] checks every output of a command before the first byte of any is
//!   written: a format its extension names, an existing writable folder, never a folder, device
//!   or pipe, never the same file (device and inode) as one of the command's inputs, never the
//!   same file twice.
//! - [`write_atomic`] is the only way losscape writes a file: into a temporary file beside the
//!   target, renamed over it only when everything was written, so a failed or interrupted run
//!   leaves the user's old file as it was. The temporaries are registered, and
//!   [`remove_temporaries_on_signals`] deletes them when SIGINT, SIGTERM or SIGHUP stops the run.

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use crate::core::format::human_bytes;

/// The largest file losscape reads (256 MiB): far above any scene or data set it can train on
/// (10 million rows of data fit in memory, not in a text file this size), far below what would
/// exhaust a classroom machine's memory.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// A file that cannot be read or written, shown as `path: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct FileError {
    /// The file as the user named it.
    pub path: PathBuf,
    /// What is wrong, in one line.
    pub message: String,
}

impl FileError {
    fn new(path: &Path, message: impl Into<String>) -> Self {
        Self { path: path.to_path_buf(), message: message.into() }
    }
}

/// What kind of thing a path is, for messages.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() { "a folder" } else { "not a regular file" }
}

/// The message for an error from the operating system, without Rust's "(os error 2)".
pub(crate) fn os_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Opens a user's file for reading: a regular file of at most [`MAX_INPUT_BYTES`], checked
/// before it is opened (opening a FIFO would wait for a writer) and again once it is open
/// (it could have been swapped in between).
pub fn open_input(path: &Path) -> Result<std::fs::File, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| FileError::new(path, format!("cannot read: {}", os_message(&e))))?;
    check_input_meta(path, &meta)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path).map_err(|e| FileError::new(path, format!("cannot read: {}", os_message(&e))))?;
    let meta = file.metadata().map_err(|e| FileError::new(path, format!("cannot read: {}", os_message(&e))))?;
    check_input_meta(path, &meta)?;
    Ok(file)
}

fn check_input_meta(path: &Path, meta: &std::fs::Metadata) -> Result<(), FileError> {
    if !meta.is_file() {
        return Err(FileError::new(path, format!("is {}, not a regular file; losscape reads only regular files", kind_of(meta))));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_large(path, meta.len() as u128));
    }
    Ok(())
}

fn too_large(path: &Path, size: u128) -> FileError {
    let limit = human_bytes(MAX_INPUT_BYTES as u128);
    let size = if size > MAX_INPUT_BYTES as u128 + 1 { format!("is {}, larger", human_bytes(size)) } else { "is larger".into() };
    FileError::new(path, format!("{size} than the largest file losscape reads ({limit}); is it the right file?"))
}

/// Reads a user's file whole, through [`open_input`], never more than [`MAX_INPUT_BYTES`] even
/// when the file grows while it is read (or its size was not known, as in `/proc`).
pub fn read_input(path: &Path) -> Result<Vec<u8>, FileError> {
    let file = open_input(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes).map_err(|e| FileError::new(path, format!("cannot read: {}", os_message(&e))))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(path, bytes.len() as u128));
    }
    Ok(bytes)
}

/// Reads a user's text file: [`read_input`], UTF-8, a leading byte-order mark dropped (editors
/// on Windows write one).
pub fn read_text(path: &Path) -> Result<String, FileError> {
    let bytes = read_input(path)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let line = body[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let col = body[..at].rsplit(|&b| b == b'\n').next().map_or(0, |l| String::from_utf8_lossy(l).chars().count()) + 1;
            Err(FileError::new(path, format!("{line}:{col}: is not UTF-8 text (byte {} is not a character)", at + 1)))
        }
    }
}

/// One file a command will write.
#[derive(Clone, Copy, Debug)]
pub struct Output<'a> {
    /// The path as given.
    pub path: &'a Path,
    /// The flag that named it (`--out`), for messages.
    pub flag: &'a str,
    /// The extensions that name a format this output can be (lower case, no dot).
    pub formats: &'a [&'a str],
}

/// The (device, inode) of an existing file, following symbolic links.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Where writing `path` really goes: the file a symbolic link points to (so a link is kept and
/// its target replaced), else `path` itself.
pub fn write_target(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// The folder a file is written in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Checks every output of a command before anything is computed or written, against each
/// other and against the command's `inputs` (which are only read). Returns where each output
/// will be written ([`write_target`]).
pub fn check_outputs(outputs: &[Output], inputs: &[PathBuf]) -> Result<Vec<PathBuf>, FileError> {
    let input_ids: Vec<_> = inputs.iter().filter_map(|p| identity(p).map(|id| (id, p))).collect();
    let mut targets: Vec<PathBuf> = Vec::with_capacity(outputs.len());
    for out in outputs {
        let path = out.path;
        let fail = |m: String| FileError::new(path, m);
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if !ext.as_deref().is_some_and(|e| out.formats.contains(&e)) {
            let list = out.formats.iter().map(|f| format!(".{f}")).collect::<Vec<_>>().join(" or ");
            return Err(fail(format!("{} must name a file ending in {list}", out.flag)));
        }
        let target = write_target(path);
        if let Ok(meta) = std::fs::metadata(&target) {
            if !meta.is_file() {
                return Err(fail(format!("{} is {}; losscape writes only regular files", out.flag, kind_of(&meta))));
            }
            if let Some((_, input)) = input_ids.iter().find(|(id, _)| Some(id) == identity(&target).as_ref()) {
                return Err(fail(format!(
                    "{} is the same file as the input {}; it would be overwritten, choose another name",
                    out.flag,
                    input.display()
                )));
            }
        } else if std::fs::symlink_metadata(path).is_ok() {
            return Err(fail(format!("{} is a symbolic link to nothing ({})", out.flag, target.display())));
        }
        let dir = folder_of(&target);
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            _ => return Err(fail(format!("{}: the folder {} does not exist", out.flag, dir.display()))),
        }
        // Writable? Make (and drop) a temporary file where the real one will be made.
        temporary_in(dir).map_err(|e| fail(format!("{}: cannot write in the folder {}: {}", out.flag, dir.display(), os_message(&e))))?;
        let resolved = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()).join(target.file_name().unwrap_or_default());
        if targets.iter().any(|t| t == &resolved) {
            return Err(fail(format!("{} names a file another output already writes", out.flag)));
        }
        targets.push(resolved);
    }
    Ok(outputs.iter().map(|o| write_target(o.path)).collect())
}

/// A folder a command writes numbered files into (`--frames-dir`): checked before any work like
/// [`check_outputs`]'s files. It must be a folder holding none of the files the command would
/// write (so nothing the user had is overwritten, and no frame of an older run is left mixed
/// in), or not exist yet in a folder that does; then it is made, and removed again unless
/// [`FramesFolder::keep`] is called (the files in it are staged, so a failure leaves it empty).
#[derive(Debug)]
pub struct FramesFolder {
    /// The folder.
    pub path: PathBuf,
    created: bool,
}

impl FramesFolder {
    /// Checks (or makes) `dir` for files named `{prefix}…{.ext}`; `flag` names it in messages.
    pub fn prepare(dir: &Path, flag: &str, prefix: &str, ext: &str) -> Result<Self, FileError> {
        let fail = |m: String| FileError::new(dir, m);
        match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {
                let entries = std::fs::read_dir(dir).map_err(|e| fail(format!("{flag}: cannot read the folder: {}", os_message(&e))))?;
                let taken = entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .find(|n| n.starts_with(prefix) && Path::new(n).extension().is_some_and(|e| e.eq_ignore_ascii_case(ext)));
                if let Some(name) = taken {
                    return Err(fail(format!("{flag}: the folder already holds {name}; choose an empty or new folder")));
                }
                temporary_in(dir).map_err(|e| fail(format!("{flag}: cannot write in the folder: {}", os_message(&e))))?;
                Ok(Self { path: dir.to_path_buf(), created: false })
            }
            Ok(meta) => Err(fail(format!("{flag} is {}, not a folder", kind_of(&meta)))),
            Err(_) => {
                let parent = folder_of(dir);
                if !std::fs::metadata(parent).is_ok_and(|m| m.is_dir()) {
                    return Err(fail(format!("{flag}: the folder {} does not exist", parent.display())));
                }
                std::fs::create_dir(dir).map_err(|e| fail(format!("{flag}: cannot make the folder: {}", os_message(&e))))?;
                Ok(Self { path: dir.to_path_buf(), created: true })
            }
        }
    }

    /// Keeps the folder: its files were written.
    pub fn keep(mut self) {
        self.created = false;
    }
}

impl Drop for FramesFolder {
    fn drop(&mut self) {
        if self.created {
            // Only an empty folder goes (its staged files are deleted before it).
            let _ = std::fs::remove_dir(&self.path);
        }
    }
}

/// Temporary files being written now, removed by [`remove_temporaries_on_signals`].
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temporaries() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Keeps a temporary file's path registered while it exists.
struct Registered(PathBuf);

/// A new, private (0600) `.losscape-*.tmp` file in `dir`, registered for removal on a signal.
/// It is created while the registry is locked, so a signal handled at any moment either finds
/// it listed or runs before it exists (the handler exits holding the lock: no file is made
/// after it looked).
fn temporary_in(dir: &Path) -> io::Result<(tempfile::NamedTempFile, Registered)> {
    let tmp = tempfile::Builder::new().prefix(".losscape-").suffix(".tmp").make_in(dir, |path| {
        let mut list = temporaries();
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        list.push(path.to_path_buf());
        Ok(file)
    })?;
    let registered = Registered(tmp.path().to_path_buf());
    Ok((tmp, registered))
}

impl Drop for Registered {
    fn drop(&mut self) {
        temporaries().retain(|p| p != &self.0);
    }
}

/// Stops the program on SIGINT, SIGTERM or SIGHUP after deleting every temporary file
/// [`write_atomic`] is writing, so an interrupted run leaves no `.losscape-*.tmp` behind (and,
/// as always, the old file untouched). Exit code 128 + the signal's number, as a shell reports
/// it. SIGKILL cannot be caught.
#[cfg(unix)]
pub fn remove_temporaries_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Held until the exit, so no temporary file is made after this looked.
            let list = temporaries();
            for path in list.iter() {
                let _ = std::fs::remove_file(path);
            }
            std::process::exit(128 + signal);
        }
    });
}

/// Without Unix signals there is nothing to catch.
#[cfg(not(unix))]
pub fn remove_temporaries_on_signals() {}

/// Writes `path` atomically: `fill` writes into a temporary file beside it, which replaces
/// `path` only when `fill` and the flush succeed. A symbolic link is followed (its target is
/// replaced, the link kept); a folder, device or pipe is refused, never renamed over.
///
/// In the browser there is no file system: the bytes become a download named after `path`'s
/// file name, so every export of the app is a download there through this one writer.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_atomic(path: &Path, fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>) -> io::Result<()> {
    stage(path, fill)?.commit()
}

/// [`write_atomic`] on the web page: a download named after `path`'s file name.
#[cfg(target_arch = "wasm32")]
pub fn write_atomic(path: &Path, fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>) -> io::Result<()> {
    let mut bytes = Vec::new();
    fill(&mut bytes)?;
    let name = path.file_name().map_or_else(|| "losscape-export".into(), |n| n.to_string_lossy().into_owned());
    crate::browser::download(&name, &bytes)
}

/// A file written in full to a temporary beside its target, waiting for [`Staged::commit`]:
/// a command with several outputs stages them all, then commits them, so a failure in any of
/// them leaves every old file as it was. Dropped without a commit, it is deleted.
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
    _registered: Registered,
}

/// Writes the temporary file of `path` ([`write_atomic`]'s first half).
pub fn stage(path: &Path, fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>) -> io::Result<Staged> {
    let target = write_target(path);
    if let Ok(meta) = std::fs::metadata(&target)
        && !meta.is_file()
    {
        return Err(io::Error::other(format!("is {}; losscape writes only regular files", kind_of(&meta))));
    }
    let (tmp, registered) = temporary_in(folder_of(&target))?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w)?;
        w.flush()?;
    }
    // Temporary files are private (0600); an export gets the old file's permissions, or the
    // usual rw-r--r-- for a new one.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    Ok(Staged { tmp, target, _registered: registered })
}

impl Staged {
    /// Renames the temporary file over the target.
    pub fn commit(self) -> io::Result<()> {
        self.tmp.persist(&self.target).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Free space, in bytes, on the file system holding `dir`, when the system says.
pub fn available_space(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let s = rustix::fs::statvfs(dir).ok()?;
        Some(s.f_bavail.saturating_mul(s.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("traj.csv");
        std::fs::write(&path, "old contents").unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(b"half of the new")?;
            Err(io::Error::other("disk full (injected)"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full (injected)");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old contents");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is removed");
        assert!(!temporaries().iter().any(|p| p.starts_with(dir.path())), "and no longer registered (other tests may hold theirs)");
        write_atomic(&path, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let fresh = dir.path().join("fresh.csv");
            write_atomic(&fresh, |w| w.write_all(b"x")).unwrap();
            assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o644);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
            write_atomic(&path, |w| w.write_all(b"again")).unwrap();
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o664);
        }
    }

    #[test]
    fn a_temporary_is_registered_while_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        write_atomic(&path, |w| {
            let names = temporaries().clone();
            assert!(names.iter().any(|p| p.starts_with(dir.path()) && p.extension().is_some_and(|e| e == "tmp")), "{names:?}");
            w.write_all(b"x")
        })
        .unwrap();
        assert!(!temporaries().iter().any(|p| p.starts_with(dir.path())));
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_followed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, |w| w.write_all(b"new")).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn pipes_folders_and_big_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.ron");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let e = read_text(&fifo).unwrap_err().to_string();
        assert!(e.contains("fifo.ron: is a pipe (FIFO), not a regular file"), "{e}");
        let e = read_text(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        // Sparse: the size is checked before a byte is read.
        let big = dir.path().join("big.csv");
        std::fs::File::create(&big).unwrap().set_len(300 << 20).unwrap();
        let e = read_input(&big).unwrap_err().to_string();
        assert!(e.contains("big.csv: is 300 MiB, larger than the largest file losscape reads (256 MiB)"), "{e}");
        let e = write_atomic(&fifo, |w| w.write_all(b"x")).unwrap_err().to_string();
        assert!(e.contains("pipe"), "{e}");
        assert_eq!(std::fs::metadata(&fifo).map(|m| m.is_file()).ok(), Some(false), "the FIFO is still there");
    }

    #[test]
    fn text_drops_a_byte_order_mark_and_locates_bad_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.ron");
        std::fs::write(&p, b"\xEF\xBB\xBF(steps: 1)").unwrap();
        assert_eq!(read_text(&p).unwrap(), "(steps: 1)");
        std::fs::write(&p, b"(\n  name: \"\xFF\")").unwrap();
        let e = read_text(&p).unwrap_err().to_string();
        assert!(e.ends_with("s.ron: 2:10: is not UTF-8 text (byte 12 is not a character)"), "{e}");
    }

    #[test]
    fn outputs_are_checked_against_inputs_and_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let scene = dir.path().join("s.json");
        std::fs::write(&scene, "{}").unwrap();
        fn out<'a>(path: &'a Path, formats: &'a [&'a str]) -> Output<'a> {
            Output { path, flag: "--out", formats }
        }
        let e = check_outputs(&[out(&scene, &["csv", "json"])], std::slice::from_ref(&scene)).unwrap_err().to_string();
        assert!(e.contains("is the same file as the input"), "{e}");
        let e = check_outputs(&[out(&dir.path().join("x.txt"), &["csv", "json"])], &[]).unwrap_err().to_string();
        assert!(e.ends_with("x.txt: --out must name a file ending in .csv or .json"), "{e}");
        let e = check_outputs(&[out(&dir.path().join("no/x.csv"), &["csv"])], &[]).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        let a = dir.path().join("a.csv");
        let e = check_outputs(&[out(&a, &["csv"]), out(&a, &["csv"])], &[]).unwrap_err().to_string();
        assert!(e.contains("another output"), "{e}");
        assert_eq!(check_outputs(&[out(&a, &["csv"])], std::slice::from_ref(&scene)).unwrap(), vec![a.clone()]);
        #[cfg(unix)]
        {
            // A hard link to the input is the same file by inode.
            let hard = dir.path().join("h.json");
            std::fs::hard_link(&scene, &hard).unwrap();
            assert!(check_outputs(&[out(&hard, &["json"])], std::slice::from_ref(&scene)).is_err());
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), if cfg!(unix) { 2 } else { 1 }, "no temporaries left");
    }
}
