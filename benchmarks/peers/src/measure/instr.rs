//! Instructions per operation, counted by callgrind.
//!
//! `peers instr <impl> <measure> <n>` runs one loop of `n` operations on a
//! single-threaded runtime and exits. The driver runs it under
//! `valgrind --tool=callgrind` twice, with `n` and `2n`, and reports
//! `(I(2n) - I(n)) / n`: process start-up, runtime construction, the
//! actor's spawn and everything else done once cancel out.

use std::path::Path;
use std::process::Command;

use crate::impls::{Counter, Impl};
use crate::measure::Measure;
use crate::with_counter;

/// `n` calls on one actor.
async fn calls<C: Counter>(n: u64) {
    let counter = C::spawn().await;
    let mut last = 0;
    for _ in 0..n {
        last = counter.add(1).await;
    }
    assert_eq!(last, n);
    counter.stop().await;
}

/// `n` casts, then one call to wait until they have been handled.
async fn casts<C: Counter>(n: u64) {
    let counter = C::spawn().await;
    for _ in 0..n {
        counter.bump();
    }
    assert_eq!(counter.add(0).await, n);
    counter.stop().await;
}

/// `n` cycles of: spawn, one call, stop and wait until stopped.
async fn spawns<C: Counter>(n: u64) {
    for _ in 0..n {
        let counter = C::spawn().await;
        assert_eq!(counter.add(1).await, 1);
        counter.stop().await;
    }
}

/// Runs one loop in this process (the child side of the driver).
pub fn run_loop(imp: Impl, measure: Measure, n: u64) {
    let Some((op, timer)) = measure.instr() else {
        panic!("{} is not an instruction-count measure", measure.cli_name());
    };
    let done = with_counter!(imp, C => imp.block_on(async {
        // An unrelated timer, far in the future, as a real program has
        // (a heartbeat, a cache expiry): every park then runs the timer
        // wheel.
        let _timer = timer.then(|| tokio::spawn(tokio::time::sleep(std::time::Duration::from_secs(3600))));
        if timer {
            tokio::task::yield_now().await;
        }
        match op {
            Measure::Call => calls::<C>(n).await,
            Measure::Cast => casts::<C>(n).await,
            Measure::Spawn => spawns::<C>(n).await,
            other => panic!("{} is not an instruction-count measure", other.cli_name()),
        }
    }));
    if done.is_none() {
        eprintln!("{}: not compiled in", imp.name());
        std::process::exit(2);
    }
}

/// The operations per run: `n` for the short run, `2n` for the long one.
pub fn default_n(measure: Measure, quick: bool) -> u64 {
    let n = match measure.instr().map(|(op, _)| op) {
        Some(Measure::Call | Measure::Cast) => 20_000,
        Some(Measure::Spawn) => 5_000,
        _ => 0,
    };
    if quick { n / 10 } else { n }
}

/// Total instructions of `exe instr <impl> <measure> <n>` under callgrind.
pub fn callgrind(exe: &Path, imp: Impl, measure: Measure, n: u64) -> Result<u64, String> {
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(["instr", imp.name(), measure.cli_name(), &n.to_string()])
        .output()
        .map_err(|e| format!("cannot run valgrind: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "{} {} {n}: exit {}\n{stderr}",
            imp.name(),
            measure.cli_name(),
            output.status
        ));
    }
    // "==1234== Collected : 123456789"
    stderr
        .lines()
        .find_map(|line| line.split_once("Collected :").map(|(_, v)| v.trim()))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no 'Collected' line in callgrind output:\n{stderr}"))
}

/// Instructions per operation: the difference of a run of `2n` and one of
/// `n` operations, divided by `n`.
pub fn per_op(exe: &Path, imp: Impl, measure: Measure, n: u64) -> Result<f64, String> {
    let short = callgrind(exe, imp, measure, n)?;
    let long = callgrind(exe, imp, measure, 2 * n)?;
    Ok((long as f64 - short as f64) / n as f64)
}
