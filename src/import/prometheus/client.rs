//! The one piece of network code in coreheat: a blocking HTTP client (ureq,
//! plain http only) for Prometheus' query API, with connect and whole-request
//! timeouts. It returns the `data` of a successful answer and turns every
//! failure (unreachable, not Prometheus, a refused query) into a message that
//! names the URL and says what to do.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Largest answer read: a chunk of a range query stays well below it.
const MAX_BODY_BYTES: u64 = 512 << 20;

/// A Prometheus server's HTTP API.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    timeout: Duration,
}

/// Prometheus' envelope: `{"status":"success","data":...}` or
/// `{"status":"error","errorType":...,"error":...}`.
#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Box<RawValue>>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

impl Client {
    /// A client of the server at `url` (`http://host:9090`, maybe with a path
    /// prefix); `timeout` bounds connecting and each whole request.
    pub fn new(url: &str, timeout: Duration) -> Result<Client> {
        let base = url.trim().trim_end_matches('/').to_string();
        if base.starts_with("https://") {
            bail!(
                "--prometheus {url}: coreheat speaks plain http only; reach the server \
                 through http (for example an SSH tunnel: ssh -L 9090:localhost:9090 HOST, \
                 then --prometheus http://127.0.0.1:9090)"
            );
        }
        if !base.starts_with("http://") || base.len() <= "http://".len() {
            bail!("--prometheus {url}: not an http URL; write it like http://prometheus:9090");
        }
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(timeout))
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Client {
            base,
            agent,
            timeout,
        })
    }

    /// The server's URL, for messages.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// GETs `path` (`/api/v1/query_range`) with `params` and returns the
    /// answer's `data`, or why there is none. `what` names the request in
    /// messages (the query and its time range).
    pub fn get(&self, path: &str, params: &[(&str, String)], what: &str) -> Result<Box<RawValue>> {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .get(&url)
            .query_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
            .call()
            .map_err(|e| self.unreachable(&url, e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_string();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => anyhow!(
                    "{url}: the answer to {what} is larger than the {} coreheat reads of one \
                     answer; give a coarser --step or a narrower --match",
                    crate::util::input::show_size(MAX_BODY_BYTES)
                ),
                e => self.unreachable(&url, e),
            })?;
        let envelope: Envelope = serde_json::from_str(&body).map_err(|_| {
            anyhow!(
                "{url} answered HTTP {status} with {content_type} ({}), not Prometheus' JSON \
                 API: is --prometheus {} the Prometheus server itself (usually port 9090), not \
                 node_exporter (9100), Grafana or a login page?",
                crate::util::input::excerpt(body.trim()),
                self.base
            )
        })?;
        match (envelope.status.as_str(), envelope.data) {
            ("success", Some(data)) => Ok(data),
            _ => Err(anyhow!(
                "Prometheus at {} refused {what}: {}: {}{}",
                self.base,
                envelope.error_type.as_deref().unwrap_or("error"),
                envelope.error.as_deref().unwrap_or("no reason given"),
                hint(envelope.error_type.as_deref())
            )),
        }
    }

    /// The message when the server cannot be reached or stops answering.
    fn unreachable(&self, url: &str, error: ureq::Error) -> anyhow::Error {
        let reason = match &error {
            ureq::Error::Timeout(_) => format!("no answer within {:?}", self.timeout),
            other => other.to_string(),
        };
        anyhow!(
            "cannot reach Prometheus at {} ({url}: {reason}); check that the server runs \
             and the URL (host and port, usually 9090) is right, or allow more time with \
             --timeout",
            self.base
        )
    }
}

/// What to do about a refused query.
fn hint(error_type: Option<&str>) -> &'static str {
    match error_type {
        Some("bad_data") => {
            " (check --match: label matchers such as instance=\"node1:9100\" or \
             job=\"node\", and --from/--to/--step)"
        }
        Some("timeout") | Some("canceled") => " (query a shorter range or a larger --step)",
        _ => "",
    }
}
