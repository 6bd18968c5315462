#!/usr/bin/env bash
# The peer benchmark of issue 8: builds in release mode, then runs every
# measure for every implementation and prints one table (markdown) on
# stdout; progress goes to stderr. Needs valgrind for the instruction
# counts (or pass --skip-instr). Takes a few minutes; --quick is a smoke
# test in well under a minute.
#
#   benchmarks/peers/run.sh [--quick] [--skip-instr] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
exec target/release/peers report "$@"
