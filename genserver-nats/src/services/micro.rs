//! The NATS services API's answers (`io.nats.micro.v1`): what `$SRV.PING`,
//! `$SRV.INFO` and `$SRV.STATS` reply, in the JSON that `nats micro`
//! reads.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::services::endpoint::EndpointStats;

/// The three questions of the services API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    Ping,
    Info,
    Stats,
}

impl Verb {
    pub(crate) fn parse(token: &str) -> Option<Verb> {
        match token {
            "PING" => Some(Verb::Ping),
            "INFO" => Some(Verb::Info),
            "STATS" => Some(Verb::Stats),
            _ => None,
        }
    }
}

/// What every answer starts with: which service, which instance.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Identity {
    pub(crate) name: String,
    pub(crate) id: String,
    pub(crate) version: &'static str,
    pub(crate) metadata: BTreeMap<&'static str, String>,
}

/// One served name, as `INFO` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct EndpointInfo {
    pub(crate) name: String,
    pub(crate) subject: String,
    pub(crate) queue_group: &'static str,
    pub(crate) metadata: BTreeMap<&'static str, String>,
}

/// One served name, as `STATS` reports it.
#[derive(Debug, Serialize)]
pub(crate) struct EndpointReport {
    pub(crate) name: String,
    pub(crate) subject: String,
    pub(crate) queue_group: &'static str,
    pub(crate) num_requests: u64,
    pub(crate) num_errors: u64,
    pub(crate) last_error: String,
    /// Nanoseconds.
    pub(crate) processing_time: u64,
    /// Nanoseconds.
    pub(crate) average_processing_time: u64,
}

impl EndpointReport {
    pub(crate) fn new(info: EndpointInfo, stats: EndpointStats) -> Self {
        EndpointReport {
            average_processing_time: stats.processing_ns.checked_div(stats.requests).unwrap_or(0),
            name: info.name,
            subject: info.subject,
            queue_group: info.queue_group,
            num_requests: stats.requests,
            num_errors: stats.errors,
            last_error: stats.last_error,
            processing_time: stats.processing_ns,
        }
    }
}

#[derive(Serialize)]
struct Ping<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    identity: &'a Identity,
}

#[derive(Serialize)]
struct Info<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    identity: &'a Identity,
    description: &'a str,
    endpoints: Vec<EndpointInfo>,
}

#[derive(Serialize)]
struct Stats<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    identity: &'a Identity,
    started: String,
    endpoints: Vec<EndpointReport>,
}

pub(crate) fn ping(identity: &Identity) -> Vec<u8> {
    json(&Ping {
        kind: "io.nats.micro.v1.ping_response",
        identity,
    })
}

pub(crate) fn info(
    identity: &Identity,
    description: &str,
    endpoints: Vec<EndpointInfo>,
) -> Vec<u8> {
    json(&Info {
        kind: "io.nats.micro.v1.info_response",
        identity,
        description,
        endpoints,
    })
}

pub(crate) fn stats(
    identity: &Identity,
    started: SystemTime,
    endpoints: Vec<EndpointReport>,
) -> Vec<u8> {
    json(&Stats {
        kind: "io.nats.micro.v1.stats_response",
        identity,
        started: rfc3339(started),
        endpoints,
    })
}

fn json(value: &impl Serialize) -> Vec<u8> {
    // Plain strings and numbers: serializing cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// A name as the services API allows it (`[A-Za-z0-9_-]+`): any other
/// character becomes `_`.
pub(crate) fn basic_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned
    }
}

/// `at` in RFC 3339, UTC, to the millisecond: `2026-12-07T05:43:59.123Z`.
pub(crate) fn rfc3339(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The calendar date `days` after 1970-01-01 (Howard Hinnant's algorithm
/// for the proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 12:34:56.789 UTC: a leap day.
        let leap = UNIX_EPOCH + Duration::from_millis(951_827_696_789);
        assert_eq!(rfc3339(leap), "2000-02-29T12:34:56.789Z");
        let later = UNIX_EPOCH + Duration::from_secs(1_796_601_600);
        assert_eq!(rfc3339(later), "2026-12-07T00:00:00.000Z");
    }

    #[test]
    fn names_keep_to_the_allowed_characters() {
        assert_eq!(basic_name("counter"), "counter");
        assert_eq!(basic_name("a.b:c"), "a_b_c");
        assert_eq!(basic_name("rate-limit_2"), "rate-limit_2");
        assert_eq!(basic_name(""), "_");
    }

    #[test]
    fn answers_carry_their_type_and_identity() {
        let identity = Identity {
            name: "app".into(),
            id: "abc".into(),
            version: "0.1.0",
            metadata: BTreeMap::from([("node", "a".to_owned())]),
        };
        let ping: serde_json::Value = serde_json::from_slice(&ping(&identity)).unwrap();
        assert_eq!(
            ping,
            serde_json::json!({"type": "io.nats.micro.v1.ping_response", "name": "app",
                "id": "abc", "version": "0.1.0", "metadata": {"node": "a"}})
        );
        let report = EndpointReport::new(
            EndpointInfo {
                name: "counter".into(),
                subject: "app.srv.counter".into(),
                queue_group: "genserver",
                metadata: BTreeMap::new(),
            },
            EndpointStats {
                requests: 4,
                errors: 1,
                processing_ns: 400,
                last_error: "no".into(),
            },
        );
        let stats: serde_json::Value =
            serde_json::from_slice(&stats(&identity, UNIX_EPOCH, vec![report])).unwrap();
        assert_eq!(stats["type"], "io.nats.micro.v1.stats_response");
        assert_eq!(stats["started"], "1970-01-01T00:00:00.000Z");
        assert_eq!(stats["endpoints"][0]["average_processing_time"], 100);
        assert_eq!(stats["endpoints"][0]["num_errors"], 1);
    }
}
