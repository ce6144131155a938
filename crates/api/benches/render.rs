//! Benchmark (not a test): what hostile templates cost now that rendering is capped
//! (issue 12, section 3), as ratios to a legitimate render measured in the same run.
//!
//! Each case runs in a child process of its own, so its peak RSS (`VmHWM`) is its own:
//! the figure is the growth of the peak over the child's baseline after set-up.
//!
//! Run: `cargo bench -p sealant-api --bench render`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealant_api::{RenderLimits, SecretBytes, render_template_with_limits};
use std::{
    collections::BTreeMap,
    hint::black_box,
    process::Command,
    time::{Duration, Instant},
};

const KIB: usize = 1024;

struct Case {
    name: &'static str,
    value_bytes: usize,
    template: fn() -> String,
    limits: fn() -> RenderLimits,
}

const CASES: &[Case] = &[
    Case {
        name: "issue repro: 4,000 x {{.v}}, 50 KB value (default limits)",
        value_bytes: 50 * KIB,
        template: || "{{.v}}".repeat(4_000),
        limits: RenderLimits::default,
    },
    Case {
        name: "same, max_actions raised to 10,000 (stops at the byte cap)",
        value_bytes: 50 * KIB,
        template: || "{{.v}}".repeat(4_000),
        limits: || RenderLimits {
            max_actions: 10_000,
            ..RenderLimits::default()
        },
    },
    Case {
        name: "40 x quote on 4 KiB of backslashes (doubles each time)",
        value_bytes: 4 * KIB,
        template: || format!("{{{{ .v{} }}}}", " | quote".repeat(40)),
        limits: RenderLimits::default,
    },
    Case {
        name: "400 x upper|lower on 256 KiB (stops at the work cap)",
        value_bytes: 256 * KIB,
        template: || format!("{{{{ .v{} }}}}", " | upper | lower".repeat(400)),
        limits: RenderLimits::default,
    },
    Case {
        name: "400 x upper|lower on 128 Ki x 'é' (non-ASCII path)",
        value_bytes: 256 * KIB,
        template: || format!("{{{{ .v{} }}}}", " | upper | lower".repeat(400)),
        limits: RenderLimits::default,
    },
    Case {
        name: "branching recursion: 2^60 template calls (stops at the work cap)",
        value_bytes: KIB,
        template: || {
            "{{ define \"t\" }}{{ if lt (len .) 60 }}{{ template \"t\" (print . \"x\") }}\
             {{ template \"t\" (print . \"y\") }}{{ end }}{{ end }}{{ template \"t\" \"\" }}"
                .to_owned()
        },
        limits: RenderLimits::default,
    },
    Case {
        name: "printf \"%1000000d\" (Go's widest width, 1 MB rendered)",
        value_bytes: KIB,
        template: || "{{ printf \"%1000000d\" 1 }}".to_owned(),
        limits: RenderLimits::default,
    },
    Case {
        name: "legitimate: {{ .v | b64enc }} of 600 KiB",
        value_bytes: 600 * KIB,
        template: || "{{ .v | b64enc }}".to_owned(),
        limits: RenderLimits::default,
    },
];

fn main() {
    let mut args = std::env::args().skip_while(|a| a != "--case");
    if let Some(index) = args.nth(1).and_then(|i| i.parse::<usize>().ok()) {
        return child(&CASES[index]);
    }
    let results: Vec<(String, f64, f64)> = (0..CASES.len()).map(run_case).collect();
    // The anchor: the legitimate render, measured in the same run.
    let anchor = results.last().map_or(f64::NAN, |r| r.1);
    println!();
    println!("sealant-api template render benchmark (single thread, default limits unless noted)");
    println!();
    println!("| case | outcome | time per render | x the legitimate render | peak RSS growth |");
    println!("|---|---|---|---|---|");
    for (case, (outcome, secs, growth_kib)) in CASES.iter().zip(results) {
        println!(
            "| {} | {outcome} | {:.2} ms | {:.1} | {:.1} MiB |",
            case.name.replace('|', "\\|"),
            secs * 1e3,
            secs / anchor,
            growth_kib / 1024.0
        );
    }
}

/// Run case `i` in a child process: (outcome, seconds per render, peak RSS growth in KiB).
fn run_case(i: usize) -> (String, f64, f64) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--case", &i.to_string()])
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = line.trim().split('\t').collect();
    let [outcome, secs, growth_kib] = fields[..] else {
        panic!("case {i} failed: {}", String::from_utf8_lossy(&out.stderr));
    };
    (
        outcome.to_owned(),
        secs.parse().unwrap(),
        growth_kib.parse().unwrap(),
    )
}

/// One case: baseline peak RSS after set-up, then renders for about a second.
fn child(case: &Case) {
    let value = if case.name.contains("backslash") {
        vec![b'\\'; case.value_bytes]
    } else if case.name.contains('é') {
        "é".repeat(case.value_bytes / 2).into_bytes()
    } else {
        vec![b'a'; case.value_bytes]
    };
    let values: BTreeMap<String, SecretBytes> =
        [("v".to_owned(), SecretBytes::copy_from_slice(&value))].into();
    let template = (case.template)();
    let limits = (case.limits)();
    let baseline = peak_rss_kib();
    let render = || render_template_with_limits("k", &template, &values, &limits);
    let outcome = match render() {
        Ok(v) => format!("rendered {} KiB", v.len() / KIB),
        Err(e) => match e {
            sealant_api::ApiError::Template { reason, .. } => match reason.cap() {
                Some(cap) => format!("refused: {}", cap.field()),
                None => format!("refused: {reason}"),
            },
            other => format!("error: {other}"),
        },
    };
    let started = Instant::now();
    let mut runs = 0u32;
    while started.elapsed() < Duration::from_secs(1) || runs < 3 {
        let _ = black_box(render());
        runs += 1;
    }
    let secs = started.elapsed().as_secs_f64() / f64::from(runs);
    let growth = peak_rss_kib().saturating_sub(baseline);
    println!("{outcome}\t{secs}\t{growth}");
}

/// `VmHWM` (peak resident set) of this process, in KiB; 0 where /proc is missing.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
