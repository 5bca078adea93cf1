//! `coreheat render --prometheus` against a real Prometheus scraping a real
//! node_exporter every second, both started here on 127.0.0.1 free ports
//! (Debian's `prometheus` and `prometheus-node-exporter`; `.ci/run` installs
//! them): the per-CPU busy figures Prometheus recorded agree with coreheat's
//! own trace of the same seconds; an exporter that stops midway leaves a gap;
//! a range beyond Prometheus' points limit is read in chunks; and the errors a
//! fleet user meets (nothing listening, not a Prometheus, a selector matching
//! nothing) say what to do. Everything started is stopped.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Scratch, read_trace};

/// The agreement test compares two measurements of this machine's load taken
/// over slightly different intervals: other tests running beside it would
/// make the load differ between them, so these tests take turns.
static MACHINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn machine() -> std::sync::MutexGuard<'static, ()> {
    MACHINE.lock().unwrap_or_else(|e| e.into_inner())
}
use coreheat::Trace;
use coreheat::{CpuLoad, EventKind};

/// A process this test started, stopped (and reaped) when dropped.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port (bound, read, released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().unwrap().port()
}

/// The path of the first of `names` on PATH.
fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Prometheus and node_exporter; the tests that use them are ignored where
/// build.rs did not find them.
fn tools() -> (PathBuf, PathBuf) {
    let prometheus = find(&["prometheus"]);
    let exporter = find(&["prometheus-node-exporter", "node_exporter"]);
    match (prometheus, exporter) {
        (Some(p), Some(e)) => (p, e),
        _ => panic!(
            "{}",
            common::missing("prometheus", "prometheus or node_exporter is not on PATH")
        ),
    }
}

/// The body of `GET path` from 127.0.0.1:port, if it answers 200.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let code = head.split(' ').nth(1)?;
    (code == "200").then(|| body.to_string())
}

/// A node_exporter of CPU counters and a Prometheus scraping it every second.
struct Stack {
    prometheus_port: u16,
    exporter_port: u16,
    exporter_pid: u32,
    exporter: Option<Started>,
    _prometheus: Started,
    _dir: tempfile::TempDir,
}

impl Stack {
    fn start(prometheus: &Path, exporter: &Path) -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let (prometheus_port, exporter_port) = (free_port(), free_port());
        let exporter = spawn(Command::new(exporter).args([
            &format!("--web.listen-address=127.0.0.1:{exporter_port}"),
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.cpu.info",
        ]));
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: node\n    \
                 static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
            ),
        )
        .unwrap();
        let started = spawn(Command::new(prometheus).args([
            &format!("--config.file={}", config.display()),
            &format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            &format!("--web.listen-address=127.0.0.1:{prometheus_port}"),
        ]));
        let stack = Stack {
            prometheus_port,
            exporter_port,
            exporter_pid: exporter.0.id(),
            exporter: Some(exporter),
            _prometheus: started,
            _dir: dir,
        };
        stack.wait_for_scrapes();
        stack
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.prometheus_port)
    }

    fn selector(&self) -> String {
        format!("instance=\"127.0.0.1:{}\"", self.exporter_port)
    }

    /// Until Prometheus holds two scrapes of the exporter's CPU counters.
    fn wait_for_scrapes(&self) {
        let query = "/api/v1/query?query=count_over_time(node_cpu_seconds_total%5B1m%5D)";
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let body = http_get(self.prometheus_port, query).unwrap_or_default();
            if body.contains("\"value\":[") && !body.contains(",\"1\"]") {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "Prometheus on port {} scraped nothing in 30 s",
            self.prometheus_port
        );
    }

    /// Until every CPU counter series holds a scrape at or after unix second
    /// `t`; fails after 30 s.
    fn wait_until_scraped_past(&self, t: f64) {
        let query = format!(
            "/api/v1/query?query=timestamp(node_cpu_seconds_total%7B{}%7D)",
            self.selector().replace('"', "%22").replace('=', "%3D")
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut latest = None;
        while Instant::now() < deadline {
            let body = http_get(self.prometheus_port, &query).unwrap_or_default();
            latest = oldest_of_latest_scrapes(&body);
            if latest.is_some_and(|latest| latest >= t) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("Prometheus had not scraped past {t} after 30 s (latest: {latest:?})");
    }

    /// Stops the exporter: Prometheus marks its series stale at the next scrape.
    fn stop_exporter(&mut self) {
        self.exporter.take();
    }
}

/// The earliest of the series' last scrape times in the answer to an
/// instant query of `timestamp(...)`: each series is `"value":[now,"T"]`.
fn oldest_of_latest_scrapes(body: &str) -> Option<f64> {
    body.split("\"value\":[")
        .skip(1)
        .filter_map(|series| {
            let (_, rest) = series.split_once(',')?;
            rest.split('"').nth(1)?.parse::<f64>().ok()
        })
        .reduce(f64::min)
}

#[test]
fn the_oldest_last_scrape_is_read_from_an_answer() {
    let body = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"cpu":"0"},"value":[1700000010.5,"1700000009.25"]},
        {"metric":{"cpu":"1"},"value":[1700000010.5,"1700000008"]}]}}"#;
    assert_eq!(oldest_of_latest_scrapes(body), Some(1_700_000_008.0));
    assert_eq!(oldest_of_latest_scrapes(r#"{"result":[]}"#), None);
}

fn spawn(command: &mut Command) -> Started {
    Started(
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a server"),
    )
}

/// Unix seconds of a trace's time `t`.
fn unix(trace: &Trace, t: f64) -> f64 {
    let start = chrono::DateTime::parse_from_rfc3339(&trace.header.meta.start).unwrap();
    start.timestamp_millis() as f64 / 1000.0 + t
}

/// Each CPU's mean busy % over unix seconds `from..to`, each sample weighted
/// by the time it overlaps them (samples without data left out).
fn mean_busy(trace: &Trace, from: f64, to: f64) -> Vec<f64> {
    let cpus = trace.header.meta.cpus.len();
    let (mut sums, mut weights) = (vec![0.0; cpus], vec![0.0; cpus]);
    let mut previous = 0.0f64.max(trace.samples[0].t - trace.header.meta.interval_s);
    for sample in &trace.samples {
        let (a, b) = (
            unix(trace, previous).max(from),
            unix(trace, sample.t).min(to),
        );
        previous = sample.t;
        if b <= a {
            continue;
        }
        for (cpu, load) in sample.cpus.iter().enumerate() {
            if *load != CpuLoad::default() {
                sums[cpu] += load.busy() * (b - a);
                weights[cpu] += b - a;
            }
        }
    }
    sums.iter().zip(&weights).map(|(s, w)| s / w).collect()
}

/// The one trace `render --prometheus --out dir` saved.
fn saved_trace(dir: &Path) -> Trace {
    let traces: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    assert_eq!(traces.len(), 1, "{traces:?}");
    read_trace(&traces[0])
}

fn render(scratch: &Scratch, stack: &Stack, out: &str, range: (f64, f64), step: &str) -> Trace {
    let (from, to) = (format!("{:.3}", range.0), format!("{:.3}", range.1));
    let args = [
        "render",
        "--prometheus",
        &stack.url(),
        "--match",
        &stack.selector(),
        "--from",
        &from,
        "--to",
        &to,
        "--step",
        step,
        "--out",
        out,
    ];
    scratch.ok(&args);
    assert!(scratch.path().join(out).join("report.html").is_file());
    saved_trace(&scratch.path().join(out))
}

#[cfg_attr(
    coreheat_missing = "prometheus",
    ignore = "needs prometheus (apt install prometheus prometheus-node-exporter)"
)]
#[test]
fn prometheus_figures_agree_with_coreheats_own_trace_and_gaps_stay_gaps() {
    let _machine = machine();
    let (prometheus, exporter) = tools();
    let mut stack = Stack::start(&prometheus, &exporter);
    let scratch = Scratch::new();
    // One CPU kept busy by a shell loop pinned to cpu0 for 7 s, traced by coreheat.
    let run = scratch.run(&[
        "run",
        "--out",
        "own",
        "--pin",
        "0",
        "--tasks",
        "off",
        "exec",
        "--",
        "timeout",
        "7",
        "sh",
        "-c",
        "while :; do :; done",
    ]);
    assert_eq!(
        run.status.code(),
        Some(124),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let own = read_trace(&scratch.path().join("own/trace.jsonl"));
    let event = |kind| own.events.iter().find(|e| e.event == kind).unwrap().t;
    let window = (
        unix(&own, event(EventKind::WorkloadStart)) + 1.0,
        unix(&own, event(EventKind::WorkloadEnd)) - 1.0,
    );
    // Every CPU's counters scraped two scrapes past the window, however late
    // a loaded machine scrapes.
    stack.wait_until_scraped_past(window.1 + 2.0);
    let fleet = render(&scratch, &stack, "fleet", window, "1s");
    // What was read renders again offline, as an ordinary trace.
    let saved = format!("fleet/127.0.0.1_{}.jsonl", stack.exporter_port);
    scratch.ok(&["render", &saved, "--out", "offline"]);
    assert!(scratch.path().join("offline/report.html").is_file());
    assert_eq!(
        fleet.header.meta.host,
        format!("127.0.0.1:{}", stack.exporter_port)
    );
    let theirs = mean_busy(&fleet, window.0, window.1);
    let ours = mean_busy(&own, window.0, window.1);
    eprintln!(
        "agreement over {:.1} s: prometheus {theirs:.2?} coreheat {ours:.2?}",
        window.1 - window.0
    );
    assert_eq!(theirs.len(), ours.len());
    for (cpu, (t, o)) in theirs.iter().zip(&ours).enumerate() {
        assert!(
            (t - o).abs() <= 5.0,
            "cpu{cpu}: prometheus {t:.2} % busy, coreheat {o:.2} %"
        );
    }
    assert!(
        theirs[0] > 90.0,
        "the pinned loop's CPU is cpu0 in both: {theirs:?}"
    );

    // A range of 12 001 steps of 1 ms: beyond the 11 000 points Prometheus
    // answers at once, read in chunks.
    let fine = render(&scratch, &stack, "fine", (window.0, window.0 + 12.0), "1ms");
    assert_eq!(fine.samples.len(), 12_000);
    let notes = &fine.header.meta.notes;
    assert!(
        !notes.iter().any(|n| n.contains("did not report")),
        "no step lost between chunks: {notes:?}"
    );

    // The exporter stops: the seconds after it are no data, drawn as gaps.
    stack.stop_exporter();
    let stopped = unix(&own, own.samples.last().unwrap().t) + 2.5;
    while coreheat::import::prometheus::time::now() < stopped + 3.0 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let gap = render(&scratch, &stack, "gap", (window.0, stopped + 3.0), "1s");
    let no_data = |s: &coreheat::Sample| s.cpus.iter().all(|l| *l == CpuLoad::default());
    assert!(!no_data(&gap.samples[0]));
    assert!(
        gap.samples.iter().rev().take(2).all(no_data),
        "{:?}",
        gap.samples.last()
    );
    let page = std::fs::read_to_string(scratch.path().join("gap/report.html")).unwrap();
    assert!(
        page.contains(r#"class="nd"><title>"#) && page.contains(" no data</title>"),
        "the report draws the gap as no-data cells"
    );
    assert!(page.contains("did not report"), "and says why");

    // Everything this test started is stopped with it.
    let exporter = stack.exporter_pid;
    let prometheus = stack._prometheus.0.id();
    drop(stack);
    assert!(!common::alive(exporter) && !common::alive(prometheus));
}

/// A loopback HTTP server answering each request with what `answer` gives
/// for its path and query (content type, body); stops when dropped.
struct FakeServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Answer = fn(&str) -> (&'static str, String);

impl FakeServer {
    fn start(answer: Answer) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    serve(stream, answer);
                }
            }
        });
        FakeServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request and closes the connection.
fn serve(mut stream: TcpStream, answer: Answer) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request);
    let target = request.split(' ').nth(1).unwrap_or("/");
    let (content_type, body) = answer(target);
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A login page, whatever is asked.
fn html_page(_: &str) -> (&'static str, String) {
    let body = "<html><head><title>Sign in</title></head></html>";
    ("text/html", body.to_string())
}

/// The labels of cpu0's counter of `mode` on `instance`.
fn labels(instance: &str, mode: &str) -> String {
    format!(
        r#"{{"__name__":"node_cpu_seconds_total","instance":"{instance}","job":"node","cpu":"0","mode":"{mode}"}}"#
    )
}

/// A fake Prometheus' answer: the series list of `instances`, the user and
/// idle counters (at 1000 s to 1004 s) of the instance a range query names,
/// and no node_cpu_info.
fn answer(
    target: &str,
    instances: &[&str],
    counters: fn(&str) -> [[&'static str; 5]; 2],
) -> String {
    if target.starts_with("/api/v1/series") {
        let series: Vec<String> = instances
            .iter()
            .flat_map(|i| [labels(i, "user"), labels(i, "idle")])
            .collect();
        return format!(r#"{{"status":"success","data":[{}]}}"#, series.join(","));
    }
    if !target.starts_with("/api/v1/query_range") {
        return r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#.to_string();
    }
    // The query names the instance, percent-encoded: node9%3A9100.
    let instance = instances
        .iter()
        .find(|i| target.contains(&i.replace(':', "%3A")))
        .expect("a query of one instance");
    let points = |values: [&str; 5]| {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(k, v)| format!(r#"[{},"{v}"]"#, 1000 + k))
            .collect();
        points.join(",")
    };
    let [user, idle] = counters(instance);
    format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{},"values":[{}]}},{{"metric":{},"values":[{}]}}]}}}}"#,
        labels(instance, "user"),
        points(user),
        labels(instance, "idle"),
        points(idle)
    )
}

/// A Prometheus of one node, node9:9100, whose cpu0 counters went back to
/// nearly zero between 1001 s and 1002 s (it rebooted).
fn rebooted_node(target: &str) -> (&'static str, String) {
    let counters = |_: &str| {
        [
            ["100", "100.5", "0.25", "0.75", "1.25"],
            ["200", "200.5", "0.25", "0.75", "1.25"],
        ]
    };
    (
        "application/json",
        answer(target, &["node9:9100"], counters),
    )
}

/// A Prometheus of two nodes: node1 busy, node2 idle.
fn two_nodes(target: &str) -> (&'static str, String) {
    let counters = |instance: &str| match instance {
        "node1:9100" => [["10", "11", "12", "13", "14"], ["10"; 5]],
        _ => [["10"; 5], ["10", "11", "12", "13", "14"]],
    };
    let instances = ["node1:9100", "node2:9100"];
    ("application/json", answer(target, &instances, counters))
}

/// Renders 1000 s to 1004 s from a fake Prometheus giving `answer` into
/// `out/` of a new scratch folder.
fn render_fake(answer: Answer) -> Scratch {
    let server = FakeServer::start(answer);
    let scratch = Scratch::new();
    let url = server.url();
    scratch.ok(&[
        "render",
        "--prometheus",
        &url,
        "--from",
        "1000",
        "--to",
        "1004",
        "--out",
        "out",
    ]);
    scratch
}

/// cpu0's busy % in each sample of a saved trace (`None`: no data).
fn cpu0_busy(scratch: &Scratch, file: &str) -> Vec<Option<f64>> {
    let trace = read_trace(&scratch.path().join("out").join(file));
    let busy = |s: &coreheat::Sample| s.cpus[0].busy();
    let known = |s: &coreheat::Sample| s.cpus[0] != CpuLoad::default();
    trace
        .samples
        .iter()
        .map(|s| known(s).then(|| busy(s)))
        .collect()
}

#[test]
fn several_instances_make_a_section_each_and_a_fleet_view() {
    let _machine = machine();
    let scratch = render_fake(two_nodes);
    assert_eq!(cpu0_busy(&scratch, "node1_9100.jsonl"), [Some(100.0); 4]);
    assert_eq!(cpu0_busy(&scratch, "node2_9100.jsonl"), [Some(0.0); 4]);
    let page = std::fs::read_to_string(scratch.path().join("out/report.html")).unwrap();
    assert!(page.contains("<h2>Fleet</h2>") && page.contains("<h2>node2:9100</h2>"));
    assert!(page.contains("<b>fleet-idle-host</b>") && page.contains("<b>fleet-one-hot-host</b>"));
}

#[test]
fn a_node_that_rebooted_leaves_out_the_interval_instead_of_a_spike() {
    let _machine = machine();
    let scratch = render_fake(rebooted_node);
    let busy = cpu0_busy(&scratch, "node9_9100.jsonl");
    assert_eq!(busy, [Some(50.0), None, Some(50.0), Some(50.0)]);
    let page = std::fs::read_to_string(scratch.path().join("out/report.html")).unwrap();
    assert!(
        page.contains("a counter went backwards"),
        "the page says why"
    );
}

fn failure(scratch: &Scratch, args: &[&str]) -> String {
    let output = scratch.run(args);
    assert_eq!(output.status.code(), Some(2), "{args:?} must fail");
    assert!(
        !scratch.path().join("reports").exists(),
        "nothing is left behind"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// coreheat `args` fails (exit 2, nothing left behind) with a message that
/// holds every one of `parts`.
fn fails_saying(scratch: &Scratch, args: &[&str], parts: &[&str]) {
    let message = failure(scratch, args);
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[test]
fn a_server_that_is_not_there_or_not_prometheus_is_named_with_what_to_do() {
    let _machine = machine();
    let scratch = Scratch::new();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let args = ["render", "--prometheus", &closed, "--timeout", "2s"];
    fails_saying(
        &scratch,
        &args,
        &[&closed, "cannot reach Prometheus", "--timeout"],
    );

    // A server that takes the connection but never answers: the timeout ends it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let args = ["render", "--prometheus", &url, "--timeout", "1s"];
    fails_saying(&scratch, &args, &["no answer within 1s", &url]);
    drop(silent);

    let html = FakeServer::start(html_page);
    let url = html.url();
    let parts = ["text/html", "not Prometheus' JSON API", &url, "9090"];
    fails_saying(&scratch, &["render", "--prometheus", &url], &parts);

    let args = ["render", "--prometheus", &closed, "--from", "yesterday"];
    fails_saying(
        &scratch,
        &args,
        &["--from 'yesterday' is not a time", "now-10m"],
    );
    let args = ["render", "--prometheus", "https://prom:9090"];
    fails_saying(&scratch, &args, &["plain http"]);
}

#[cfg_attr(
    coreheat_missing = "prometheus",
    ignore = "needs prometheus (apt install prometheus prometheus-node-exporter)"
)]
#[test]
fn a_selector_matching_nothing_or_malformed_is_named_with_the_range() {
    let _machine = machine();
    let (prometheus, exporter) = tools();
    let stack = Stack::start(&prometheus, &exporter);
    let scratch = Scratch::new();
    let url = stack.url();
    let args = [
        "render",
        "--prometheus",
        &url,
        "--match",
        "job=\"nosuch\"",
        "--from",
        "now-1m",
    ];
    let parts = [
        "no series node_cpu_seconds_total{job=\"nosuch\"}",
        &url,
        "/targets",
        "from 20",
    ];
    fails_saying(&scratch, &args, &parts);
    let args = ["render", "--prometheus", &url, "--match", "job="];
    fails_saying(&scratch, &args, &["bad_data", "check --match"]);
}

/// A node whose instance label is 400 characters long.
fn long_named_node(target: &str) -> (&'static str, String) {
    let name = format!("{}:9100", "n".repeat(400));
    let counters = |_: &str| [["10", "11", "12", "13", "14"], ["10"; 5]];
    (
        "application/json",
        answer(target, &[name.as_str()], counters),
    )
}

/// A node whose counters hold NaN, a negative value and 1e308.
fn hostile_values(target: &str) -> (&'static str, String) {
    let counters = |_: &str| {
        [
            ["10", "NaN", "-5", "1e308", "14"],
            ["10", "11", "12", "13", "14"],
        ]
    };
    (
        "application/json",
        answer(target, &["node9:9100"], counters),
    )
}

/// A node whose CPU label is beyond any CPU number.
fn cpu_out_of_range(target: &str) -> (&'static str, String) {
    let (kind, body) = two_nodes(target);
    (kind, body.replace(r#""cpu":"0""#, r#""cpu":"99999999""#))
}

#[test]
fn whatever_prometheus_holds_is_saved_as_traces_coreheat_reads_again() {
    let _machine = machine();
    let scratch = render_fake(long_named_node);
    let names: Vec<String> = std::fs::read_dir(scratch.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].len() <= 120,
        "a file name of {} bytes",
        names[0].len()
    );
    scratch.ok(&["render", &format!("out/{}", names[0]), "--out", "again"]);

    let scratch = render_fake(hostile_values);
    let busy = cpu0_busy(&scratch, "node9_9100.jsonl");
    assert_eq!(busy.len(), 4);
    assert!(
        busy.iter()
            .all(|b| b.is_none_or(|b| (0.0..=100.0).contains(&b))),
        "{busy:?}"
    );
    let trace = read_trace(&scratch.path().join("out/node9_9100.jsonl"));
    assert!(
        common::has_note(&trace, "3 values were no counter"),
        "{:?}",
        trace.header.meta.notes
    );
    scratch.ok(&["render", "out/node9_9100.jsonl", "--out", "again"]);
}

#[test]
fn a_cpu_label_out_of_range_or_too_many_points_are_refused_before_saving() {
    let _machine = machine();
    let server = FakeServer::start(cpu_out_of_range);
    let scratch = Scratch::new();
    let url = server.url();
    let range = ["--from", "1000", "--to", "1004"];
    let args = [&["render", "--prometheus", &url][..], &range[..]].concat();
    fails_saying(
        &scratch,
        &args,
        &["cpu label 99999999", "largest CPU number"],
    );

    // 400 million steps of 2 series: refused before any range is asked for,
    // and before anything is allocated for it.
    let server = FakeServer::start(two_nodes);
    let url = server.url();
    let args = [
        "render",
        "--prometheus",
        &url,
        "--from",
        "1000",
        "--to",
        "400001000",
        "--step",
        "1s",
    ];
    let output = scratch.run_bounded(&args);
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    for part in [
        "400000001 steps",
        "coarser --step",
        "at least 41s",
        "--match",
    ] {
        assert!(said.contains(part), "{part:?} missing from: {said}");
    }
}
