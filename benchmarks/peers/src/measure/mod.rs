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
    /// The same three with one unrelated long timer registered in the
    /// runtime, as every real program has one: tokio's time driver then
    /// runs at every park.
    CallTimer,
    CastTimer,
    SpawnTimer,
    OneServer,
    ManyServers,
    IdleBytes,
}

pub const ALL: [Measure; 9] = [
    Measure::Call,
    Measure::Cast,
    Measure::Spawn,
    Measure::CallTimer,
    Measure::CastTimer,
    Measure::SpawnTimer,
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
            Measure::CallTimer => "call round trip, a timer registered (instructions/call)",
            Measure::CastTimer => "cast, a timer registered (instructions/cast)",
            Measure::SpawnTimer => {
                "spawn + one call + stop, a timer registered (instructions/cycle)"
            }
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
            Measure::CallTimer => "call+timer",
            Measure::CastTimer => "cast+timer",
            Measure::SpawnTimer => "spawn+timer",
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
    /// An instruction-count measure: the operation, and whether a timer
    /// is registered.
    pub fn instr(self) -> Option<(Measure, bool)> {
        match self {
            Measure::Call | Measure::Cast | Measure::Spawn => Some((self, false)),
            Measure::CallTimer => Some((Measure::Call, true)),
            Measure::CastTimer => Some((Measure::Cast, true)),
            Measure::SpawnTimer => Some((Measure::Spawn, true)),
            _ => None,
        }
    }

    pub fn higher_is_better(self) -> bool {
        matches!(self, Measure::OneServer | Measure::ManyServers)
    }
}
