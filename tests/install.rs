//! coreheat as people install it: the binary alone (no source tree) runs and
//! draws reports; shell completions and a man page come from the clap
//! definitions; `--version` says which hash engine this machine would use, and why.

mod common;

use std::process::Command;

use common::bin;

fn stdout_of(command: &mut Command) -> String {
    let output = command.output().expect("coreheat runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn the_binary_alone_runs_and_draws_far_from_the_source_tree() {
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("coreheat");
    std::fs::copy(bin(), &copy).unwrap();
    let json = stdout_of(
        Command::new(&copy)
            .args([
                "run",
                "--json",
                "--interval",
                "100ms",
                "hash",
                "--zeros",
                "3",
            ])
            .current_dir(elsewhere.path()),
    );
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let report = elsewhere.path().join(json["report"].as_str().unwrap());
    let html = std::fs::read_to_string(report).unwrap();
    assert!(
        html.contains("<style>") && html.contains("<svg"),
        "self-contained page"
    );
    // processes mode starts the copy itself as its workers.
    let json = stdout_of(
        Command::new(&copy)
            .args([
                "run",
                "--json",
                "--mode",
                "processes",
                "--workers",
                "2",
                "hash",
                "--zeros",
                "3",
            ])
            .current_dir(elsewhere.path()),
    );
    assert!(json.contains("\"nonce\":1533"), "{json}");
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(Command::new(bin()).args(["completions", shell]));
        assert!(script.contains("coreheat"), "{shell}");
        assert!(
            script.contains("sweep") && script.contains("render"),
            "{shell}"
        );
        assert!(
            !script.contains("__worker") && !script.contains("__guard"),
            "{shell}: hidden"
        );
    }
    let bad = Command::new(bin())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let man = stdout_of(Command::new(bin()).arg("man"));
    assert!(man.contains(".TH coreheat 1"), "{man}");
    assert!(man.contains("sweep"));
}

#[test]
fn completions_offer_the_words_a_flag_takes() {
    let bash = stdout_of(Command::new(bin()).args(["completions", "bash"]));
    for words in [
        "serial threads processes",
        "none spread compact",
        "on off",
        "auto scalar simd",
    ] {
        assert!(bash.contains(words), "{words} in the bash script");
    }
    let fish = stdout_of(Command::new(bin()).args(["completions", "fish"]));
    assert!(
        fish.contains("-l mode") && fish.contains("serial"),
        "{fish}"
    );
}

#[test]
fn every_page_the_main_man_page_names_can_be_printed() {
    let main = stdout_of(Command::new(bin()).arg("man"));
    for page in ["run", "sweep", "render", "info", "completions", "man"] {
        let name = format!("coreheat\\-{page}(1)");
        assert!(main.contains(&name), "{name} in the main page");
        let text = stdout_of(Command::new(bin()).args(["man", page]));
        assert!(text.contains(&format!(".TH coreheat-{page} 1")), "{text}");
    }
    let exec = stdout_of(Command::new(bin()).args(["man", "run", "exec"]));
    assert!(exec.contains(".TH coreheat-run-exec 1"), "{exec}");
    let wrong = Command::new(bin())
        .args(["man", "run", "fibers"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    let message = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        message.contains("coreheat-run has no command 'fibers'")
            && message.contains("hash, count, exec, idle"),
        "{message}"
    );
}

#[test]
fn version_names_the_hash_engine_and_why() {
    let version = stdout_of(Command::new(bin()).arg("--version"));
    assert!(version.starts_with(&format!("coreheat {}", env!("CARGO_PKG_VERSION"))));
    assert!(version.contains("hash engine: "), "{version}");
    let capped = stdout_of(
        Command::new(bin())
            .arg("--version")
            .env("COREHEAT_SIMD", "none"),
    );
    let cpu_has_avx2 = cfg!(target_arch = "x86_64") && {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    };
    if cpu_has_avx2 {
        assert!(
            capped.contains("scalar (SIMD disabled by COREHEAT_SIMD=none)"),
            "{capped}"
        );
    } else {
        assert!(capped.contains("scalar (no AVX2"), "{capped}");
    }
}

#[test]
fn a_simd_cap_it_does_not_know_is_warned_about_and_its_case_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let run = |cap: &str, out: &str| {
        Command::new(bin())
            // Not --quiet: that leaves warnings out (only errors).
            .args(["run", "--tasks", "off", "--baseline", "0"])
            .args(["--interval", "100ms", "--out"])
            .arg(dir.path().join(out))
            .args(["hash", "--zeros", "1"])
            .env("COREHEAT_SIMD", cap)
            .output()
            .unwrap()
    };
    let unknown = run("sse4", "a");
    assert!(unknown.status.success(), "{unknown:?}");
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("warning: COREHEAT_SIMD=sse4 is not one of none, avx2 or avx512"),
        "{stderr}"
    );
    let known = run("NONE", "b");
    assert!(!String::from_utf8_lossy(&known.stderr).contains("COREHEAT_SIMD"));
    let version = stdout_of(
        Command::new(bin())
            .arg("--version")
            .env("COREHEAT_SIMD", "Off"),
    );
    assert!(!version.contains("AVX-512 on this CPU"), "{version}");
}

#[test]
fn man_pages_name_their_values_give_examples_and_exit_codes_and_list_only_real_pages() {
    let pages: [&[&str]; 5] = [&[], &["run"], &["run", "exec"], &["render"], &["info"]];
    for words in pages {
        let mut args = vec!["man"];
        args.extend_from_slice(words);
        let page = stdout_of(Command::new(bin()).args(&args));
        assert!(
            !page.contains("coreheat\\-help(1)"),
            "{words:?}: no such page"
        );
        assert!(page.contains("\n.SH EXAMPLES\n"), "{words:?}");
        assert!(page.contains("\n.SH \"EXIT STATUS\"\n"), "{words:?}");
        let synopsis = page.split(".SH SYNOPSIS\n").nth(1).unwrap();
        let synopsis = synopsis.lines().next().unwrap();
        // Every flag of the synopsis that takes a value shows its placeholder.
        if words == ["run"] {
            assert!(
                synopsis.contains("[\\fB\\-\\-interval\\fR \\fIINTERVAL\\fR]")
                    && synopsis.contains("[\\fB\\-\\-out\\fR \\fIDIR\\fR]")
                    && synopsis.contains("[\\fB\\-\\-json\\fR]"),
                "{synopsis}"
            );
        }
        if words == ["run", "exec"] {
            assert!(synopsis.ends_with("\\-\\- \\fICMD\\fR..."), "{synopsis}");
            assert!(page.contains("\n127\n"), "exec's own codes");
        }
    }
}
