//! Files losscape writes: trajectories (CSV, JSON), grids and meshes. Every file is written to
//! a temporary file in the same folder and renamed over the target, so a failed write never
//! leaves a half-written file or destroys the old one.

pub mod grid;
pub mod mesh;
pub mod trajectory;

use std::io::{self, BufWriter, Write};
use std::path::Path;

pub use trajectory::{run_and_write_csv, run_and_write_trajectory, write_trajectory, write_trajectory_csv, write_trajectory_json};

/// Whether an export path asks for JSON (`.json`, any case); anything else is CSV.
pub(crate) fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Writes `path` atomically: `fill` writes into a temporary file beside it, which replaces
/// `path` only when `fill` and the flush succeed.
pub fn write_atomic(path: &Path, fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new().prefix(".losscape-").suffix(".tmp").tempfile_in(dir)?;
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
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
}
