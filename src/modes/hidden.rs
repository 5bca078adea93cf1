//! The command lines coreheat gives its own helper processes, defined once: a
//! worker process (`coreheat __worker --index N [--cpu C]`, `processes`) and the
//! guardian of a user's command (`coreheat __guard [--cpus LIST] -- ARGV`,
//! `exec`). The modes build them with [`worker_args`] and [`guard_args`]; the
//! CLI parses them under these names (`cli::WorkerCommand`, `cli::GuardCommand`),
//! and its tests parse what is built here.

pub use super::guard::GUARD_SUBCOMMAND;

/// The hidden subcommand of a worker process.
pub const WORKER_SUBCOMMAND: &str = "__worker";
/// `__worker --index N`: which worker this is.
pub const INDEX_FLAG: &str = "index";
/// `__worker --cpu C`: the CPU to pin the worker to.
pub const CPU_FLAG: &str = "cpu";
/// `__guard --cpus LIST`: the CPUs to pin the command to.
pub const CPUS_FLAG: &str = "cpus";

/// The arguments of worker `index`, pinned to `cpu` if given.
pub fn worker_args(index: usize, cpu: Option<u32>) -> Vec<String> {
    let mut args = vec![
        WORKER_SUBCOMMAND.to_string(),
        format!("--{INDEX_FLAG}"),
        index.to_string(),
    ];
    if let Some(cpu) = cpu {
        args.extend([format!("--{CPU_FLAG}"), cpu.to_string()]);
    }
    args
}

/// The arguments of the guardian of `argv`, pinned to `cpus` if any.
pub fn guard_args(cpus: &[u32], argv: &[String]) -> Vec<String> {
    let mut args = vec![GUARD_SUBCOMMAND.to_string()];
    if !cpus.is_empty() {
        let cpus: Vec<String> = cpus.iter().map(u32::to_string).collect();
        args.extend([format!("--{CPUS_FLAG}"), cpus.join(",")]);
    }
    args.push("--".to_string());
    args.extend(argv.iter().cloned());
    args
}
