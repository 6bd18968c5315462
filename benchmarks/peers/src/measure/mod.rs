//! The measurements, one module per kind: instruction counts under
//! callgrind, wall-clock throughput, heap bytes per idle server.

pub mod instr;
pub mod memory;
pub mod wall;

/// The table's rows, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    Call,
    Cast,
    Spawn,
    OneServer,
    ManyServers,
    IdleBytes,
}

pub const ALL: [Measure; 6] = [
    Measure::Call,
    Measure::Cast,
    Measure::Spawn,
    Measure::OneServer,
    Measure::ManyServers,
    Measure::IdleBytes,
];

impl Measure {
    /// The row's label in the table.
    pub fn label(self) -> &'static str {
        match self {
            Measure::Call => "call round trip, current-thread runtime (instructions/call)",
            Measure::Cast => "cast (instructions/cast)",
            Measure::Spawn => "spawn + one call + stop (instructions/cycle)",
            Measure::OneServer => "32 clients on one server, 2 workers (calls/s, median)",
            Measure::ManyServers => "1 000 servers, 64 clients, 2 workers (calls/s, median)",
            Measure::IdleBytes => "bytes per idle server (heap, 10 000 servers)",
        }
    }

    /// The name on the command line (`peers instr <impl> <measure> <n>`).
    pub fn cli_name(self) -> &'static str {
        match self {
            Measure::Call => "call",
            Measure::Cast => "cast",
            Measure::Spawn => "spawn",
            Measure::OneServer => "one-server",
            Measure::ManyServers => "many-servers",
            Measure::IdleBytes => "idle-bytes",
        }
    }

    pub fn parse(name: &str) -> Option<Measure> {
        ALL.into_iter().find(|m| m.cli_name() == name)
    }

    /// Throughputs (higher is better): the ratio to `hand` is inverted so
    /// that every ratio reads as cost, > 1 worse than hand.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Measure::OneServer | Measure::ManyServers)
    }
}
