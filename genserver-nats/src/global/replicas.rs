//! How many replicas the global names' stream gets.
//!
//! On a cluster of three servers or more, a replicated stream keeps the
//! names when the server that holds them dies. But replication is not a
//! plain switch: before nats-server 2.9.21, a revision-checked update on
//! a replicated stream can report success to two racing clients
//! (nats-server issue 4320; on Debian's 2.9.10 with three replicas, 13–25 %
//! of contested updates had two or three winners). Takeovers and
//! refreshes are such updates, so replicas are only ever used where
//! updates are safe:
//!
//! | asked | the server | replicas |
//! |---|---|---|
//! | nothing | ≥ 2.9.21, a cluster of ≥ 3 servers | 3 |
//! | nothing | otherwise | 1, and one log line says why |
//! | `n` | ≥ 2.9.21 | `n` (JetStream refuses more than the cluster has) |
//! | `n > 1` | < 2.9.21 | refused: [`UnsafeReplicas`] |
//!
//! Both are read from the connected server's INFO: its version, and the
//! client URLs of its cluster. Every server of a cluster should run the
//! same version.

use std::fmt;

/// The first nats-server version whose replicated streams never let two
/// revision-checked updates both win.
pub(crate) const SAFE_FROM: (u32, u32, u32) = (2, 9, 21);

/// Why the global names' stream may not be replicated here: the
/// nats-server is older than 2.9.21.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsafeReplicas {
    /// The replicas asked for, or found on the existing stream.
    pub replicas: usize,
    /// The nats-server's version, as its INFO says.
    pub version: String,
}

impl fmt::Display for UnsafeReplicas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} replicas of the global names' stream on nats-server {}: before 2.9.21 a revision-checked update on a replicated stream can report success to two racing clients (nats-server issue 4320), so two nodes could both win a global name; upgrade the servers to 2.9.21 or later, or keep 1 replica",
            self.replicas, self.version
        )
    }
}

impl std::error::Error for UnsafeReplicas {}

/// `2.9.10`, `v2.15.1`, `2.10.0-beta.1` as numbers; `None` when it is not
/// a version.
pub(crate) fn parse_version(version: &str) -> Option<(u32, u32, u32)> {
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let mut number = || -> Option<u32> {
        let part = parts.next()?;
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    Some((number()?, number()?, number().unwrap_or(0)))
}

/// Whether updates on a replicated stream are safe on `version`.
pub(crate) fn safe(version: &str) -> bool {
    parse_version(version).is_some_and(|parsed| parsed >= SAFE_FROM)
}

/// The replicas to use, and why; `requested` is `NodeOptions::replicas`.
pub(crate) fn decide(
    requested: Option<usize>,
    version: &str,
    servers: usize,
) -> Result<(usize, String), UnsafeReplicas> {
    match requested {
        Some(replicas) if replicas > 1 && !safe(version) => Err(UnsafeReplicas {
            replicas,
            version: version.to_owned(),
        }),
        Some(replicas) => Ok((replicas.max(1), format!("{replicas} asked for"))),
        None if !safe(version) => Ok((
            1,
            format!(
                "nats-server {version} is older than 2.9.21, whose replicated streams let two racing updates both win (issue 4320)"
            ),
        )),
        None if servers < 3 => Ok((
            1,
            format!("the cluster has {servers} server(s), fewer than 3"),
        )),
        None => Ok((
            3,
            format!("a cluster of {servers} servers of nats-server {version}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("2.9.10"), Some((2, 9, 10)));
        assert_eq!(parse_version("v2.15.1"), Some((2, 15, 1)));
        assert_eq!(parse_version("2.10.0-beta.1"), Some((2, 10, 0)));
        assert_eq!(parse_version("junk"), None);
        assert!(!safe("2.9.10") && !safe("2.9.20") && safe("2.9.21") && safe("2.15.1"));
        assert!(!safe("junk"), "an unknown version is taken as unsafe");
    }

    #[test]
    fn three_replicas_only_where_updates_are_safe() {
        assert_eq!(decide(None, "2.15.1", 3).map(|d| d.0), Ok(3));
        assert_eq!(decide(None, "2.15.1", 5).map(|d| d.0), Ok(3));
        assert_eq!(decide(None, "2.15.1", 1).map(|d| d.0), Ok(1));
        assert_eq!(decide(None, "2.9.10", 3).map(|d| d.0), Ok(1));
        assert!(decide(None, "2.9.10", 3).is_ok_and(|d| d.1.contains("2.9.10")));
        assert_eq!(decide(Some(1), "2.9.10", 3).map(|d| d.0), Ok(1));
        assert_eq!(decide(Some(5), "2.15.1", 5).map(|d| d.0), Ok(5));
        let refused = decide(Some(3), "2.9.10", 3).expect_err("refused");
        assert_eq!(refused.version, "2.9.10");
        assert!(refused.to_string().contains("2.9.10") && refused.to_string().contains("4320"));
    }
}
