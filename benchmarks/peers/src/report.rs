//! The driver: runs every measure for every implementation, interleaved
//! (round-robin over implementations, several rounds), and prints one
//! table, one row per measure, one column per implementation, each cell the
//! absolute figure and its ratio to `hand`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use crate::impls::{self, Impl};
use crate::measure::{self, Measure, instr, memory, wall};

/// Options of `peers report`.
pub struct Options {
    /// Fewer operations and rounds: a smoke test, not figures to quote.
    pub quick: bool,
    /// Leave out the callgrind measures (no valgrind needed).
    pub skip_instr: bool,
    pub rounds: usize,
}

#[derive(Default)]
pub struct Results {
    /// Every sample of a cell; the cell shows their median.
    samples: HashMap<(Measure, &'static str), Vec<f64>>,
    /// Cells that could not be measured, with the reason.
    failed: HashMap<(Measure, &'static str), String>,
}

impl Results {
    fn push(&mut self, measure: Measure, imp: Impl, value: f64) {
        self.samples
            .entry((measure, imp.name()))
            .or_default()
            .push(value);
    }

    fn median(&self, measure: Measure, imp: Impl) -> Option<f64> {
        median(self.samples.get(&(measure, imp.name()))?.clone())
    }

    /// The cost relative to `hand`, > 1 worse. For the wall-clock rows,
    /// the median of the per-round ratios: each round runs every
    /// implementation back to back, so pairing within a round cancels
    /// most of the drift of a shared machine's load between rounds.
    fn ratio(&self, measure: Measure, imp: Impl) -> Option<f64> {
        let cost = |base: f64, v: f64| {
            if measure.higher_is_better() {
                base / v
            } else {
                v / base
            }
        };
        let base = self.samples.get(&(measure, Impl::Hand.name()))?;
        let mine = self.samples.get(&(measure, imp.name()))?;
        if base.len() == mine.len() && base.len() > 1 {
            median(base.iter().zip(mine).map(|(&b, &v)| cost(b, v)).collect())
        } else {
            Some(cost(
                self.median(measure, Impl::Hand)?,
                self.median(measure, imp)?,
            ))
        }
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

pub fn run(exe: &Path, opts: &Options) -> Results {
    let mut results = Results::default();
    let available: Vec<Impl> = impls::ALL.into_iter().filter(|i| i.available()).collect();

    if !opts.skip_instr {
        for measure in measure::ALL.into_iter().filter(|m| m.instr().is_some()) {
            let n = instr::default_n(measure, opts.quick);
            for &imp in &available {
                let t = Instant::now();
                match instr::per_op(exe, imp, measure, n) {
                    Ok(v) => {
                        eprintln!(
                            "instr {:<12} {:<18} {v:>10.1}  ({:.1} s)",
                            measure.cli_name(),
                            imp.name(),
                            t.elapsed().as_secs_f64()
                        );
                        results.push(measure, imp, v);
                    }
                    Err(e) => {
                        eprintln!("instr {} {}: {e}", measure.cli_name(), imp.name());
                        results.failed.insert((measure, imp.name()), e);
                    }
                }
            }
        }
    }

    let shapes = [
        (Measure::OneServer, wall::one_server(opts.quick)),
        (Measure::ManyServers, wall::many_servers(opts.quick)),
    ];
    for round in 0..opts.rounds {
        for (measure, shape) in &shapes {
            for &imp in &available {
                if let Some(elapsed) = wall::run(imp, shape) {
                    let rate = shape.total_calls() as f64 / elapsed.as_secs_f64();
                    eprintln!(
                        "wall  round {round} {:<12} {:<18} {:>10.0} calls/s",
                        measure.cli_name(),
                        imp.name(),
                        rate
                    );
                    results.push(*measure, imp, rate);
                }
            }
        }
    }

    memory::start_counting();
    let n = memory::SERVERS;
    for _ in 0..opts.rounds.min(3) {
        for &imp in &available {
            if let Some(bytes) = memory::run(imp, n) {
                eprintln!("mem   {:<18} {bytes:>10.1} B/server", imp.name());
                results.push(Measure::IdleBytes, imp, bytes);
            }
        }
    }
    results
}

/// "1234567.8" -> "1 234 568".
fn group(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    if value < 0.0 { format!("-{out}") } else { out }
}

/// The table, in markdown.
pub fn table(results: &Results) -> String {
    let mut out = String::from("| measure |");
    for imp in impls::ALL {
        out.push_str(&format!(" {} |", imp.name()));
    }
    out.push_str("\n|---|");
    for _ in impls::ALL {
        out.push_str("---:|");
    }
    out.push('\n');
    for measure in measure::ALL {
        if !impls::ALL
            .into_iter()
            .any(|i| results.median(measure, i).is_some())
        {
            continue;
        }
        out.push_str(&format!("| {} |", measure.label()));
        for imp in impls::ALL {
            let cell = match (results.median(measure, imp), results.ratio(measure, imp)) {
                (Some(v), Some(ratio)) if ratio.is_finite() => {
                    format!("{} ({ratio:.2}×)", group(v))
                }
                (Some(v), _) => group(v),
                (None, _) if results.failed.contains_key(&(measure, imp.name())) => "failed".into(),
                (None, _) => "n/a".into(),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

/// Every wall-clock sample, for judging the spread.
pub fn samples(results: &Results) -> String {
    let mut out = String::new();
    for measure in [Measure::OneServer, Measure::ManyServers, Measure::IdleBytes] {
        for imp in impls::ALL {
            if let Some(v) = results.samples.get(&(measure, imp.name())) {
                let v: Vec<String> = v.iter().map(|x| group(*x)).collect();
                out.push_str(&format!(
                    "{:<14} {:<18} {}\n",
                    measure.cli_name(),
                    imp.name(),
                    v.join(", ")
                ));
            }
        }
    }
    out
}
