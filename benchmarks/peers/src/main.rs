//! The peer benchmark of issue 8: genserver against a hand-written tokio
//! actor, the same with a timeout per call, kameo, ractor and actix, in one
//! process, interleaved. See README.md.
//!
//! ```text
//! peers report [--quick] [--skip-instr] [--rounds N]   everything, one table
//! peers instr <impl> <measure> <n>                     one loop, for callgrind
//! ```

mod impls;
mod measure;
mod report;

use std::process::ExitCode;

use impls::Impl;
use measure::Measure;

#[global_allocator]
static ALLOC: measure::memory::CountingAlloc = measure::memory::CountingAlloc;

const USAGE: &str = "usage:
  peers report [--quick] [--skip-instr] [--rounds N]
  peers instr <impl> <call|cast|spawn> <n>
impls: hand, hand+timeout, genserver, genserver-bounded, genserver-named, kameo, ractor, actix";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["instr", imp, measure, n] => {
            let (Some(imp), Some(measure), Ok(n)) =
                (Impl::parse(imp), Measure::parse(measure), n.parse())
            else {
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            };
            measure::instr::run_loop(imp, measure, n);
            ExitCode::SUCCESS
        }
        ["report", rest @ ..] => {
            let mut opts = report::Options {
                quick: false,
                skip_instr: false,
                rounds: 0,
            };
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                match *arg {
                    "--quick" => opts.quick = true,
                    "--skip-instr" => opts.skip_instr = true,
                    "--rounds" => match rest.next().and_then(|n| n.parse().ok()) {
                        Some(n) => opts.rounds = n,
                        None => {
                            eprintln!("{USAGE}");
                            return ExitCode::FAILURE;
                        }
                    },
                    _ => {
                        eprintln!("{USAGE}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            if opts.rounds == 0 {
                opts.rounds = if opts.quick { 3 } else { 9 };
            }
            let exe = std::env::current_exe().expect("own path");
            let results = report::run(&exe, &opts);
            println!("{}", report::table(&results));
            println!("samples (calls/s or bytes), in round order:");
            print!("{}", report::samples(&results));
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::FAILURE
        }
    }
}
