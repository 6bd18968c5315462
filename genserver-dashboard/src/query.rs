//! What the processes endpoint is asked: the column to sort by, the order,
//! a filter and how many rows; read from the query string, with a clear
//! error for anything it does not know.

use std::collections::HashMap;
use std::fmt;

/// The rows the processes endpoint returns when not told.
pub(crate) const DEFAULT_LIMIT: usize = 100;
/// The most rows it returns.
pub(crate) const MAX_LIMIT: usize = 1000;
/// The longest filter it takes, in bytes.
const MAX_FILTER: usize = 256;

/// The column the process table is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortKey {
    /// Messages waiting.
    Mailbox,
    /// Messages handled per second, between two looks at the table.
    Rate,
    /// The estimate of bytes held.
    Memory,
    /// Time since start.
    Uptime,
    /// Messages handled in all.
    Messages,
    /// The id, in order of start.
    Id,
}

impl SortKey {
    const ALL: [(&'static str, SortKey); 6] = [
        ("mailbox", SortKey::Mailbox),
        ("rate", SortKey::Rate),
        ("memory", SortKey::Memory),
        ("uptime", SortKey::Uptime),
        ("messages", SortKey::Messages),
        ("id", SortKey::Id),
    ];

    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, key)| *key == self)
            .map_or("mailbox", |(name, _)| name)
    }

    /// The order a column is read in when not told: the biggest first,
    /// except ids, the oldest first.
    fn default_order(self) -> Order {
        match self {
            SortKey::Id => Order::Asc,
            _ => Order::Desc,
        }
    }
}

/// Biggest first or smallest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    Asc,
    Desc,
}

impl Order {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

/// One request for the process table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProcessQuery {
    pub(crate) sort: SortKey,
    pub(crate) order: Order,
    /// Lowercased; matched against the type name and the names, or the
    /// id when it reads as one.
    pub(crate) filter: Option<String>,
    /// Only servers of this type (exact).
    pub(crate) type_name: Option<String>,
    pub(crate) limit: usize,
}

impl Default for ProcessQuery {
    fn default() -> Self {
        ProcessQuery {
            sort: SortKey::Mailbox,
            order: Order::Desc,
            filter: None,
            type_name: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// A query the processes endpoint refuses, said to the client as `400`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum QueryError {
    Sort(String),
    Order(String),
    Limit(String),
    FilterTooLong(usize),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Sort(got) => {
                let names: Vec<&str> = SortKey::ALL.iter().map(|(name, _)| *name).collect();
                write!(
                    f,
                    "unknown sort column {got:?}: one of {}",
                    names.join(", ")
                )
            }
            QueryError::Order(got) => write!(f, "unknown order {got:?}: asc or desc"),
            QueryError::Limit(got) => {
                write!(f, "limit {got:?} is not a number from 1 to {MAX_LIMIT}")
            }
            QueryError::FilterTooLong(len) => {
                write!(f, "filter of {len} bytes: at most {MAX_FILTER}")
            }
        }
    }
}

impl ProcessQuery {
    /// Reads the query string's parameters: `sort`, `order`, `filter`,
    /// `type`, `limit`; others are ignored, an empty one is as if absent.
    pub(crate) fn parse(params: &HashMap<String, String>) -> Result<Self, QueryError> {
        let given = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let sort = match given("sort") {
            None => SortKey::Mailbox,
            Some(text) => SortKey::ALL
                .iter()
                .find(|(name, _)| *name == text)
                .map(|(_, key)| *key)
                .ok_or_else(|| QueryError::Sort(text.to_string()))?,
        };
        let order = match given("order") {
            None => sort.default_order(),
            Some("asc") => Order::Asc,
            Some("desc") => Order::Desc,
            Some(other) => return Err(QueryError::Order(other.to_string())),
        };
        let limit = match given("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(QueryError::Limit(text.chars().take(32).collect())),
            },
        };
        let filter = match given("filter") {
            Some(text) if text.len() > MAX_FILTER => {
                return Err(QueryError::FilterTooLong(text.len()));
            }
            other => other.map(str::to_lowercase),
        };
        let type_name = match given("type") {
            Some(text) if text.len() > MAX_FILTER => {
                return Err(QueryError::FilterTooLong(text.len()));
            }
            other => other.map(str::to_string),
        };
        Ok(ProcessQuery {
            sort,
            order,
            filter,
            type_name,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<ProcessQuery, QueryError> {
        let params = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProcessQuery::parse(&params)
    }

    #[test]
    fn defaults_are_the_top_hundred_by_mailbox() {
        assert_eq!(parse(&[]), Ok(ProcessQuery::default()));
        assert_eq!(
            parse(&[("sort", ""), ("limit", " ")]),
            Ok(ProcessQuery::default())
        );
        let by_id = parse(&[("sort", "id")]).unwrap();
        assert_eq!((by_id.sort, by_id.order), (SortKey::Id, Order::Asc));
        let query = parse(&[("sort", "uptime"), ("order", "asc"), ("limit", "7")]).unwrap();
        assert_eq!(
            (query.sort, query.order, query.limit),
            (SortKey::Uptime, Order::Asc, 7)
        );
    }

    #[test]
    fn bad_parameters_are_refused_with_what_is_allowed() {
        let error = parse(&[("sort", "<script>")]).unwrap_err();
        assert_eq!(error, QueryError::Sort("<script>".into()));
        assert!(error.to_string().contains("mailbox, rate, memory, uptime"));
        for limit in ["0", "1001", "-1", "lots", "99999999999999999999999"] {
            assert!(
                matches!(parse(&[("limit", limit)]), Err(QueryError::Limit(_))),
                "{limit}"
            );
        }
        assert!(matches!(
            parse(&[("order", "up")]),
            Err(QueryError::Order(_))
        ));
        let long = "x".repeat(300);
        assert_eq!(
            parse(&[("filter", &long)]),
            Err(QueryError::FilterTooLong(300))
        );
    }

    #[test]
    fn the_filter_ignores_case() {
        assert!(parse(&[("filter", "LIMIT")]).unwrap().filter == Some("limit".into()));
    }
}
