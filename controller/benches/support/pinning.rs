//! `SEALANT_BENCH_CONTROLLER_CPUS=k`: give the controller the last `k` CPUs to itself and
//! keep this process (the fake API server and the bench's own polling) on the others.
//!
//! **Why.** In a cluster the API server runs on other machines; here it runs on the same two
//! cores as the controller, so without pinning a figure measures both. When the controller
//! is cheap per object (envelope v2), the fake's share of the cores is most of what a cold
//! run's wall clock shows. Pinned, each side has its own cores, the controller's wall clock
//! is the controller's, and the anchor (the bare private operation) is measured on the
//! controller's CPUs with one thread per CPU, so the ratio to it still means "share of the
//! controller's capacity spent in the key operation".
//!
//! Done with util-linux's `taskset`, which `exec`s the controller (so its pid is the
//! controller's) and sets the affinity of a running thread; threads inherit the affinity of
//! the thread that starts them.

use std::{process::Command, sync::OnceLock};

/// Which CPUs each side runs on.
#[derive(Debug)]
pub struct Pinning {
    /// The controller's CPUs, as a `taskset` list ("1", "2,3").
    pub controller: String,
    /// How many CPUs the controller has: the anchor's thread count.
    pub controller_cpus: usize,
    /// This process's CPUs.
    pub bench: String,
}

/// The pinning `SEALANT_BENCH_CONTROLLER_CPUS` asks for, if any; read once.
pub fn pinning() -> Option<&'static Pinning> {
    static PINNING: OnceLock<Option<Pinning>> = OnceLock::new();
    PINNING
        .get_or_init(|| {
            let wanted: usize = std::env::var("SEALANT_BENCH_CONTROLLER_CPUS")
                .ok()?
                .parse()
                .ok()?;
            let total = std::thread::available_parallelism().map_or(1, |n| n.get());
            assert!(
                wanted >= 1 && wanted < total,
                "SEALANT_BENCH_CONTROLLER_CPUS={wanted}: the controller and the fake each \
                 need a CPU of their own, and this machine has {total}"
            );
            let list = |cpus: std::ops::Range<usize>| {
                cpus.map(|c| c.to_string()).collect::<Vec<_>>().join(",")
            };
            Some(Pinning {
                controller: list(total - wanted..total),
                controller_cpus: wanted,
                bench: list(0..total - wanted),
            })
        })
        .as_ref()
}

/// Confine the calling thread (and the threads it starts from now on) to `cpus`.
pub fn pin_this_thread(cpus: &str) {
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    let link = std::fs::read_link("/proc/thread-self").expect("reading /proc/thread-self");
    let tid = link
        .file_name()
        .and_then(|t| t.to_str())
        .expect("a thread id")
        .to_owned();
    let status = Command::new("taskset")
        .args(["-p", "-c", cpus, &tid])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("running taskset (util-linux)");
    assert!(status.success(), "taskset -p -c {cpus} {tid}: {status}");
}

/// Run `work` on a thread confined to `cpus`, and return what it returns.
pub fn on_cpus<T: Send>(cpus: &str, work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                pin_this_thread(cpus);
                work()
            })
            .join()
            .expect("the pinned thread panicked")
    })
}

/// The command that starts `program`, on the controller's CPUs when pinned.
pub fn command_for(program: &str) -> Command {
    match pinning() {
        Some(p) => {
            let mut command = Command::new("taskset");
            command.args(["-c", &p.controller, program]);
            command
        }
        None => Command::new(program),
    }
}
