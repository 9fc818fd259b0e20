//! Workspaces lent to the chunks of a large batch ([`super::CHUNK`]) while their passes run.

use std::sync::Mutex;

/// One workspace per chunk running at a time (about one per thread), not one per chunk: a
/// chunk's layer values are dead once its gradient (or Hessian product) is out. With one per
/// chunk, 2-64-64-1 on 5000 points kept 20 chunks' buffers (15 MB) and touched them all in
/// its first step: 0.1 s of page faults on this project's VM, most of a one-step
/// `losscape train`. Which workspace a chunk gets never changes a number: every value a pass
/// reads, it has written first.
#[derive(Debug, Default)]
pub(super) struct Pool<W>(Mutex<Vec<W>>);

impl<W> Clone for Pool<W> {
    /// Scratch space: a copy starts empty.
    fn clone(&self) -> Self {
        Self(Mutex::new(Vec::new()))
    }
}

impl<W: Default> Pool<W> {
    /// Runs `f` on a workspace taken from the pool (a new one if all are out), then puts it
    /// back. The lock is held only to take and to return, never during `f`.
    pub(super) fn lend<R>(&self, f: impl FnOnce(&mut W) -> R) -> R {
        let taken = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut ws = taken.unwrap_or_default();
        let out = f(&mut ws);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(ws);
        out
    }

    /// How many workspaces the pool holds (all of them, when no pass is running).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
