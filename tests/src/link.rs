//! P6's emulated mobile link (quality.md): two network namespaces, one for the server and one
//! for the phone, joined by a link with a mobile network's rate, round trip and loss, that the
//! harness can cut.
//!
//! Two emulations give the same link:
//! - **`tc netem`** on a veth pair, when the kernel has `sch_netem`;
//! - otherwise a **user-space packet emulator**: each namespace gets a TUN device whose file
//!   descriptor this process holds, and every IP packet between them goes through
//!   [`carry`], which applies what netem would (loss at enqueue, a FIFO of at most
//!   [`QUEUE_LIMIT`] packets serialised at the link rate, then half the round trip of delay).
//!   Both kernels' real TCP stacks see the loss and the delay.
//!
//! [`Link::emulation`] says which one runs. A cut ([`Link::cut`]) makes the link drop everything
//! for a while and resets every TCP connection in both namespaces (`ss -K`), as a phone that
//! falls off the network and comes back finds its connections gone.
//!
//! Everything made here is removed on drop: the namespaces (with the veth pair or TUN devices
//! in them), and the TUN devices vanish with this process's file descriptors. Names carry the
//! process id and a counter, so parallel runs do not collide, and namespaces left by a killed
//! run are removed by the next one.

use std::collections::VecDeque;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use tokio::time::Instant;

/// The server's address on the link, inside its namespace.
pub const SERVER_ADDR: &str = "10.66.0.1";
/// The phone's address on the link, inside its namespace.
pub const PHONE_ADDR: &str = "10.66.0.2";
/// Packets waiting for the link, at most: netem's default `limit`.
pub const QUEUE_LIMIT: usize = 1000;
const NETNS_PREFIX: &str = "ntm-p6-";

/// A mobile link, the same both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkProfile {
    pub name: &'static str,
    /// Bits per second each way.
    pub rate_bps: u64,
    pub rtt: Duration,
    /// Probability that a packet is lost, each way.
    pub loss: f64,
}

/// quality.md P6: 40 kbit/s, 600 ms round trip, 5 % loss.
pub const PROFILE_2G: LinkProfile = LinkProfile {
    name: "2G",
    rate_bps: 40_000,
    rtt: Duration::from_millis(600),
    loss: 0.05,
};

/// A rural 3G cell: UMTS's 384 kbit/s, 200 ms round trip, 1 % loss.
pub const PROFILE_3G: LinkProfile = LinkProfile {
    name: "3G",
    rate_bps: 384_000,
    rtt: Duration::from_millis(200),
    loss: 0.01,
};

impl LinkProfile {
    /// The time the link needs to serialise `bytes`.
    pub fn serialisation(&self, bytes: u64) -> Duration {
        Duration::from_secs_f64(bytes as f64 * 8.0 / self.rate_bps as f64)
    }

    /// The shortest time in which `bytes` of payload can cross this link in one direction and
    /// be answered: at the link rate, with the lost share sent again, plus one round trip.
    pub fn physical_minimum(&self, bytes: u64) -> Duration {
        self.serialisation(bytes).div_f64(1.0 - self.loss) + self.rtt
    }

    fn netem_args(&self) -> Vec<String> {
        vec![
            "delay".into(),
            format!("{}ms", self.rtt.as_millis() / 2),
            "loss".into(),
            format!("{}%", self.loss * 100.0),
            "rate".into(),
            format!("{}bit", self.rate_bps),
            "limit".into(),
            QUEUE_LIMIT.to_string(),
        ]
    }
}

/// Why the link could not be made or changed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("cannot run {program}: {source} (P6 needs root and iproute2)")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed: {stderr} (P6 needs root and iproute2's network namespaces)")]
    Command { command: String, stderr: String },
    #[error("cannot open a TUN device: {0}")]
    Tun(String),
}

/// Runs a command to completion; its failure becomes a [`LinkError`] that quotes it.
fn run(program: &str, args: &[&str]) -> Result<String, LinkError> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|source| LinkError::Spawn {
            program: program.to_owned(),
            source,
        })?;
    if !out.status.success() {
        return Err(LinkError::Command {
            command: format!("{program} {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `ip netns exec NS program args...`.
fn run_in(ns: &str, program: &str, args: &[&str]) -> Result<String, LinkError> {
    let mut all = vec!["netns", "exec", ns, program];
    all.extend_from_slice(args);
    run("ip", &all)
}

/// A network namespace, deleted on drop (with every device in it).
struct Netns {
    name: String,
}

impl Netns {
    fn create(name: String) -> Result<Netns, LinkError> {
        run("ip", &["netns", "add", &name])?;
        let ns = Netns { name };
        run("ip", &["-n", &ns.name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "delete", &self.name]);
    }
}

/// Deletes the namespaces of runs whose process is gone (killed before its guards ran).
fn remove_stale_namespaces() {
    let Ok(list) = run("ip", &["netns", "list"]) else {
        return;
    };
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(pid) = name
            .strip_prefix(NETNS_PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = run("ip", &["netns", "delete", name]);
        }
    }
}

/// Bytes and packets one direction of the link carried.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DirectionCount {
    /// IP packets the sender put on the link (lost ones included), and their bytes with IP and
    /// TCP headers.
    pub packets: u64,
    pub bytes: u64,
    /// Packets the link dropped: random loss, a full queue, or a cut.
    pub dropped: u64,
}

/// What the link carried since the last [`Link::reset_counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LinkCounts {
    /// Phone to server.
    pub up: DirectionCount,
    /// Server to phone.
    pub down: DirectionCount,
}

#[derive(Default)]
struct Counters {
    packets: AtomicU64,
    bytes: AtomicU64,
    dropped: AtomicU64,
}

impl Counters {
    fn read(&self) -> DirectionCount {
        DirectionCount {
            packets: self.packets.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
    fn reset(&self) {
        self.packets.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        self.dropped.store(0, Ordering::Relaxed);
    }
}

/// The user-space emulator's state, shared by its two directions.
struct TunState {
    /// `None`: a clean link (no delay, no loss) for setting up and checking.
    profile: Mutex<Option<LinkProfile>>,
    dark_until: Mutex<Option<Instant>>,
    up: Counters,
    down: Counters,
}

impl TunState {
    fn profile(&self) -> Option<LinkProfile> {
        self.profile
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    fn dark(&self, at: Instant) -> bool {
        self.dark_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|until| at < until)
    }
}

enum Emulation {
    /// Devices (namespace, name) whose root qdisc is netem.
    Netem { devices: [(String, String); 2] },
    /// The forwarding tasks hold the TUN devices; aborting them closes the devices.
    Tun {
        state: Arc<TunState>,
        tasks: Vec<tokio::task::JoinHandle<()>>,
    },
}

/// A server namespace and a phone namespace joined by an emulated link. Starts clean
/// ([`Link::set_profile`] with `None`).
pub struct Link {
    emulation: Emulation,
    /// Declared last: the namespaces go after the emulator's devices.
    server_ns: Netns,
    phone_ns: Netns,
}

static NEXT_LINK: AtomicU64 = AtomicU64::new(0);

impl Link {
    /// Makes the namespaces and the link: netem when the kernel has it, else the user-space
    /// emulator. Needs root and iproute2; call it inside a tokio runtime.
    pub fn create() -> Result<Link, LinkError> {
        remove_stale_namespaces();
        let pid = std::process::id();
        let n = NEXT_LINK.fetch_add(1, Ordering::Relaxed);
        let server_ns = Netns::create(format!("{NETNS_PREFIX}{pid}-{n}-server"))?;
        let phone_ns = Netns::create(format!("{NETNS_PREFIX}{pid}-{n}-phone"))?;
        // Device names are made in the root namespace first: at most 15 bytes, unique per run.
        let server_dev = format!("n6s{pid}x{n}");
        let phone_dev = format!("n6p{pid}x{n}");
        let netem = run_in(
            &server_ns.name,
            "tc",
            &["qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
        )
        .is_ok();
        let emulation = if netem {
            run_in(
                &server_ns.name,
                "tc",
                &["qdisc", "del", "dev", "lo", "root"],
            )?;
            run(
                "ip",
                &[
                    "link",
                    "add",
                    &server_dev,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    &phone_dev,
                ],
            )?;
            Emulation::Netem {
                devices: [
                    (server_ns.name.clone(), server_dev.clone()),
                    (phone_ns.name.clone(), phone_dev.clone()),
                ],
            }
        } else {
            let server_tun = open_tun(&server_dev)?;
            let phone_tun = open_tun(&phone_dev)?;
            let state = Arc::new(TunState {
                profile: Mutex::new(None),
                dark_until: Mutex::new(None),
                up: Counters::default(),
                down: Counters::default(),
            });
            let tasks = vec![
                tokio::spawn(carry(
                    phone_tun.clone(),
                    server_tun.clone(),
                    state.clone(),
                    Upstream::Up,
                )),
                tokio::spawn(carry(server_tun, phone_tun, state.clone(), Upstream::Down)),
            ];
            Emulation::Tun { state, tasks }
        };
        let link = Link {
            emulation,
            server_ns,
            phone_ns,
        };
        for (ns, dev, addr) in [
            (&link.server_ns.name, &server_dev, SERVER_ADDR),
            (&link.phone_ns.name, &phone_dev, PHONE_ADDR),
        ] {
            run("ip", &["link", "set", dev, "netns", ns])?;
            run(
                "ip",
                &["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev],
            )?;
            run("ip", &["-n", ns, "link", "set", dev, "up"])?;
        }
        Ok(link)
    }

    /// Says which emulation runs, plainly, for the report.
    pub fn emulation(&self) -> &'static str {
        match self.emulation {
            Emulation::Netem { .. } => "tc netem on a veth pair between two network namespaces",
            Emulation::Tun { .. } => {
                "user-space packet emulator between TUN devices in two network namespaces \
                 (this kernel has no sch_netem)"
            }
        }
    }

    pub fn server_namespace(&self) -> &str {
        &self.server_ns.name
    }

    pub fn phone_namespace(&self) -> &str {
        &self.phone_ns.name
    }

    /// A command that runs inside the server's namespace.
    pub fn server_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        in_namespace(&self.server_ns.name, program)
    }

    /// A command that runs inside the phone's namespace.
    pub fn phone_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        in_namespace(&self.phone_ns.name, program)
    }

    /// Applies `profile` both ways, or a clean link for `None`.
    pub fn set_profile(&self, profile: Option<&LinkProfile>) -> Result<(), LinkError> {
        match &self.emulation {
            Emulation::Netem { devices } => {
                for (ns, dev) in devices {
                    let mut args = vec!["qdisc", "replace", "dev", dev.as_str(), "root", "netem"];
                    let netem = profile.map(LinkProfile::netem_args).unwrap_or_default();
                    args.extend(netem.iter().map(String::as_str));
                    run_in(ns, "tc", &args)?;
                }
            }
            Emulation::Tun { state, .. } => {
                *state.profile.lock().unwrap_or_else(|p| p.into_inner()) = profile.cloned();
            }
        }
        Ok(())
    }

    /// Cuts the connection: the link drops everything for `dark`, and every TCP connection in
    /// both namespaces is reset at once. Returns when the link is back.
    pub async fn cut(&self, dark: Duration, profile: &LinkProfile) -> Result<(), LinkError> {
        match &self.emulation {
            Emulation::Netem { devices } => {
                for (ns, dev) in devices {
                    run_in(
                        ns,
                        "tc",
                        &["qdisc", "change", dev, "root", "netem", "loss", "100%"],
                    )?;
                }
            }
            Emulation::Tun { state, .. } => {
                *state.dark_until.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(Instant::now() + dark);
            }
        }
        for ns in [&self.server_ns.name, &self.phone_ns.name] {
            // `ss -K` aborts the sockets (the kernel needs INET_DIAG_DESTROY); it also reports
            // an error for sockets it may not kill, such as listeners, so only spawning counts.
            Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    ns,
                    "ss",
                    "-K",
                    "-t",
                    "state",
                    "established",
                ])
                .output()
                .map_err(|source| LinkError::Spawn {
                    program: "ss".into(),
                    source,
                })?;
        }
        tokio::time::sleep(dark).await;
        if let Emulation::Netem { .. } = self.emulation {
            self.set_profile(Some(profile))?;
        }
        Ok(())
    }

    /// What the link carried since the last reset.
    pub fn counts(&self) -> Result<LinkCounts, LinkError> {
        match &self.emulation {
            Emulation::Tun { state, .. } => Ok(LinkCounts {
                up: state.up.read(),
                down: state.down.read(),
            }),
            Emulation::Netem { devices } => {
                let [(sns, sdev), (pns, pdev)] = devices;
                Ok(LinkCounts {
                    up: netem_count(pns, pdev)?,
                    down: netem_count(sns, sdev)?,
                })
            }
        }
    }

    /// Starts counting from zero. netem's counters cannot be reset: they are read relative to
    /// the last reset instead.
    pub fn reset_counts(&mut self) -> Result<(), LinkError> {
        match &mut self.emulation {
            Emulation::Tun { state, .. } => {
                state.up.reset();
                state.down.reset();
            }
            Emulation::Netem { devices } => {
                // Re-adding the qdisc zeroes its statistics; the caller sets the profile next.
                for (ns, dev) in devices.iter() {
                    let _ = run_in(ns, "tc", &["qdisc", "del", "dev", dev, "root"]);
                }
                self.set_profile(None)?;
            }
        }
        Ok(())
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Emulation::Tun { tasks, .. } = &self.emulation {
            for t in tasks {
                t.abort();
            }
        }
    }
}

fn in_namespace(ns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns]).arg(program);
    c
}

/// A netem qdisc's `Sent` bytes and packets and its drops (`tc -s qdisc show`).
fn netem_count(ns: &str, dev: &str) -> Result<DirectionCount, LinkError> {
    let text = run_in(ns, "tc", &["-s", "qdisc", "show", "dev", dev])?;
    let words: Vec<&str> = text.split_whitespace().collect();
    let after = |key: &str| -> u64 {
        words
            .iter()
            .position(|w| *w == key)
            .and_then(|i| words.get(i + 1))
            .and_then(|w| w.trim_end_matches(',').parse().ok())
            .unwrap_or(0)
    };
    let sent = after("Sent");
    let packets = words
        .iter()
        .position(|w| *w == "bytes")
        .and_then(|i| words.get(i + 1))
        .and_then(|w| w.parse().ok())
        .unwrap_or(0);
    let dropped = words
        .iter()
        .position(|w| *w == "(dropped")
        .and_then(|i| words.get(i + 1))
        .and_then(|w| w.trim_end_matches(',').parse().ok())
        .unwrap_or(0);
    Ok(DirectionCount {
        packets: packets + dropped,
        bytes: sent,
        dropped,
    })
}

/// A TUN device made in the root namespace by the `tun` crate without configuring it: the
/// caller moves it into a namespace and addresses it there (its descriptor keeps working).
fn open_tun(name: &str) -> Result<Arc<tun::AsyncDevice>, LinkError> {
    let mut config = tun::Configuration::default();
    config.tun_name(name).platform_config(|p| {
        p.ensure_root_privileges(false);
    });
    tun::create_as_async(&config)
        .map(Arc::new)
        .map_err(|e| LinkError::Tun(e.to_string()))
}

#[derive(Clone, Copy)]
enum Upstream {
    Up,
    Down,
}

/// One direction of the user-space link, as netem does it: a packet is lost at random (or
/// dropped while the link is cut, or when [`QUEUE_LIMIT`] packets already wait), else it waits
/// for the link, is serialised at the link rate, and arrives half a round trip later. Only
/// IPv4 crosses (the namespaces speak nothing else over the link; IPv6's own chatter would
/// only add noise to the counts).
async fn carry(
    from: Arc<tun::AsyncDevice>,
    to: Arc<tun::AsyncDevice>,
    state: Arc<TunState>,
    direction: Upstream,
) {
    let counters = match direction {
        Upstream::Up => &state.up,
        Upstream::Down => &state.down,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let deliver_state = state.clone();
    let deliver = tokio::spawn(async move {
        while let Some((at, packet)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            // Packets in flight when the link goes dark are lost with it.
            if deliver_state.dark(Instant::now()) {
                continue;
            }
            if to.send(&packet).await.is_err() {
                return;
            }
        }
    });
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut link_free = Instant::now();
    // When each packet still queued or on the link will have left it.
    let mut departures: VecDeque<Instant> = VecDeque::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let n = match from.recv(&mut buf).await {
            Ok(n) => n,
            Err(_) => break,
        };
        if n == 0 || buf[0] >> 4 != 4 {
            continue;
        }
        let now = Instant::now();
        counters.packets.fetch_add(1, Ordering::Relaxed);
        counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
        let Some(profile) = state.profile() else {
            if tx.send((now, buf[..n].to_vec())).is_err() {
                break;
            }
            continue;
        };
        while departures.front().is_some_and(|d| *d <= now) {
            departures.pop_front();
        }
        if state.dark(now) || departures.len() >= QUEUE_LIMIT || rng.random_bool(profile.loss) {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let start = link_free.max(now);
        link_free = start + profile.serialisation(n as u64);
        departures.push_back(link_free);
        if tx
            .send((link_free + profile.rtt / 2, buf[..n].to_vec()))
            .is_err()
        {
            break;
        }
    }
    deliver.abort();
}
