//! `ntm-server`: see `ntm-server --help` and the README's "Server" section.

fn main() -> std::process::ExitCode {
    ntm_server::cli::main()
}
