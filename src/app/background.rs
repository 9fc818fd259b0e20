//! Work behind the frame (a wide network's grid) on threads of its own at a lower scheduling
//! priority, so that the frame's threads (the main thread, a software renderer's) go first
//! and the view stays responsive while a grid takes seconds.
//!
//! Measured on this project's 2-core VM under Xvfb with software Vulkan (a renderer that wants
//! both cores itself), a 128² surface of 2-64-64-1 on 5000 points, mean time between frames
//! while the grid computed and the grid's time: on rayon's global pool at normal priority
//! 626 ms and 22.4 s; at nice 5 (taken) 327 ms and 36.6 s; at nice 10 282 ms and 59 s. With
//! a GPU the frame's threads need little, and the grid keeps nearly all of the cores. The
//! numbers do not depend on the threads (the grid's rows are independent, each computed alone).

use std::sync::OnceLock;

/// Runs `work` on the background pool (its rayon calls included), or where it is called when
/// the pool cannot be built. The calling thread only waits meanwhile.
pub(super) fn behind_the_frame<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    if cfg!(target_arch = "wasm32") {
        return work(); // one thread: a page slices its grid instead
    }
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("losscape background {i}"))
            .start_handler(|_| crate::priority::lower_this_thread(5))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(work),
        None => work(),
    }
}
