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

use crate::kernels::digest::to_hex;
use crate::kernels::hash::Engine;

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
}
