//! The line protocol between coreheat and its worker processes.
//!
//! A worker is the coreheat binary re-executed as `coreheat __worker --index I
//! [--cpu C]`. Each message is one line of ASCII words; numbers are decimal and the
//! hash prefix travels hex-encoded so any bytes survive.
//!
//! coreheat → worker (stdin):
//! - `hash ZEROS ENGINE PREFIX_HEX` — the job: search chunks for this target
//!   (`-` stands for an empty prefix)
//! - `chunk START END` — search nonces START..END
//! - `best N` — some worker found N; nonces above it need no searching
//! - `count START END` — the job: sum START..END and answer once
//!
//! worker → coreheat (stdout):
//! - `ready` — the worker is running (and pinned, if asked)
//! - `done START HASHES [NONCE]` — finished (or gave up on) the chunk that starts at
//!   START after HASHES hashes; NONCE is the smallest hit in it
//! - `sum VALUE` — the count's result
//! - `error TEXT` — the worker cannot go on
//!
//! End of input on a worker's stdin means coreheat is gone or stopping: the worker
//! exits at once.
//!
//! The guardian of a command traced by `run exec` (`coreheat __guard`, see
//! `guard.rs`) speaks the same way over two pipes:
//!
//! coreheat → guardian (descriptor 3):
//! - `signal N` — pass signal N on to the command while it runs (any number of times)
//! - `stop` — stop the command's whole tree; `release` — leave what still runs
//!
//! guardian → coreheat (descriptor 4):
//! - `started PID`, then `exited STATUS USER_S SYS_S WALL_S LEFT_RUNNING`
//!   (STATUS `code:N` or `signal:N`), or `failed CODE MESSAGE` when the command
//!   cannot start
//!
//! A line either side cannot read is an error that quotes it, never dropped.

use crate::kernels::digest::to_hex;
use crate::kernels::hash::Engine;
use crate::util::os::{CpuTimes, ExitStatus};

/// A message from coreheat to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToWorker {
    Hash {
        zeros: u32,
        engine: Engine,
        prefix: Vec<u8>,
    },
    Chunk {
        start: u64,
        end: u64,
    },
    Best(u64),
    Count {
        start: u128,
        end: u128,
    },
}

/// A message from a worker to coreheat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromWorker {
    Ready,
    Done {
        start: u64,
        hashes: u64,
        nonce: Option<u64>,
    },
    Sum(u128),
    Error(String),
}

impl ToWorker {
    pub fn encode(&self) -> String {
        match self {
            ToWorker::Hash {
                zeros,
                engine,
                prefix,
            } => {
                let hex = if prefix.is_empty() {
                    "-".to_string()
                } else {
                    to_hex(prefix)
                };
                format!("hash {zeros} {} {hex}\n", engine.as_str())
            }
            ToWorker::Chunk { start, end } => format!("chunk {start} {end}\n"),
            ToWorker::Best(nonce) => format!("best {nonce}\n"),
            ToWorker::Count { start, end } => format!("count {start} {end}\n"),
        }
    }

    pub fn decode(line: &str) -> Result<ToWorker, String> {
        let words: Vec<&str> = line.split_ascii_whitespace().collect();
        match words.as_slice() {
            ["hash", zeros, engine, prefix] => Ok(ToWorker::Hash {
                zeros: number(zeros)?,
                engine: Engine::parse(engine)?,
                prefix: if *prefix == "-" {
                    Vec::new()
                } else {
                    from_hex(prefix)?
                },
            }),
            ["chunk", start, end] => Ok(ToWorker::Chunk {
                start: number(start)?,
                end: number(end)?,
            }),
            ["best", nonce] => Ok(ToWorker::Best(number(nonce)?)),
            ["count", start, end] => Ok(ToWorker::Count {
                start: number(start)?,
                end: number(end)?,
            }),
            _ => Err(format!("unknown message '{}'", line.trim())),
        }
    }
}

impl FromWorker {
    pub fn encode(&self) -> String {
        match self {
            FromWorker::Ready => "ready\n".to_string(),
            FromWorker::Done {
                start,
                hashes,
                nonce: Some(nonce),
            } => format!("done {start} {hashes} {nonce}\n"),
            FromWorker::Done {
                start,
                hashes,
                nonce: None,
            } => format!("done {start} {hashes}\n"),
            FromWorker::Sum(value) => format!("sum {value}\n"),
            FromWorker::Error(text) => format!("error {}\n", text.replace('\n', " ")),
        }
    }

    pub fn decode(line: &str) -> Result<FromWorker, String> {
        let line = line.trim_end();
        if let Some(text) = line.strip_prefix("error ") {
            return Ok(FromWorker::Error(text.to_string()));
        }
        let words: Vec<&str> = line.split_ascii_whitespace().collect();
        match words.as_slice() {
            ["ready"] => Ok(FromWorker::Ready),
            ["done", start, hashes] => Ok(FromWorker::Done {
                start: number(start)?,
                hashes: number(hashes)?,
                nonce: None,
            }),
            ["done", start, hashes, nonce] => Ok(FromWorker::Done {
                start: number(start)?,
                hashes: number(hashes)?,
                nonce: Some(number(nonce)?),
            }),
            ["sum", value] => Ok(FromWorker::Sum(number(value)?)),
            _ => Err(format!("unknown message '{line}'")),
        }
    }
}

/// What coreheat asks of a command's guardian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToGuardian {
    Signal(i32),
    Stop,
    Release,
}

impl ToGuardian {
    pub fn encode(&self) -> String {
        match self {
            ToGuardian::Signal(signal) => format!("signal {signal}\n"),
            ToGuardian::Stop => "stop\n".to_string(),
            ToGuardian::Release => "release\n".to_string(),
        }
    }

    pub fn decode(line: &str) -> Result<ToGuardian, String> {
        match line.split_ascii_whitespace().collect::<Vec<_>>().as_slice() {
            ["signal", signal] => Ok(ToGuardian::Signal(number(signal)?)),
            ["stop"] => Ok(ToGuardian::Stop),
            ["release"] => Ok(ToGuardian::Release),
            _ => Err(format!("unknown order '{}'", line.trim())),
        }
    }
}

/// What the guardian tells coreheat.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardMessage {
    Started(u32),
    Exited {
        status: ExitStatus,
        cpu: CpuTimes,
        wall_s: f64,
        left_running: u32,
    },
    Failed {
        code: i32,
        message: String,
    },
}

impl GuardMessage {
    pub fn encode(&self) -> String {
        match self {
            GuardMessage::Started(pid) => format!("started {pid}\n"),
            GuardMessage::Exited {
                status,
                cpu,
                wall_s,
                left_running,
            } => {
                let status = match status {
                    ExitStatus::Code(code) => format!("code:{code}"),
                    ExitStatus::Signal(signal) => format!("signal:{signal}"),
                };
                format!(
                    "exited {status} {} {} {wall_s} {left_running}\n",
                    cpu.user_s, cpu.sys_s
                )
            }
            GuardMessage::Failed { code, message } => {
                format!("failed {code} {}\n", message.replace('\n', " "))
            }
        }
    }

    pub fn decode(line: &str) -> Result<GuardMessage, String> {
        let line = line.trim_end();
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "started" => Ok(GuardMessage::Started(number(rest)?)),
            "failed" => {
                let (code, message) = rest.split_once(' ').unwrap_or((rest, ""));
                Ok(GuardMessage::Failed {
                    code: number(code)?,
                    message: message.to_string(),
                })
            }
            "exited" => decode_exited(rest),
            _ => Err(format!("unknown message '{line}'")),
        }
    }
}

fn decode_exited(rest: &str) -> Result<GuardMessage, String> {
    let fields: Vec<&str> = rest.split(' ').collect();
    let [status, user_s, sys_s, wall_s, left_running] = fields[..] else {
        return Err(format!("'exited {rest}' has not the five fields of an end"));
    };
    let status = match status.split_once(':') {
        Some(("code", n)) => ExitStatus::Code(number(n)?),
        Some(("signal", n)) => ExitStatus::Signal(number(n)?),
        _ => return Err(format!("'{status}' is not code:N or signal:N")),
    };
    Ok(GuardMessage::Exited {
        status,
        cpu: CpuTimes {
            user_s: number(user_s)?,
            sys_s: number(sys_s)?,
        },
        wall_s: number(wall_s)?,
        left_running: number(left_running)?,
    })
}

fn number<T: std::str::FromStr>(word: &str) -> Result<T, String> {
    word.parse()
        .map_err(|_| format!("'{word}' is not a valid number"))
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err("hex text has an odd length".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| format!("'{text}' is not hex"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_to_workers_round_trip() {
        let messages = [
            ToWorker::Hash {
                zeros: 7,
                engine: Engine::Simd,
                prefix: b"a b\n\xff".to_vec(),
            },
            ToWorker::Hash {
                zeros: 1,
                engine: Engine::Scalar,
                prefix: Vec::new(),
            },
            ToWorker::Chunk {
                start: 65536,
                end: 131072,
            },
            ToWorker::Best(1839773),
            ToWorker::Count {
                start: 0,
                end: 1 << 64,
            },
        ];
        for message in messages {
            let line = message.encode();
            assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
            assert_eq!(ToWorker::decode(&line).unwrap(), message);
        }
    }

    #[test]
    fn messages_from_workers_round_trip() {
        let messages = [
            FromWorker::Ready,
            FromWorker::Done {
                start: 0,
                hashes: 6,
                nonce: Some(5),
            },
            FromWorker::Done {
                start: 65536,
                hashes: 65536,
                nonce: None,
            },
            FromWorker::Sum(36028796884746240),
            FromWorker::Error("cannot pin to CPU 9".into()),
        ];
        for message in messages {
            assert_eq!(FromWorker::decode(&message.encode()).unwrap(), message);
        }
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(ToWorker::decode("chunk x 1").is_err());
        assert!(ToWorker::decode("hash 7 simd zz").is_err());
        assert!(FromWorker::decode("done").is_err());
        assert!(FromWorker::decode("").is_err());
    }

    #[test]
    fn guardian_messages_round_trip_and_bad_ones_say_why() {
        let messages = [
            GuardMessage::Started(4242),
            GuardMessage::Exited {
                status: ExitStatus::Code(3),
                cpu: CpuTimes {
                    user_s: 1.25,
                    sys_s: 0.5,
                },
                wall_s: 2.0,
                left_running: 1,
            },
            GuardMessage::Exited {
                status: ExitStatus::Signal(15),
                cpu: CpuTimes::default(),
                wall_s: 0.001,
                left_running: 0,
            },
            GuardMessage::Failed {
                code: 126,
                message: "exec: cannot run '/tmp': Permission denied".into(),
            },
        ];
        for message in messages {
            assert_eq!(GuardMessage::decode(&message.encode()), Ok(message));
        }
        let unreadable = |line: &str| GuardMessage::decode(line).unwrap_err();
        assert_eq!(
            unreadable("exited code:x 1 2 3 4"),
            "'x' is not a valid number"
        );
        assert_eq!(
            unreadable("exited 1 2"),
            "'exited 1 2' has not the five fields of an end"
        );
        assert_eq!(unreadable("hello"), "unknown message 'hello'");
        assert_eq!(unreadable("started"), "'' is not a valid number");
    }

    #[test]
    fn guardian_orders_round_trip_and_bad_ones_say_why() {
        for order in [ToGuardian::Signal(2), ToGuardian::Stop, ToGuardian::Release] {
            assert_eq!(ToGuardian::decode(&order.encode()), Ok(order));
        }
        assert_eq!(
            ToGuardian::decode("signal INT"),
            Err("'INT' is not a valid number".to_string())
        );
        assert_eq!(
            ToGuardian::decode("halt"),
            Err("unknown order 'halt'".to_string())
        );
    }

    proptest::proptest! {
        /// Both pipes' lines, whatever their bytes: a message or an error, never a panic.
        #[test]
        fn every_line_either_side_is_read_or_refused(text in ".{0,80}") {
            let _ = ToWorker::decode(&text);
            let _ = FromWorker::decode(&text);
            let _ = ToGuardian::decode(&text);
            let _ = GuardMessage::decode(&text);
        }
    }
}
