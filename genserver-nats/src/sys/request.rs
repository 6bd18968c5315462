//! What a node's `sys` subject is asked: [`SysRequest`], read from JSON
//! of at most [`MAX_REQUEST`] bytes, every field checked, so a request
//! from the network is either understood or answered with what is wrong.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The largest request a node reads on its `sys` subject, in bytes.
pub const MAX_REQUEST: usize = 4096;

/// The most rows a process table answer holds.
pub const MAX_ROWS: usize = 1000;

/// The longest filter or type name a request may carry, in bytes.
pub const MAX_FILTER: usize = 256;

/// The rows a process table answer holds when not told.
const DEFAULT_ROWS: usize = 100;

/// A question to a node's `sys` subject (see [`Node::sys`](crate::Node::sys)).
///
/// On the wire it is JSON, tagged by `get`:
///
/// ```text
/// {"get": "processes", "sort": "mailbox", "order": "desc", "limit": 100, "filter": "worker", "type": "Counter"}
/// {"get": "trees"}
/// {"get": "status", "id": "<0.12.0>"}
/// ```
///
/// ```
/// use genserver_nats::{SysRequest, SysSort};
///
/// let top = SysRequest::processes(SysSort::Memory, 10).unwrap();
/// assert!(SysRequest::processes(SysSort::Mailbox, 0).is_err());
/// let one = SysRequest::status("<0.12.0>");
/// # let _ = (top, one, SysRequest::Trees);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "get", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SysRequest {
    /// The process table: the top rows by a column, as the dashboard's
    /// `api/processes` answers.
    Processes(ProcessesRequest),
    /// The supervision trees, as the dashboard's `api/trees` answers.
    Trees,
    /// One server's status, as the dashboard's `api/servers/<id>`
    /// answers (without its trace).
    Status {
        /// The server's id as it is shown, `<0.12.0>`.
        id: String,
    },
}

/// The process table's query: which column, which order, which rows.
///
/// ```
/// use genserver_nats::sys::{ProcessesRequest, SysOrder};
/// use genserver_nats::{SysRequest, SysSort};
///
/// let mut query = ProcessesRequest::default(); // the top 100 by mailbox
/// query.sort = SysSort::Uptime;
/// query.order = Some(SysOrder::Asc);
/// query.filter = Some("worker".into());
/// let request = SysRequest::Processes(query);
/// # let _ = request;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProcessesRequest {
    /// The column the rows are sorted by.
    #[serde(default)]
    pub sort: SysSort,
    /// Biggest first or smallest first; by default the column's own
    /// (ids the oldest first, the others the biggest first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SysOrder>,
    /// How many rows: 1 to [`MAX_ROWS`] (100 when not said).
    #[serde(default = "default_rows")]
    pub limit: usize,
    /// Only servers whose type or a name holds this text (any case), or
    /// whose id it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Only servers of this type (exact).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
}

impl Default for ProcessesRequest {
    /// The top 100 by mailbox, the biggest first, unfiltered.
    fn default() -> Self {
        ProcessesRequest {
            sort: SysSort::Mailbox,
            order: None,
            limit: DEFAULT_ROWS,
            filter: None,
            type_name: None,
        }
    }
}

fn default_rows() -> usize {
    DEFAULT_ROWS
}

/// The column a process table is sorted by. A node keeps no rates
/// between questions, so messages per second is the dashboard's local
/// view only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SysSort {
    /// Messages waiting.
    #[default]
    Mailbox,
    /// The estimate of bytes held.
    Memory,
    /// Time since start.
    Uptime,
    /// Messages handled in all.
    Messages,
    /// The id, in order of start.
    Id,
}

impl SysSort {
    /// Every column, as it is named on the wire.
    pub const ALL: [SysSort; 5] = [
        SysSort::Mailbox,
        SysSort::Memory,
        SysSort::Uptime,
        SysSort::Messages,
        SysSort::Id,
    ];

    /// Its name on the wire: `mailbox`, `memory`, `uptime`, `messages`,
    /// `id`.
    pub fn name(self) -> &'static str {
        match self {
            SysSort::Mailbox => "mailbox",
            SysSort::Memory => "memory",
            SysSort::Uptime => "uptime",
            SysSort::Messages => "messages",
            SysSort::Id => "id",
        }
    }

    /// The column named `name`, if any.
    pub fn parse(name: &str) -> Option<SysSort> {
        SysSort::ALL.into_iter().find(|sort| sort.name() == name)
    }

    /// The order it is read in when not told.
    pub(crate) fn default_order(self) -> SysOrder {
        match self {
            SysSort::Id => SysOrder::Asc,
            _ => SysOrder::Desc,
        }
    }
}

/// Smallest first or biggest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SysOrder {
    /// Smallest first.
    Asc,
    /// Biggest first.
    Desc,
}

impl SysOrder {
    /// `asc` or `desc`.
    pub fn name(self) -> &'static str {
        match self {
            SysOrder::Asc => "asc",
            SysOrder::Desc => "desc",
        }
    }
}

/// A [`SysRequest`] refused: too large, not JSON of a request, or out of
/// its bounds. Its text is what the node answers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadRequest {
    /// More than [`MAX_REQUEST`] bytes.
    TooLarge(usize),
    /// Not a request: what the JSON reader said.
    Malformed(String),
    /// A limit outside 1 to [`MAX_ROWS`].
    Limit(usize),
    /// A filter, type name or id longer than [`MAX_FILTER`] bytes.
    TooLong(usize),
}

impl fmt::Display for BadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadRequest::TooLarge(len) => {
                write!(f, "a request of {len} bytes: at most {MAX_REQUEST}")
            }
            BadRequest::Malformed(why) => write!(
                f,
                "not a sys request ({why}): {{\"get\": \"processes\" | \"trees\" | \"status\", ..}}"
            ),
            BadRequest::Limit(limit) => write!(f, "limit {limit}: from 1 to {MAX_ROWS}"),
            BadRequest::TooLong(len) => write!(f, "a text of {len} bytes: at most {MAX_FILTER}"),
        }
    }
}

impl std::error::Error for BadRequest {}

impl SysRequest {
    /// The top `limit` servers by `sort`, in its own order.
    ///
    /// # Errors
    ///
    /// [`BadRequest::Limit`] when `limit` is not from 1 to [`MAX_ROWS`].
    pub fn processes(sort: SysSort, limit: usize) -> Result<SysRequest, BadRequest> {
        let request = SysRequest::Processes(ProcessesRequest {
            sort,
            order: None,
            limit,
            filter: None,
            type_name: None,
        });
        request.check()?;
        Ok(request)
    }

    /// One server's status; `id` as it is shown, `<0.12.0>`.
    pub fn status(id: impl Into<String>) -> SysRequest {
        SysRequest::Status { id: id.into() }
    }

    /// Reads a request from the network: bounded, and checked.
    ///
    /// # Errors
    ///
    /// A [`BadRequest`] saying what is wrong.
    pub fn from_json(bytes: &[u8]) -> Result<SysRequest, BadRequest> {
        if bytes.len() > MAX_REQUEST {
            return Err(BadRequest::TooLarge(bytes.len()));
        }
        let request: SysRequest = serde_json::from_slice(bytes).map_err(|error| {
            // The reader's words, cut: they may quote the request.
            BadRequest::Malformed(error.to_string().chars().take(200).collect())
        })?;
        request.check()?;
        Ok(request)
    }

    /// The request as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Whether its fields are in their bounds.
    fn check(&self) -> Result<(), BadRequest> {
        let long = |text: &Option<String>| {
            text.as_ref()
                .filter(|t| t.len() > MAX_FILTER)
                .map(|t| BadRequest::TooLong(t.len()))
        };
        match self {
            SysRequest::Processes(query) => {
                if !(1..=MAX_ROWS).contains(&query.limit) {
                    return Err(BadRequest::Limit(query.limit));
                }
                match long(&query.filter).or_else(|| long(&query.type_name)) {
                    Some(error) => Err(error),
                    None => Ok(()),
                }
            }
            SysRequest::Trees => Ok(()),
            SysRequest::Status { id } if id.len() > MAX_FILTER => {
                Err(BadRequest::TooLong(id.len()))
            }
            SysRequest::Status { .. } => Ok(()),
        }
    }
}

impl ProcessesRequest {
    /// The order asked for, or the column's own.
    pub(crate) fn order(&self) -> SysOrder {
        self.order.unwrap_or(self.sort.default_order())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_back_as_written() {
        let top = SysRequest::processes(SysSort::Uptime, 7).unwrap();
        assert_eq!(SysRequest::from_json(&top.to_json()), Ok(top));
        assert_eq!(
            SysRequest::from_json(br#"{"get":"trees"}"#),
            Ok(SysRequest::Trees)
        );
        let SysRequest::Processes(query) =
            SysRequest::from_json(br#"{"get":"processes"}"#).unwrap()
        else {
            panic!("processes")
        };
        assert_eq!(
            (query.sort, query.order(), query.limit),
            (SysSort::Mailbox, SysOrder::Desc, 100)
        );
        let SysRequest::Processes(query) =
            SysRequest::from_json(br#"{"get":"processes","sort":"id","type":"Counter"}"#).unwrap()
        else {
            panic!("processes")
        };
        assert_eq!(query.order(), SysOrder::Asc);
        assert_eq!(query.type_name.as_deref(), Some("Counter"));
        assert_eq!(
            SysRequest::from_json(br#"{"get":"status","id":"<0.12.0>"}"#),
            Ok(SysRequest::status("<0.12.0>"))
        );
    }

    #[test]
    fn hostile_requests_are_refused_with_what_is_wrong() {
        for junk in [
            &b""[..],
            b"\xff\xfe",
            b"null",
            b"[1,2]",
            br#"{"get":"everything"}"#,
            br#"{"get":"processes","sort":"rate"}"#,
            br#"{"get":"processes","limit":-1}"#,
            br#"{"get":"processes","limit":1e99}"#,
            br#"{"get":"processes","evil":1}"#,
            br#"{"get":"status"}"#,
            br#"{"get":"status","id":12}"#,
            br#"{"get":"processes","sort":"mailbox""#,
        ] {
            let error = SysRequest::from_json(junk).unwrap_err();
            assert!(
                matches!(error, BadRequest::Malformed(_)),
                "{:?}: {error:?}",
                String::from_utf8_lossy(junk)
            );
            assert!(error.to_string().contains("\"get\""), "{error}");
        }
        assert_eq!(
            SysRequest::from_json(br#"{"get":"processes","limit":0}"#),
            Err(BadRequest::Limit(0))
        );
        assert_eq!(
            SysRequest::from_json(br#"{"get":"processes","limit":1001}"#),
            Err(BadRequest::Limit(1001))
        );
        let long = format!(r#"{{"get":"processes","filter":"{}"}}"#, "x".repeat(300));
        assert_eq!(
            SysRequest::from_json(long.as_bytes()),
            Err(BadRequest::TooLong(300))
        );
        let huge = vec![b' '; MAX_REQUEST + 1];
        assert_eq!(
            SysRequest::from_json(&huge),
            Err(BadRequest::TooLarge(MAX_REQUEST + 1))
        );
        // Deeply nested junk is refused by the reader's depth limit, not
        // by a stack overflow.
        let deep = format!("{}{}", "[".repeat(3000), "]".repeat(3000));
        assert!(SysRequest::from_json(&deep.as_bytes()[..MAX_REQUEST]).is_err());
    }
}
