//! The state as inspection and crash reports show it: the server's
//! `format_status` (its `Debug` by default), caught if it panics and cut
//! to a length, so a huge state cannot flood a log or a status.

use std::panic::AssertUnwindSafe;

use crate::server::gen_server::GenServer;

/// How much of the state a [`Status`](crate::sys::Status) shows.
pub(crate) const STATUS_LIMIT: usize = 64 * 1024;

/// How much of the state a crash report shows.
pub(crate) const CRASH_REPORT_LIMIT: usize = 4 * 1024;

/// `state` as its `format_status` shows it, at most `limit` bytes (then
/// how many more there were); `None` when it shows nothing. A panic in
/// `format_status` (a `Debug` that fails on a state left half-changed by a
/// crash) is caught and said.
pub(crate) fn shown<T: GenServer>(state: &T, limit: usize) -> Option<String> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| state.__format_status())) {
        Ok(text) => text.map(|text| truncated(text, limit)),
        Err(_) => Some("<format_status panicked>".to_owned()),
    }
}

/// `text` cut to at most `limit` bytes, on a character boundary.
fn truncated(mut text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = text.len() - end;
    text.truncate(end);
    text.push_str(&format!("… ({more} more bytes)"));
    text
}

#[cfg(test)]
mod tests {
    use super::truncated;

    #[test]
    fn cut_on_a_character_boundary_and_says_how_much_is_left() {
        assert_eq!(truncated("short".into(), 10), "short");
        assert_eq!(truncated("abcdef".into(), 3), "abc… (3 more bytes)");
        // 'é' is two bytes: a cut inside it moves before it.
        assert_eq!(truncated("aéb".into(), 2), "a… (3 more bytes)");
    }
}
