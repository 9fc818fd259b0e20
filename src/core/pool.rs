//! Scratch space lent to parallel work while it runs: to the chunks of a large batch
//! ([`super::network::CHUNK`]) and to the rows of a landscape grid.

use std::sync::Mutex;

/// One workspace per piece of work running at a time (about one per thread), not one per
/// piece: a chunk's layer values are dead once its gradient (or Hessian product) is out, a
/// row's once its losses are. With one per chunk, 2-64-64-1 on 5000 points kept 20 chunks'
/// buffers (15 MB) and touched them all in its first step: 0.1 s of page faults on this
/// project's VM, most of a one-step `losscape train`; a grid's rows, with rayon's
/// `for_each_init`, made a new 5 MB scratch for every piece rayon split them into. Which
/// workspace a piece gets never changes a number: every value it reads, it has written first.
#[derive(Debug)]
pub(crate) struct Pool<W>(Mutex<Vec<W>>);

impl<W> Default for Pool<W> {
    fn default() -> Self {
        Self(Mutex::new(Vec::new()))
    }
}

impl<W> Clone for Pool<W> {
    /// Scratch space: a copy starts empty.
    fn clone(&self) -> Self {
        Self(Mutex::new(Vec::new()))
    }
}

impl<W> Pool<W> {
    /// Runs `f` on a workspace taken from the pool (`make`s a new one if all are out), then
    /// puts it back. The lock is held only to take and to return, never during `f`.
    pub(crate) fn lend_with<R>(&self, make: impl FnOnce() -> W, f: impl FnOnce(&mut W) -> R) -> R {
        let taken = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut ws = taken.unwrap_or_else(make);
        let out = f(&mut ws);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(ws);
        out
    }

    /// How many workspaces the pool holds (all of them, when no pass is running).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl<W: Default> Pool<W> {
    /// [`Pool::lend_with`], a new workspace being `W::default()`.
    pub(crate) fn lend<R>(&self, f: impl FnOnce(&mut W) -> R) -> R {
        self.lend_with(W::default, f)
    }
}
