//! Work that should yield to the rest of the program runs on threads of lower scheduling
//! priority: the app's background grid (the frame goes first) and the CSV writer of
//! `losscape train` (the steps go first, and the text is formatted when a core idles).

/// Sets the calling thread's nice value to `nice` (Linux: this thread alone; elsewhere
/// `setpriority` would lower the whole process, so nothing). A failure (a sandbox without the
/// syscall) leaves the thread as it was: only slower, never different numbers.
pub fn lower_this_thread(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), nice);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}
