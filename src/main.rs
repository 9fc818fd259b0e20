//! The `losscape` binary: the app, or a headless command (see `losscape --help`).

fn main() -> std::process::ExitCode {
    losscape::cli::main()
}
