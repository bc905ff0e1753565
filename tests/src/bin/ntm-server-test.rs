//! The real `ntm-server` command line, built as a binary of this package so that its
//! integration tests can start it (`CARGO_BIN_EXE_*` only names a package's own binaries).

fn main() -> std::process::ExitCode {
    ntm_server::cli::main()
}
