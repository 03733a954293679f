//! The lesson page in a real browser: headless Chromium opens the file at `#step=N`, runs its
//! script, and the dumped DOM must show the node and the gradient the tape computed for that
//! step; the page's key handling is driven by its own test hook; a screenshot is decoded and
//! must not be blank.
//!
//! Chromium is required (Debian package `chromium`; `.ci/run` installs it). Without it these
//! tests fail and say how to install it; set COSMOGRAD_CHROMIUM to use another binary.

use super::lesson::{reference, Reference};
use super::png;
use cosmograd::teach::lesson::page::StepKind;
use cosmograd::teach::lesson::{lesson, LessonNet, LessonOptions};
use cosmograd::teach::{explain_mixture, Activation, MdnHead, ThesisNet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL: &str = "install it (Debian/Ubuntu: apt-get install -y chromium; .ci/run does this) or set COSMOGRAD_CHROMIUM to its path";

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("COSMOGRAD_CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "COSMOGRAD_CHROMIUM={} is not a file: {INSTALL}", p.display());
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("headless Chromium is needed for the lesson's browser tests and was not found on the PATH: {INSTALL}");
}

/// A directory of this test's own, removed when dropped.
struct Scratch(PathBuf);
impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("cosmograd-browser-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs headless Chromium with a fresh profile and no network services; returns stdout.
fn run_chromium(scratch: &Path, args: &[String]) -> String {
    let profile = scratch.join(format!("profile-{}", rand_suffix()));
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("starting Chromium failed ({e}): {INSTALL}"));
    // Read stdout on a thread so a large DOM cannot block the browser on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("Chromium did not finish within 90 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn url(file: &Path, fragment: &str) -> String {
    format!("file://{}#{fragment}", file.display())
}

/// The DOM after the page's script ran, opened at `#fragment`.
fn dump(scratch: &Path, file: &Path, fragment: &str) -> String {
    let dom = run_chromium(
        scratch,
        &["--virtual-time-budget=5000".into(), "--dump-dom".into(), url(file, fragment)],
    );
    assert!(dom.contains("id=\"lesson\""), "no page in Chromium's DOM dump: {dom:.300}");
    dom
}

fn write_lesson(scratch: &Path, net: LessonNet, seed: u64, f: Activation) -> PathBuf {
    let l = lesson(&LessonOptions {
        net,
        seed,
        lr: 0.5,
        activation: f,
    })
    .unwrap();
    let file = scratch.join("lesson.html");
    std::fs::write(&file, l.html().unwrap()).unwrap();
    file
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of attribute `attr` of the element with `id`.
fn attr(dom: &str, id: &str, attr: &str) -> Option<String> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    let tag = &dom[start..end];
    let key = format!(" {attr}=\"");
    let v = tag.split(&key).nth(1)?;
    Some(unescape(&v[..v.find('"')?]))
}

/// The text inside the element with `id` (tags stripped).
fn text(dom: &str, id: &str) -> Option<String> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let open_end = at + dom[at..].find('>')? + 1;
    let tag = dom[..at].rfind('<').map(|s| &dom[s + 1..at])?;
    let name: String = tag.chars().take_while(|c| c.is_alphanumeric()).collect();
    let close = open_end + dom[open_end..].find(&format!("</{name}>"))?;
    let inner = &dom[open_end..close];
    let mut out = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    Some(unescape(&out))
}

/// A JSON array of numbers, each parsed by `str::parse` (correctly rounded, so the doubles the
/// page wrote come back bit for bit; serde_json's default float parser is not exact).
fn floats(json: &str) -> Vec<f64> {
    let inner = json.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split(',')
        .map(|t| t.trim().parse().unwrap_or_else(|_| panic!("not a number: {t}")))
        .collect()
}

/// The numbers written in a text: `−` read as minus.
fn numbers(text: &str) -> Vec<f64> {
    text.replace('−', "-")
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .filter(|t| !t.is_empty() && t.chars().any(|c| c.is_ascii_digit()))
        .map(|t| t.parse().unwrap_or_else(|_| panic!("not a number: {t}")))
        .collect()
}

/// Ids of the graph's nodes drawn as the current one.
fn current_nodes(dom: &str) -> Vec<usize> {
    dom.split("<g class=\"")
        .skip(1)
        .filter(|g| g.split('"').next().unwrap().split(' ').any(|c| c == "current"))
        .filter_map(|g| g.split("id=\"node-").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

/// Opens the page at step `step` and checks what it shows against the reference tape.
fn check_step(scratch: &Path, file: &Path, step: usize, want_node: usize, r: &Reference) -> String {
    let dom = dump(scratch, file, &format!("step={step}"));
    assert_eq!(attr(&dom, "lesson", "data-step").as_deref(), Some(step.to_string().as_str()));
    assert_eq!(attr(&dom, "lesson", "data-node").as_deref(), Some(want_node.to_string().as_str()));
    assert_eq!(current_nodes(&dom), vec![want_node], "the highlighted node");
    assert_eq!(attr(&dom, "shown-node", "data-id").as_deref(), Some(want_node.to_string().as_str()));
    let shown_name = text(&dom, "shown-node").unwrap();
    let label = r.labels[want_node].replace("^2", "²").replace("^3", "³").replace("^4", "⁴");
    assert_eq!(shown_name.trim(), label);
    // The gradient: exact numbers in data-values, and the printed text to its six decimals.
    let want = r.grads[want_node].as_ref().unwrap();
    let exact: Vec<f64> = floats(&attr(&dom, "shown-grad", "data-values").unwrap());
    assert_eq!(&exact, want, "∂E/∂{label} at step {step}");
    let printed = numbers(&text(&dom, "shown-grad").unwrap());
    assert_eq!(printed.len(), want.len());
    for (p, w) in printed.iter().zip(want) {
        assert!((p - w).abs() <= 5e-7 + 1e-4 * w.abs(), "printed {p} vs {w}");
    }
    dom
}

#[test]
fn the_thesis_page_shows_the_tapes_gradient_at_each_step() {
    let scratch = Scratch::new("thesis");
    let f = Activation::Tanh;
    let file = write_lesson(&scratch.0, LessonNet::Thesis, 2, f);
    let r = reference(|t| ThesisNet::new(2, f).forward(t).unwrap().e);
    let l = lesson(&LessonOptions {
        net: LessonNet::Thesis,
        seed: 2,
        lr: 0.5,
        activation: f,
    })
    .unwrap();
    // The backward walk visits the ops in reverse tape order, starting after the forward steps.
    let ops: Vec<usize> = (0..r.ops.len()).rev().filter(|&i| r.ops[i] && r.grads[i].is_some()).collect();
    let first = 1 + r.ops.iter().filter(|&&o| o).count();
    let id = |label: &str| r.labels.iter().position(|l| l == label).unwrap();
    for label in ["X^4", "h^3"] {
        let k = ops.iter().position(|&o| o == id(label)).unwrap();
        let dom = check_step(&scratch.0, &file, first + k, id(label), &r);
        assert_eq!(attr(&dom, "lesson", "data-kind").as_deref(), Some("backward"));
        if label == "X^4" {
            // Eq. 21 inside the layer: the Σ row is what the tape sent to h³.
            let terms = numbers(&text(&dom, "terms").unwrap());
            let h3 = r.grads[id("h^3")].as_ref().unwrap();
            let sums = &terms[terms.len() - 4..];
            for (a, b) in sums.iter().zip(h3) {
                assert!((a - b).abs() <= 5e-7, "{sums:?} vs {h3:?}");
            }
        }
    }
    // A parameter's step: the tape's gradient and the gradient checker's finite difference.
    let v3 = id("V^3");
    let step = l
        .data
        .steps
        .iter()
        .position(|s| s.kind == StepKind::Leaf && s.node == Some(v3))
        .unwrap();
    let dom = check_step(&scratch.0, &file, step, v3, &r);
    let fd = floats(&attr(&dom, "shown-numeric", "data-values").unwrap());
    for (a, b) in fd.iter().zip(r.grads[v3].as_ref().unwrap()) {
        assert!((a - b).abs() <= 1e-9 + 1e-7 * b.abs(), "{a} vs {b}");
    }
    // The side panel's eq. 38 row is the current one at V³'s step, with the tape's number.
    assert!(dom.contains("class=\"prow now\""), "no highlighted panel row");
}

#[test]
fn the_mixture_page_shows_the_sum_of_two_contributions_and_the_responsibilities() {
    let scratch = Scratch::new("mdn");
    let file = write_lesson(&scratch.0, LessonNet::MdnHead, 4, Activation::Sigmoid);
    let r = reference(|t| MdnHead::new(4).forward(t).unwrap().e);
    let l = lesson(&LessonOptions {
        net: LessonNet::MdnHead,
        seed: 4,
        lr: 0.5,
        activation: Activation::Sigmoid,
    })
    .unwrap();
    let id = |label: &str| r.labels.iter().position(|l| l == label).unwrap();
    let step_of = |node: usize| {
        l.data
            .steps
            .iter()
            .position(|s| s.kind == StepKind::Backward && s.node == Some(node))
            .unwrap()
    };
    // σ feeds ln σ and σ²: its step lists both contributions and their sum (eq. 21).
    let sigma = id("σ");
    let dom = check_step(&scratch.0, &file, step_of(sigma), sigma, &r);
    let sum = floats(&attr(&dom, "shown-sum", "data-values").unwrap());
    assert_eq!(&sum, r.grads[sigma].as_ref().unwrap());
    // e^w sends −γ to w; γ by hand from the forward values.
    let ew = id("α φ");
    let dom = check_step(&scratch.0, &file, step_of(ew), ew, &r);
    let sent = floats(&attr(&dom, "sent-0", "data-values").unwrap());
    let e = explain_mixture(4, 0.5).unwrap();
    let gamma: Vec<f64> = e.sections[1].rows.iter().map(|row| row.hand).collect();
    for (s, g) in sent.iter().zip(&gamma) {
        assert!((s + g).abs() < 1e-14, "{s} vs −{g}");
    }
}

#[test]
fn the_arrow_keys_and_the_buttons_step_through_the_pass() {
    let scratch = Scratch::new("keys");
    let file = write_lesson(&scratch.0, LessonNet::Thesis, 1, Activation::Sigmoid);
    let dom = dump(&scratch.0, &file, "step=5&test=keys");
    let log: serde_json::Value = serde_json::from_str(&text(&dom, "selftest").expect("the test hook ran")).unwrap();
    let last = attr(&dom, "lesson", "data-steps").unwrap().parse::<i64>().unwrap() - 1;
    assert_eq!(log["start"], 5);
    // → → ← Next Back End Home ← (which stays at 0).
    let after: Vec<i64> = log["after"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(after, vec![6, 7, 6, 7, 6, last, 0, 0]);
    assert_eq!(log["hash"], "#step=0");
    assert_eq!(attr(&dom, "lesson", "data-step").as_deref(), Some("0"));
    assert_eq!(attr(&dom, "back", "disabled").as_deref(), Some(""));
}

#[test]
fn a_screenshot_of_a_backward_step_is_not_blank() {
    let scratch = Scratch::new("shot");
    let file = write_lesson(&scratch.0, LessonNet::Thesis, 1, Activation::Sigmoid);
    let shot = scratch.0.join("shot.png");
    run_chromium(
        &scratch.0,
        &[
            "--window-size=1400,900".into(),
            "--virtual-time-budget=5000".into(),
            format!("--screenshot={}", shot.display()),
            url(&file, "step=16"),
        ],
    );
    let bytes = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot written: {e}"));
    let img = png::decode(&bytes).unwrap();
    assert_eq!((img.width, img.height), (1400, 900));
    let mut counts = std::collections::HashMap::new();
    for p in &img.pixels {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let (background, most) = counts.iter().max_by_key(|(_, &n)| n).map(|(p, n)| (*p, *n)).unwrap();
    let others = img.pixels.len() - most;
    assert!(counts.len() > 50, "only {} colours", counts.len());
    assert!(
        others * 10 > img.pixels.len(),
        "{others} of {} pixels differ from the background {background:?}",
        img.pixels.len()
    );
    // The backward highlight is drawn: strongly red pixels exist.
    assert!(
        img.pixels.iter().any(|p| p[0] > 180 && p[1] < 80 && p[2] < 80),
        "no red (gradient) pixels"
    );
}
