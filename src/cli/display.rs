//! Whether a window can be opened, asked before the app starts: winit panics (14 lines, exit
//! 101) when it finds no display. This build draws through X11 only (Bevy's `x11` feature), so
//! the question is whether `DISPLAY` names an X server that answers; on Wayland that is
//! XWayland.

use super::UserError;

/// One line saying why no window can be opened, or `Ok`.
pub fn check_display() -> Result<(), UserError> {
    let headless = "or use a command that needs no window: train, surface, plot, check";
    let Some(display) = std::env::var_os("DISPLAY").filter(|d| !d.is_empty()) else {
        let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
        let hint =
            if wayland { "this build draws through X11: start XWayland, " } else { "run it in a desktop session or under xvfb-run, " };
        return Err(UserError(format!("cannot open a window: DISPLAY is not set ({hint}{headless})")));
    };
    let display = display.to_string_lossy().into_owned();
    if reachable(&display) {
        Ok(())
    } else {
        Err(UserError(format!("cannot open a window: no X server answers at DISPLAY={display} ({headless})")))
    }
}

/// Whether an X server listens where `DISPLAY` (`[host]:N[.screen]`) says: the Unix socket
/// `/tmp/.X11-unix/XN` for a local display, TCP port 6000 + N for a remote one.
fn reachable(display: &str) -> bool {
    let Some((host, rest)) = display.rsplit_once(':') else { return false };
    let Some(number) = rest.split('.').next().and_then(|n| n.parse::<u16>().ok()) else { return false };
    let host = host.trim_start_matches("unix/");
    if host.is_empty() || host == "unix" {
        #[cfg(unix)]
        {
            let socket = format!("/tmp/.X11-unix/X{number}");
            return std::os::unix::net::UnixStream::connect(socket).is_ok();
        }
        #[cfg(not(unix))]
        return true;
    }
    if host.starts_with('/') {
        // A launchd-style socket path (macOS XQuartz): the path itself.
        #[cfg(unix)]
        return std::os::unix::net::UnixStream::connect(display).is_ok();
    }
    use std::net::ToSocketAddrs;
    let Some(port) = 6000u16.checked_add(number) else { return false };
    let timeout = std::time::Duration::from_secs(2);
    (host, port).to_socket_addrs().is_ok_and(|mut addrs| addrs.any(|a| std::net::TcpStream::connect_timeout(&a, timeout).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_that_cannot_answer() {
        assert!(!reachable("nonsense"));
        assert!(!reachable(":x"));
        assert!(!reachable(":65535"));
        assert!(!reachable("127.0.0.1:5999"), "port 11999 has no X server");
    }
}
