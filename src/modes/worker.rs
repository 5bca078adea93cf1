//! Processes mode, the worker's side: what `coreheat __worker` does.
//!
//! The worker asks the kernel to kill it when coreheat dies, pins itself if asked,
//! then reads the protocol from stdin on a reader thread (chunks go to the
//! searching thread, `best` updates a shared atomic) and answers on stdout. End of
//! input means coreheat is gone or done with it: the worker exits at once, so no
//! worker outlives coreheat, even after `kill -9`.

use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use super::protocol::{FromWorker, ToWorker};
use crate::kernels::count;
use crate::kernels::digest::HashTarget;
use crate::kernels::hash;
use crate::util::os;

/// Runs a worker process to its end; returns the process exit code.
pub fn worker_main(index: usize, cpu: Option<u32>) -> i32 {
    let parent = os::parent_pid();
    if !os::die_with_parent(parent) {
        return 1;
    }
    if let Some(cpu) = cpu
        && let Err(e) = os::set_affinity(&[cpu])
    {
        answer(&FromWorker::Error(format!(
            "cannot pin worker {index} to CPU {cpu}: {e}"
        )));
        return 1;
    }
    answer(&FromWorker::Ready);

    let best = std::sync::Arc::new(AtomicU64::new(u64::MAX));
    let (sender, receiver) = mpsc::channel::<ToWorker>();
    let reader_best = best.clone();
    let reader = std::thread::Builder::new()
        .name("coreheat-input".into())
        .spawn(move || read_input(sender, &reader_best));
    if let Err(e) = reader {
        answer(&FromWorker::Error(format!(
            "cannot start a thread: {e} (too many processes for this user? see ulimit -u)"
        )));
        return 1;
    }

    let Ok(job) = receiver.recv() else {
        return 0;
    };
    match job {
        ToWorker::Hash {
            zeros,
            engine,
            prefix,
        } => {
            let target = HashTarget::new(&prefix, zeros);
            let engine = engine.resolve().0;
            for message in receiver {
                if let ToWorker::Chunk { start, end } = message {
                    let outcome = hash::search_range(&target, engine, start, end, &best);
                    if let Some(hit) = outcome.hit {
                        best.fetch_min(hit.nonce, Ordering::Relaxed);
                    }
                    answer(&FromWorker::Done {
                        start,
                        hashes: outcome.hashes,
                        nonce: outcome.hit.map(|h| h.nonce),
                    });
                }
            }
            0
        }
        ToWorker::Count { start, end } => {
            // Stopping is end of input, which ends the process.
            let progress = AtomicU64::new(0);
            let outcome = count::sum_range(start..end, || false, &progress);
            answer(&FromWorker::Sum(outcome.sum));
            0
        }
        other => {
            answer(&FromWorker::Error(format!(
                "expected a job first, got '{}'",
                other.encode().trim()
            )));
            1
        }
    }
}

/// Reads coreheat's messages until end of input, then ends the process.
fn read_input(sender: mpsc::Sender<ToWorker>, best: &AtomicU64) {
    let stdin = io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        match ToWorker::decode(&line) {
            Ok(ToWorker::Best(nonce)) => {
                best.fetch_min(nonce, Ordering::Relaxed);
            }
            Ok(message) => {
                if sender.send(message).is_err() {
                    break;
                }
            }
            Err(e) => {
                answer(&FromWorker::Error(e));
                std::process::exit(1);
            }
        }
    }
    std::process::exit(0);
}

fn answer(message: &FromWorker) {
    let mut stdout = io::stdout().lock();
    if stdout
        .write_all(message.encode().as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        // coreheat is gone: nothing left to work for.
        std::process::exit(0);
    }
}
