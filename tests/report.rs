//! The report: report.html and the PNGs of real runs, drawn again by `coreheat
//! render` (also from a trace cut short), escaping of user text, the library
//! example, and what a person sees in real headless Chromium.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Scratch;

fn run_folder(scratch: &Scratch, args: &[&str]) -> PathBuf {
    let mut all = vec!["run", "--interval", "100ms"];
    all.extend_from_slice(args);
    let json = scratch.json(&all);
    scratch.path().join(json["dir"].as_str().unwrap())
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let info = reader.info();
    (info.width, info.height)
}

#[test]
fn every_run_leaves_a_report_and_pngs_that_decode() {
    let scratch = Scratch::new();
    let dir = run_folder(
        &scratch,
        &[
            "--mode",
            "threads",
            "--workers",
            "2",
            "count",
            "--n",
            "2^29",
        ],
    );
    for name in ["trace.jsonl", "report.html", "heatmap.png", "cores.png"] {
        assert!(dir.join(name).is_file(), "missing {name}");
    }
    for png in ["heatmap.png", "cores.png"] {
        let (width, height) = png_size(&dir.join(png));
        assert_eq!(width, 2400, "{png}: 1200 points at 2 pixels each");
        assert!(height >= 600, "{png} is {height} px high");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for text in [
        "<!DOCTYPE html>",
        "Per-CPU heat map",
        "dstat view",
        "Per-CPU summary",
        "[144115187807420416, 144115187807420416]",
        "coreheat run --mode threads --workers 2",
        r#"<svg class="chart" viewBox="0 0 1200 "#,
    ] {
        assert!(html.contains(text), "report lacks {text:?}");
    }
    assert!(!html.contains("<img"), "charts are inline SVG, not images");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network references"
    );
    let mode = std::fs::metadata(dir.join("report.html")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o644);
}

/// `--png-scale N` draws N pixels per point on run and render (sweep takes the
/// same flag); a density outside 1 to 4 is refused before anything is drawn.
#[test]
fn png_scale_sets_the_pixels_per_point_and_is_checked() {
    let scratch = Scratch::new();
    write_one_sample_trace(scratch.path());
    for (scale, width) in [("1", 1200), ("3", 3600)] {
        let out = format!("x{scale}");
        scratch.ok(&["render", "trace.jsonl", "--out", &out, "--png-scale", scale]);
        for png in ["heatmap.png", "cores.png"] {
            let path = scratch.path().join(&out).join(png);
            assert_eq!(png_size(&path).0, width, "{png} at --png-scale {scale}");
        }
    }
    let run = run_folder(
        &scratch,
        &["--png-scale", "1", "idle", "--duration", "200ms"],
    );
    assert_eq!(png_size(&run.join("cores.png")).0, 1200);
    for (command, bad) in [
        ("render", "0"),
        ("render", "5"),
        ("run", "-2"),
        ("sweep", "x"),
    ] {
        let mut args = vec![command, "--png-scale", bad];
        args.extend_from_slice(match command {
            "render" => &["trace.jsonl", "--out", "never"][..],
            _ => &["idle", "--duration", "200ms"][..],
        });
        let output = scratch.run(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("--png-scale") && stderr.contains("1") && stderr.contains("4"),
            "{args:?}: {stderr}"
        );
        assert!(!scratch.path().join("never").exists());
    }
    assert_eq!(
        scratch.run_dirs().len(),
        1,
        "only the good run made a folder"
    );
}

#[test]
fn user_text_is_escaped_everywhere() {
    let scratch = Scratch::new();
    let dir = run_folder(
        &scratch,
        &[
            "--title",
            "<b>bold</b> & co",
            "--mode",
            "serial",
            "hash",
            "--zeros",
            "1",
            "--prefix",
            "<script>alert(1)</script>",
        ],
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        !html.contains("<script>"),
        "a script tag from the prefix reached the page"
    );
    assert!(
        !html.contains("<b>bold"),
        "markup from the title reached the page"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"),
        "prefix shown as text"
    );
    assert!(
        html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; co") || html.contains("&#60;b&#62;bold"),
        "title shown as text"
    );
}

#[test]
fn render_draws_a_trace_cut_short_with_a_banner() {
    let scratch = Scratch::new();
    let dir = run_folder(&scratch, &["--mode", "serial", "hash", "--zeros", "3"]);
    // Simulate a killed writer: drop the end line and cut the last sample in half.
    let trace = dir.join("trace.jsonl");
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.contains("\"end\":{")).collect();
    let last = lines.pop().unwrap();
    let cut = format!("{}\n{}", lines.join("\n"), &last[..last.len() / 2]);
    let killed = scratch.path().join("killed");
    std::fs::create_dir(&killed).unwrap();
    std::fs::write(killed.join("trace.jsonl"), cut).unwrap();

    let stdout = scratch.ok(&["render", "killed/trace.jsonl"]);
    assert!(stdout.trim().ends_with("killed/report.html"), "{stdout}");
    let html = std::fs::read_to_string(killed.join("report.html")).unwrap();
    assert!(html.contains("no end line"), "banner for a run cut short");
    assert!(killed.join("heatmap.png").is_file() && killed.join("cores.png").is_file());

    // Drawing a run folder again replaces only its own drawings.
    let before = std::fs::read(dir.join("trace.jsonl")).unwrap();
    scratch.ok(&["render", dir.join("trace.jsonl").to_str().unwrap()]);
    assert_eq!(std::fs::read(dir.join("trace.jsonl")).unwrap(), before);
}

#[test]
fn render_out_never_overwrites_a_report() {
    let scratch = Scratch::new();
    let dir = run_folder(&scratch, &["--mode", "serial", "hash", "--zeros", "1"]);
    let trace = dir.join("trace.jsonl");
    scratch.ok(&["render", trace.to_str().unwrap(), "--out", "copy"]);
    assert!(scratch.path().join("copy/report.html").is_file());
    let output = scratch.run(&["render", trace.to_str().unwrap(), "--out", "copy"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already holds report.html"));
}

#[test]
fn render_never_replaces_files_coreheat_did_not_draw_from_that_trace() {
    let scratch = Scratch::new();
    let dir = run_folder(&scratch, &["--mode", "serial", "hash", "--zeros", "1"]);
    // A folder of the user's: a copy of the trace beside their own files.
    let mine = scratch.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::copy(dir.join("trace.jsonl"), mine.join("trace.jsonl")).unwrap();
    std::fs::write(mine.join("report.html"), "my notes").unwrap();
    std::fs::write(mine.join("cores.png"), "my chart").unwrap();
    let output = scratch.run(&["render", "mine/trace.jsonl"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("report.html") && stderr.contains("cores.png") && stderr.contains("--out"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("report.html")).unwrap(),
        "my notes"
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("cores.png")).unwrap(),
        "my chart"
    );
    assert!(!mine.join("heatmap.png").exists(), "nothing drawn at all");

    // A dangling symlink named like an output counts as the user's too.
    let linked = scratch.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    std::fs::copy(dir.join("trace.jsonl"), linked.join("trace.jsonl")).unwrap();
    std::os::unix::fs::symlink("nowhere.png", linked.join("heatmap.png")).unwrap();
    let output = scratch.run(&["render", "linked/trace.jsonl"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("heatmap.png"));
    assert!(
        std::fs::symlink_metadata(linked.join("heatmap.png"))
            .unwrap()
            .is_symlink()
    );

    // Another trace in a run folder may not replace the drawing of the first.
    std::fs::copy(dir.join("trace.jsonl"), dir.join("other.jsonl")).unwrap();
    let before = std::fs::read(dir.join("report.html")).unwrap();
    let output = scratch.run(&["render", dir.join("other.jsonl").to_str().unwrap()]);
    assert!(!output.status.success());
    assert_eq!(std::fs::read(dir.join("report.html")).unwrap(), before);

    // What coreheat drew from a trace, it may draw again; --out goes elsewhere.
    scratch.ok(&["render", dir.join("trace.jsonl").to_str().unwrap()]);
    scratch.ok(&["render", "mine/trace.jsonl", "--out", "mine-drawn"]);
    assert!(scratch.path().join("mine-drawn/cores.png").is_file());
}

#[test]
fn render_out_must_be_a_folder_without_any_output() {
    let scratch = Scratch::new();
    let dir = run_folder(&scratch, &["--mode", "serial", "hash", "--zeros", "1"]);
    let trace = dir.join("trace.jsonl");
    std::fs::write(scratch.path().join("a-file"), "x").unwrap();
    let output = scratch.run(&["render", trace.to_str().unwrap(), "--out", "a-file"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--out a-file") && stderr.contains("is a file"),
        "{stderr}"
    );

    let out = scratch.path().join("pngs");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("heatmap.png"), "mine").unwrap();
    let output = scratch.run(&["render", trace.to_str().unwrap(), "--out", "pngs"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already holds heatmap.png"));
    assert_eq!(
        std::fs::read_to_string(out.join("heatmap.png")).unwrap(),
        "mine"
    );
}

#[test]
fn control_characters_in_a_title_never_reach_the_page() {
    let scratch = Scratch::new();
    let title = "red\x1b[31m alert\u{7}\nsecond line";
    let dir = run_folder(
        &scratch,
        &["--title", title, "--mode", "serial", "hash", "--zeros", "1"],
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let raw: Vec<char> = html
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        .collect();
    assert!(raw.is_empty(), "control characters on the page: {raw:?}");
    assert!(
        html.contains("red\u{FFFD}[31m alert"),
        "the title is still shown"
    );
}

#[test]
fn the_library_example_traces_a_closure() {
    let example = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/trace_closure");
    assert!(
        example.is_file(),
        "cargo test builds the examples: {}",
        example.display()
    );
    let scratch = Scratch::new();
    let out = scratch.path().join("closure");
    let output = Command::new(&example).arg(&out).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("report"), "{stdout}");
    let trace = common::read_trace(&out.join("trace.jsonl"));
    assert!(trace.samples.len() >= 3);
    let workload = serde_json::to_value(&trace.header.meta.workload).unwrap();
    assert_eq!(workload["kind"], "closure");
    assert!(out.join("report.html").is_file());
}

/// Real headless Chromium: the page shows one heat-map row per CPU with its
/// label, and a screenshot is taken.
#[cfg_attr(
    coreheat_missing = "chromium",
    ignore = "needs chromium (apt install chromium)"
)]
#[test]
fn chromium_shows_one_row_per_cpu() {
    let chromium = common::Chromium::find();
    let scratch = Scratch::new();
    let dir = run_folder(&scratch, &["--mode", "threads", "count", "--n", "2^29"]);
    let cpus = common::read_trace(&dir.join("trace.jsonl"))
        .header
        .meta
        .cpus;
    let dom = chromium.dump_dom(&dir.join("report.html"), 1280);
    let busy_map = dom.split("heatmap kernel").next().unwrap();
    for cpu in &cpus {
        let row = format!(
            r#"<div class="row" data-cpu="cpu{}"><span class="label">cpu{}</span>"#,
            cpu.cpu, cpu.cpu
        );
        assert_eq!(
            busy_map.matches(&row).count(),
            1,
            "one busy row for cpu{}",
            cpu.cpu
        );
    }
    assert_eq!(busy_map.matches(r#"<div class="row"#).count(), cpus.len());

    let shot = scratch.path().join("report.png");
    let url = format!("file://{}", dir.join("report.html").display());
    let status = chromium
        .command(1280, 1600)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(png_size(&shot), (1280, 1600));
    let keep = std::env::var_os("COREHEAT_KEEP_SCREENSHOT").map(PathBuf::from);
    if let Some(keep) = keep {
        std::fs::copy(&shot, keep).unwrap();
    }
}

/// What Chromium measures of `page` shown 480 CSS pixels wide (in an iframe:
/// headless windows are at least 500 wide): the page's scroll width and
/// width, its `<img>` and chart `<svg>` elements, its legend entries and how
/// many of them break over two lines.
fn measure_at_480(chromium: &common::Chromium, page: &Path) -> String {
    let frame = page.with_file_name("frame-480.html");
    let script = r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:480px;height:1200px;border:0"></iframe>
<pre id="measure"></pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  var w = this.contentWindow, d = w.document;
  var items = d.querySelectorAll('.legend .item');
  var broken = Array.prototype.filter.call(items, function (i) { return i.getClientRects().length > 1; });
  document.getElementById('measure').textContent = 'scrollWidth=' + d.documentElement.scrollWidth +
    ' innerWidth=' + w.innerWidth + ' imgs=' + d.images.length +
    ' charts=' + d.querySelectorAll('svg.chart').length +
    ' swatches=' + d.querySelectorAll('.legend .swatch').length +
    ' items=' + items.length + ' broken=' + broken.length + ' end';
});
</script></body></html>"#;
    std::fs::write(&frame, script).unwrap();
    script_output(
        chromium,
        &frame,
        "--allow-file-access-from-files",
        "scrollWidth=",
    )
}

/// What the script of `page` wrote into its DOM in Chromium run with `flag`:
/// the text from `first` up to ` end`.
fn script_output(chromium: &common::Chromium, page: &Path, flag: &str, first: &str) -> String {
    let output = chromium
        .command(600, 1400)
        .arg(flag)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom.find(first).expect("the measurement is in the DOM");
    dom[start..start + dom[start..].find(" end").unwrap()].to_string()
}

/// The measurement `name=N` of [`measure_at_480`].
fn measured(measurement: &str, name: &str) -> usize {
    measurement
        .split(' ')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {measurement}"))
}

/// Real headless Chromium at 480 pixels: the page is no wider than the
/// window (tables scroll inside their box, charts take its width), every
/// chart is an inline SVG, and no legend entry breaks between swatch and
/// label. A real run's page and a 64-CPU trace's.
#[cfg_attr(
    coreheat_missing = "chromium",
    ignore = "needs chromium (apt install chromium)"
)]
#[test]
fn chromium_at_480_pixels_the_page_fits_and_every_chart_is_svg() {
    let chromium = common::Chromium::find();
    let scratch = Scratch::new();
    let run = run_folder(&scratch, &["--mode", "threads", "count", "--n", "2^26"]);
    let wide = scratch.path().join("wide.jsonl");
    coreheat::synthetic::write_trace(&wide, 64, 120, 1.0).unwrap();
    scratch.ok(&["render", "wide.jsonl", "--out", "wide"]);
    for page in [
        run.join("report.html"),
        scratch.path().join("wide/report.html"),
    ] {
        let m = measure_at_480(&chromium, &page);
        assert_eq!(measured(&m, "innerWidth"), 480, "{m}");
        assert!(
            measured(&m, "scrollWidth") <= 480,
            "{}: {m}",
            page.display()
        );
        assert_eq!(measured(&m, "imgs"), 0, "no <img> charts: {m}");
        assert_eq!(
            measured(&m, "charts"),
            1,
            "the cores chart is an <svg>: {m}"
        );
        assert_eq!(
            measured(&m, "items"),
            measured(&m, "swatches"),
            "every swatch is one legend item with its label: {m}"
        );
        assert_eq!(measured(&m, "broken"), 0, "{m}");
    }
}

/// Real headless Chromium with the reader's system set to dark: the page turns
/// dark, and the heat map's idle cells and full cells take the dark theme's
/// ramp (idle a dark grey, not a white glare; full the brightest, a red), and
/// the finding banners turn dark too.
#[cfg_attr(
    coreheat_missing = "chromium",
    ignore = "needs chromium (apt install chromium)"
)]
#[test]
fn chromium_in_dark_mode_shows_the_dark_theme() {
    let chromium = common::Chromium::find();
    let scratch = Scratch::new();
    write_one_sample_trace(scratch.path());
    scratch.ok(&["render", "trace.jsonl"]);
    let page = std::fs::read_to_string(scratch.path().join("report.html")).unwrap();
    let probe = r#"<svg><rect class="c100" id="full"/></svg><div class="banner finding" id="fd">f</div><pre id="measure"></pre><script>
var s = function (q, p) { return getComputedStyle(document.querySelector(q))[p]; };
document.getElementById('measure').textContent = 'page=' + s('html', 'backgroundColor') +
  ' idle=' + s('svg.cells rect.bg', 'fill') + ' full=' + s('#full', 'fill') +
  ' finding=' + s('#fd', 'backgroundColor') + ' end';
</script></body>"#;
    let dark = scratch.path().join("dark.html");
    std::fs::write(&dark, page.replace("</body>", probe)).unwrap();
    let measured = script_output(&chromium, &dark, "--force-dark-mode", "page=");
    assert_eq!(
        measured,
        "page=rgb(24, 24, 27) idle=rgb(46, 46, 51) full=rgb(255, 77, 61) \
         finding=rgb(19, 40, 58)",
        "dark page, dark idle cells, bright red full cells (warmer is busier), dark banners"
    );
}

/// Peak resident memory of `coreheat render TRACE --out OUT`, in kB.
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its rusage
fn render_peak_rss_kb(scratch: &Scratch, trace: &Path, out: &str) -> i64 {
    let child = scratch
        .command(&["render", trace.to_str().unwrap(), "--out", out])
        .spawn()
        .unwrap();
    // SAFETY: wait4 writes only into the status and rusage we pass.
    let (status, usage) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        let pid = libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        assert_eq!(pid, child.id() as libc::pid_t);
        (status, usage)
    };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "render failed"
    );
    usage.ru_maxrss
}

/// Rendering streams the trace: four times the samples, the same peak memory.
#[test]
fn render_memory_does_not_grow_with_the_trace() {
    let scratch = Scratch::new();
    let small = scratch.path().join("small.jsonl");
    let large = scratch.path().join("large.jsonl");
    coreheat::synthetic::write_trace(&small, 8, 10_000, 1.0).unwrap();
    coreheat::synthetic::write_trace(&large, 8, 40_000, 1.0).unwrap();
    let small_kb = render_peak_rss_kb(&scratch, &small, "small");
    let large_kb = render_peak_rss_kb(&scratch, &large, "large");
    let large_file_kb = std::fs::metadata(&large).unwrap().len() as i64 / 1024;
    assert!(
        large_kb < small_kb + small_kb / 4 + 2048,
        "peak RSS {small_kb} kB for 10k samples, {large_kb} kB for 40k ({large_file_kb} kB of trace)"
    );
}

/// A trace as a run on a 2-CPU machine without a known CPU model writes it:
/// one sample only, in which cpu0 spent 10 % in sys and 35 % in the kernel
/// (sys + irq + softirq), workers pinned with spread, and a hash result.
fn write_one_sample_trace(dir: &Path) -> PathBuf {
    use coreheat::model::workload::{HashResult, WorkloadMeta, WorkloadResult};
    use coreheat::trace::TraceWriter;
    use coreheat::{CpuLoad, End, Event, EventKind, Meta, Sample, Status, TraceCpu};
    let meta = Meta {
        tool: "coreheat 0.1.0".into(),
        host: "vm".into(),
        logical_cpus: 2,
        physical_cores: 2,
        cpus: (0..2)
            .map(|cpu| TraceCpu {
                cpu,
                core: cpu,
                package: 0,
            })
            .collect(),
        interval_s: 1.0,
        start: "2026-11-22T03:30:29.749+00:00".into(),
        command: "coreheat run --mode threads --workers 2 --pin spread hash --zeros 5".into(),
        workload: Some(WorkloadMeta::Hash {
            zeros: 5,
            prefix: String::new(),
            engine: "auto".into(),
            engine_used: "scalar".into(),
        }),
        mode: "threads".into(),
        workers: 2,
        pin: Some("spread".into()),
        worker_cpus: vec![1, 0],
        ..Meta::default()
    };
    let path = dir.join("trace.jsonl");
    let mut writer = TraceWriter::create(&path, &meta).unwrap();
    let event = |t, event| Event {
        t,
        event,
        worker: None,
        detail: None,
    };
    writer
        .write_event(&event(0.1, EventKind::WorkloadStart))
        .unwrap();
    let kernel_heavy = CpuLoad {
        usr: 50.0,
        sys: 10.0,
        irq: 20.0,
        softirq: 5.0,
        idle: 15.0,
        ..CpuLoad::default()
    };
    let idle = CpuLoad {
        idle: 100.0,
        ..CpuLoad::default()
    };
    writer
        .write_sample(&Sample {
            t: 0.9,
            cpus: vec![kernel_heavy, idle],
        })
        .unwrap();
    writer
        .write_event(&event(0.9, EventKind::WorkloadEnd))
        .unwrap();
    let result = WorkloadResult::Hash(HashResult {
        zeros: 5,
        prefix: String::new(),
        nonce: 1839773,
        digest: "00000a6e".into(),
        hashes: 20_000_000,
        hashes_per_s: 25_000_000.0,
        engine: "simd (AVX-512, 8 lanes)".into(),
    });
    let end = End {
        status: Status::Ok,
        result: Some(result),
        wall_s: 0.8,
        user_s: 1.5,
        sys_s: 0.05,
        message: None,
    };
    writer.write_end(0.9, &end).unwrap();
    path
}

/// Every chart names its axes' units, has a short title and says the details
/// in a caption: the heat map's time axis, the cores chart (inline SVG).
#[test]
fn charts_name_their_units_and_keep_details_in_the_caption() {
    let scratch = Scratch::new();
    write_one_sample_trace(scratch.path());
    scratch.ok(&["render", "trace.jsonl"]);
    let html = std::fs::read_to_string(scratch.path().join("report.html")).unwrap();
    assert!(
        html.contains("<em>seconds since start</em>"),
        "heat map axis"
    );
    let cores = &html[html.find(r#"<svg class="chart""#).unwrap()..];
    let cores = &cores[..cores.find("</svg>").unwrap()];
    for text in [
        ">\ncoreheat · hash, 2 threads\n<",
        ">\nseconds since start\n<",
        ">\n% of CPU time\n<",
        ">\nusr %\n<",
        "flat over each interval; dashed: the workload",
    ] {
        assert!(cores.contains(text), "cores chart lacks {text:?}");
    }
}

/// Past rows of 4 points per CPU, heatmap.png is the quantized heat map (ten
/// busy bands, colored by how many CPUs were that busy), and the page offers
/// both views: the row per CPU and the quantized one, unfolded.
#[test]
fn many_cpus_get_a_quantized_heat_map_and_the_page_offers_both_views() {
    let scratch = Scratch::new();
    let many = scratch.path().join("many.jsonl");
    coreheat::synthetic::write_trace(&many, 256, 60, 1.0).unwrap();
    scratch.ok(&["render", "many.jsonl", "--out", "many", "--png-scale", "1"]);
    let dir = scratch.path().join("many");
    let (_, height) = png_size(&dir.join("heatmap.png"));
    assert!(
        height < 700,
        "ten bands, not 256 hairlines: {height} points high"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let busy_map = html.split("heatmap kernel").next().unwrap();
    assert_eq!(busy_map.matches(r#"<div class="row"#).count(), 256);
    assert!(busy_map.contains(r#"<details class="quantized" open>"#));
    assert_eq!(busy_map.matches(r#"<div class="band""#).count(), 10);
    assert!(busy_map.contains(r#"data-band="90–100%""#));
    assert!(busy_map.contains(">256 CPUs</span>"), "a legend of counts");

    write_one_sample_trace(scratch.path());
    scratch.ok(&["render", "trace.jsonl"]);
    let few = std::fs::read_to_string(scratch.path().join("report.html")).unwrap();
    assert!(
        few.contains(r#"<details class="quantized">"#),
        "two CPUs: rows first, the quantized view folded"
    );
}

#[test]
fn labels_say_exactly_what_they_measure() {
    let scratch = Scratch::new();
    write_one_sample_trace(scratch.path());
    scratch.ok(&["render", "trace.jsonl"]);
    let html = std::fs::read_to_string(scratch.path().join("report.html")).unwrap();
    // The dstat view names kernel time kernel, and its time column has one format.
    assert!(html.contains("<b> usr kernel |</b>"), "dstat view header");
    assert!(
        !html.contains("usr sys"),
        "no sys column holding kernel time"
    );
    assert!(html.contains("\n    0.90 | <span"), "time column");
    assert!(
        html.contains(">    35</span>"),
        "cpu0's kernel time in the dstat view"
    );
    // sys is system time: in the heat map's hover and the summary table.
    assert!(
        html.contains(
            "busy 85% = usr 50 + sys 10 + irq 20 + softirq 5 + steal 0 · idle 15 iowait 0"
        ),
        "hover breakdown: the parts add up to busy"
    );
    assert!(
        html.contains("<td>50.0</td><td>10.0</td>"),
        "summary usr and sys"
    );
    assert!(html.contains("Kernel time: sys + irq + softirq"));
}

#[test]
fn the_header_reads_well_and_a_single_sample_draws() {
    let scratch = Scratch::new();
    write_one_sample_trace(scratch.path());
    scratch.ok(&["render", "trace.jsonl"]);
    let dir = scratch.path();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for png in ["heatmap.png", "cores.png"] {
        assert_eq!(png_size(&dir.join(png)).0, 2400, "{png}");
    }
    assert!(
        html.contains("<dd>1 sample every 1.0s over 900ms</dd>"),
        "one sample"
    );
    assert!(!html.contains("1 samples"));
    assert!(
        html.contains(r#"<p class="sub">vm</p>"#),
        "no empty parts in the subtitle"
    );
    assert!(!html.contains("· ·") && !html.contains("·  ·"));
    assert_eq!(html.matches("2026-11-22").count(), 1, "one date");
    assert!(
        html.contains("<dd>2026-11-22 03:30:29 UTC</dd>"),
        "readable date"
    );
    assert!(html.contains("<dt>hash rate</dt><dd>25.00 Mhashes/s</dd>"));
    assert!(html.contains("<dt>engine</dt><dd>simd (AVX-512, 8 lanes)</dd>"));
    assert!(html.contains("<dt>CPUs in use</dt>"));
    assert!(html.contains("<dd>spread: worker 0 on cpu1, worker 1 on cpu0</dd>"));
    assert!(html.contains("<title>coreheat · hash, 2 threads</title>"));
}

#[test]
fn a_run_report_shows_its_rate_engine_and_pinned_cpus() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "run",
        "--interval",
        "100ms",
        "--pin",
        "spread",
        "--workers",
        "1",
        "hash",
        "--zeros",
        "4",
    ]);
    let dir = scratch.path().join(json["dir"].as_str().unwrap());
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let rate = json["result"]["hashes_per_s"].as_f64().unwrap();
    let figure = format!(
        "<dt>hash rate</dt><dd>{}hashes/s</dd>",
        coreheat::util::units::format_rate(rate)
    );
    assert!(html.contains(&figure), "{figure}");
    let engine = json["result"]["engine"].as_str().unwrap();
    assert!(
        html.contains(&format!("<dt>engine</dt><dd>{engine}</dd>")),
        "{engine}"
    );
    let cpu = json["cpus"][0].as_u64().unwrap();
    assert!(html.contains(&format!("<dd>spread: worker 0 on cpu{cpu}</dd>")));
    assert!(html.contains("<title>coreheat · hash, 1 thread</title>"));
    let start = common::read_trace(&dir.join("trace.jsonl"))
        .header
        .meta
        .start;
    assert!(
        !html.contains(&start[..19]),
        "the date is shown for people only"
    );
}

/// A version-1 trace (tests/fixtures/coreheat-v1-hash-z6.jsonl, written by a real
/// `coreheat run --interval 200ms hash --zeros 6` before trace format 2) still
/// renders, with the figures the coreheat of version 1 drew from it.
#[test]
fn a_version_1_trace_renders_with_the_figures_it_had() {
    let scratch = Scratch::new();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coreheat-v1-hash-z6.jsonl");
    std::fs::copy(&fixture, scratch.path().join("trace.jsonl")).unwrap();
    scratch.ok(&["render", "trace.jsonl", "--out", "out"]);
    let html = std::fs::read_to_string(scratch.path().join("out/report.html")).unwrap();
    let whole = &html[html.find("Whole trace").unwrap()..];
    for row in [
        r#"<tr><td>cpu0</td><td>0</td><td><span class="swatch c95"></span>95.2</td><td>100.0</td><td>92.8</td><td>2.4</td><td>0.0</td><td>0.0</td></tr>"#,
        r#"<tr><td>cpu1</td><td>1</td><td><span class="swatch c98"></span>97.7</td><td>100.0</td><td>93.0</td><td>4.7</td><td>0.0</td><td>0.0</td></tr>"#,
        r#"<tr class="total"><td>all</td><td></td><td><span class="swatch c96"></span>96.5</td><td>—</td><td>92.9</td><td>3.6</td><td>0.0</td><td>0.0</td></tr>"#,
    ] {
        assert!(whole.contains(row), "whole trace: {row}");
    }
    let window = &html[html.find("During the workload (0.20 to 0.63 s").unwrap()..];
    assert!(window.contains(
        r#"<tr><td>cpu1</td><td>1</td><td><span class="swatch c100"></span>100.0</td><td>100.0</td><td>95.3</td><td>4.7</td>"#
    ));
    assert!(html.contains(
        r#"    0.63 | <span class="g">100</span> <span class="z">     0</span> | <span class="y"> 67</span> <span class="r">    33</span> |"#
    ), "dstat view");
    assert!(html.contains("<dt>CPUs in use</dt><dd>1.01 of 2</dd>"));
    assert!(html.contains("<dt>other programs</dt><dd>0.43 CPU-s</dd>"));
}

/// Real headless Chromium at 1 024 CPUs: the quantized view comes first and
/// open, no two row labels of the per-CPU map overlap, its rows are images as
/// fine as the quantized map (hundreds of columns, in the light theme's colors
/// here), and the kernel map is folded.
#[cfg_attr(
    coreheat_missing = "chromium",
    ignore = "needs chromium (apt install chromium)"
)]
#[test]
fn chromium_at_1024_cpus_no_two_labels_overlap_and_the_quantized_view_leads() {
    let chromium = common::Chromium::find();
    let scratch = Scratch::new();
    let trace = scratch.path().join("many.jsonl");
    // Half an hour at 1 s: hundreds of columns, not the cell budget's 25.
    coreheat::synthetic::write_trace(&trace, 1024, 1800, 1.0).unwrap();
    scratch.ok(&["render", "many.jsonl", "--out", "many"]);
    let page = scratch.path().join("many/report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let busy = &html[html.find("heatmap busy").unwrap()..];
    let busy_map = &busy[..busy.find("heatmap kernel").unwrap()];
    assert!(
        busy_map.contains("450 columns across, each the mean of 4 samples"),
        "1 800 samples in columns of 4"
    );
    assert_eq!(
        busy_map.matches("<image ").count(),
        2 * busy_map.matches(r#"<div class="row"#).count(),
        "each row an image in each theme's colors"
    );
    assert!(
        busy.find("<details class=\"quantized\" open>").unwrap()
            < busy.find("<div class=\"row").unwrap(),
        "the quantized view leads, open"
    );
    assert!(html.contains("<details class=\"kernel-fold\">"));
    let probe = r#"<pre id="measure"></pre><script>
var labels = Array.prototype.filter.call(
  document.querySelectorAll('figure.heatmap.busy .row .label'),
  function (l) { return l.textContent.length > 0; });
var overlaps = 0, shown = 0;
for (var i = 0; i < labels.length; i++) {
  var a = labels[i].getBoundingClientRect();
  if (a.height > 0) { shown++; }
  if (i + 1 < labels.length) {
    var b = labels[i + 1].getBoundingClientRect();
    if (a.bottom > b.top + 0.5 && a.top < b.bottom) { overlaps++; }
  }
}
var row = document.querySelector('figure.heatmap.busy .row svg.cells').getBoundingClientRect();
var light = document.querySelector('figure.heatmap.busy .row image.rl').getBoundingClientRect();
var dark = document.querySelector('figure.heatmap.busy .row image.rd').getBoundingClientRect();
var drawn = Math.abs(light.width - row.width) < 1 && light.height > 0 && dark.width == 0;
document.getElementById('measure').textContent = 'image=' + drawn + ' labels=' + shown + ' overlaps=' + overlaps + ' end';
</script></body>"#;
    let probed = scratch.path().join("many/probe.html");
    std::fs::write(&probed, html.replace("</body>", probe)).unwrap();
    let measured = script_output(&chromium, &probed, "--no-first-run", "image=");
    assert!(measured.ends_with("overlaps=0"), "{measured}");
    assert!(
        measured.starts_with("image=true"),
        "the light image fills the row, the dark one is hidden: {measured}"
    );
    assert!(
        !measured.contains("labels=0 "),
        "labels are shown: {measured}"
    );
}

/// Real headless Chromium at 480 pixels: the dashed start and end lines pass
/// under the threads view's labels (each label is what shows where a line
/// crosses it), and the cores chart is drawn whole inside its box.
#[cfg_attr(
    coreheat_missing = "chromium",
    ignore = "needs chromium (apt install chromium)"
)]
#[test]
fn chromium_at_480_pixels_lines_pass_under_labels_and_the_cores_chart_is_whole() {
    let chromium = common::Chromium::find();
    let scratch = Scratch::new();
    let run = run_folder(&scratch, &["--mode", "threads", "count", "--n", "2^27"]);
    let frame = run.join("frame-480.html");
    let script = r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:480px;height:8000px;border:0"></iframe>
<pre id="measure"></pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentWindow.document;
  // Lines take no clicks; let them be found where they are drawn on top.
  Array.prototype.forEach.call(d.querySelectorAll('.overlay, .marker'), function (e) {
    e.style.pointerEvents = 'auto';
  });
  var crossed = 0, hidden = 0, what = '';
  var markers = d.querySelectorAll('figure.threads .marker');
  var labels = d.querySelectorAll('figure.threads .tlabel .label, figure.threads .tproc');
  Array.prototype.forEach.call(labels, function (label) {
    var r = label.getBoundingClientRect();
    Array.prototype.forEach.call(markers, function (m) {
      var x = m.getBoundingClientRect().left + 1;
      if (x > r.left && x < r.right && r.height > 0) {
        crossed++;
        var top = d.elementFromPoint(x, r.top + r.height / 2);
        if (!label.contains(top)) { hidden++; what += (top ? top.className : 'none') + ','; }
      }
    });
  });
  var chart = d.querySelector('svg.chart').getBoundingClientRect();
  var box = d.querySelector('svg.chart').parentElement.getBoundingClientRect();
  document.getElementById('measure').textContent = 'crossed=' + crossed +
    ' hidden=' + hidden + ' chart=' + Math.round(chart.right) + ' box=' + Math.round(box.right) +
    ' markers=' + markers.length + ' what=' + what + ' end';
});
</script></body></html>"#;
    std::fs::write(&frame, script).unwrap();
    let m = script_output(
        &chromium,
        &frame,
        "--allow-file-access-from-files",
        "crossed=",
    );
    assert!(measured(&m, "markers") >= 2, "{m}");
    assert_eq!(
        measured(&m, "hidden"),
        0,
        "a line is drawn over a label: {m}"
    );
    assert!(
        measured(&m, "chart") <= measured(&m, "box"),
        "the cores chart is cut: {m}"
    );
}
