//! Named points where the server dies on purpose when `NTM_FAILPOINT` names them, so that a
//! test can show that what any crash leaves behind is consistent (a photo upload's finishing
//! steps, `tests/tests/device_server_kill.rs`). Compiled in always, inert unless set.

use std::sync::OnceLock;

/// Aborts the process (no unwinding, no flushing: as a power cut or SIGKILL would) when
/// `NTM_FAILPOINT` is `name`.
pub fn hit(name: &str) {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    if ARMED
        .get_or_init(|| std::env::var("NTM_FAILPOINT").ok())
        .as_deref()
        == Some(name)
    {
        eprintln!("NTM_FAILPOINT {name}: aborting");
        std::process::abort();
    }
}
