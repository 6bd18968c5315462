//! The NATS services API (`$SRV`): every node answers `$SRV.PING`,
//! `$SRV.INFO` and `$SRV.STATS` as a NATS micro service would, so the
//! standard tools list and inspect genserver nodes (`nats micro ls`,
//! `nats micro info <prefix>`, `nats micro stats <prefix>`).
//!
//! ```text
//!  service name  the cluster prefix ("app")          shared by its nodes
//!  id            this connection's instance id        one per node
//!  endpoints     the names this node serves           app.srv.<name>, queue group "genserver"
//!  subjects      $SRV.<VERB>, $SRV.<VERB>.app, $SRV.<VERB>.app.<id>
//! ```
//!
//! Each served name counts its requests (calls and casts arriving on
//! `app.srv.<name>`), its errors (requests refused, calls answered with an
//! error) and the time from a request's arrival to its reply (`serve.rs`).

mod endpoint;
mod micro;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::SystemTime;

use futures_util::StreamExt;

pub(crate) use endpoint::Endpoint;
use micro::{EndpointInfo, EndpointReport, Identity, Verb};

use crate::node::Inner;

/// The services API's name for the cluster `prefix`: the prefix, with
/// any character the API does not allow as `_`.
pub(crate) fn service_name(prefix: &str) -> String {
    micro::basic_name(prefix)
}

/// The queue group every served name's subscription is in.
pub(crate) const QUEUE_GROUP: &str = "genserver";

/// What a node says of itself to the services API, and its endpoints.
pub(crate) struct Services {
    identity: Identity,
    started: SystemTime,
    prefix: String,
    endpoints: Mutex<HashMap<String, Arc<Endpoint>>>,
}

impl Services {
    pub(crate) fn new(prefix: &str, node: &str, instance: &str) -> Services {
        Services {
            identity: Identity {
                name: service_name(prefix),
                id: instance.to_owned(),
                version: env!("CARGO_PKG_VERSION"),
                metadata: BTreeMap::from([
                    ("node", node.to_owned()),
                    ("library", "genserver-nats".to_owned()),
                ]),
            },
            started: SystemTime::now(),
            prefix: prefix.to_owned(),
            endpoints: Mutex::new(HashMap::new()),
        }
    }

    /// The subjects this node answers on.
    pub(crate) fn subjects(&self) -> [String; 3] {
        let (name, id) = (&self.identity.name, &self.identity.id);
        [
            "$SRV.*".to_owned(),
            format!("$SRV.*.{name}"),
            format!("$SRV.*.{name}.{id}"),
        ]
    }

    /// The counts of the served `name`, now served once more.
    pub(crate) fn serving(&self, name: &str) -> Arc<Endpoint> {
        let endpoint = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(name.to_owned())
            .or_default()
            .clone();
        endpoint.start_serving();
        endpoint
    }

    /// The names served now, by name, with their counts.
    fn served(&self) -> Vec<(String, Arc<Endpoint>)> {
        let mut served: Vec<(String, Arc<Endpoint>)> = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(_, endpoint)| endpoint.is_served())
            .map(|(name, endpoint)| (name.clone(), endpoint.clone()))
            .collect();
        served.sort_by(|a, b| a.0.cmp(&b.0));
        served
    }

    fn info_of(&self, name: &str) -> EndpointInfo {
        EndpointInfo {
            name: micro::basic_name(name),
            subject: format!("{}.srv.{name}", self.prefix),
            queue_group: QUEUE_GROUP,
            metadata: BTreeMap::from([("served_name", name.to_owned())]),
        }
    }

    /// The answer to `verb`.
    fn answer(&self, verb: Verb) -> Vec<u8> {
        match verb {
            Verb::Ping => micro::ping(&self.identity),
            Verb::Info => {
                let endpoints = self
                    .served()
                    .iter()
                    .map(|(name, _)| self.info_of(name))
                    .collect();
                micro::info(
                    &self.identity,
                    "genserver node: the servers it serves by name",
                    endpoints,
                )
            }
            Verb::Stats => {
                let endpoints = self
                    .served()
                    .iter()
                    .map(|(name, endpoint)| {
                        EndpointReport::new(self.info_of(name), endpoint.stats())
                    })
                    .collect();
                micro::stats(&self.identity, self.started, endpoints)
            }
        }
    }

    /// Whether `subject` asks this node: `$SRV.<VERB>`, or with this
    /// service's name, or with its name and this node's id; and what.
    fn asked(&self, subject: &str) -> Option<Verb> {
        let mut tokens = subject.split('.');
        if tokens.next() != Some("$SRV") {
            return None;
        }
        let verb = Verb::parse(tokens.next()?)?;
        match (tokens.next(), tokens.next(), tokens.next()) {
            (None, _, _) => Some(verb),
            (Some(name), None, _) if name == self.identity.name => Some(verb),
            (Some(name), Some(id), None)
                if name == self.identity.name && id == self.identity.id =>
            {
                Some(verb)
            }
            _ => None,
        }
    }
}

/// Answers the services API's questions until the node is dropped or its
/// connection closes. A question without a reply subject is ignored.
pub(crate) async fn run(node: Weak<Inner>, mut questions: async_nats::Subscriber) {
    while let Some(message) = questions.next().await {
        let Some(inner) = node.upgrade() else { break };
        let Some(reply) = message.reply else { continue };
        let Some(verb) = inner.services.asked(&message.subject) else {
            continue;
        };
        let answer = inner.services.answer(verb);
        // A lost answer is the asker's timeout, as for any NATS service.
        let _ = inner.client.publish(reply, answer.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_answers_its_own_questions_only() {
        let services = Services::new("app", "a", "id1");
        assert_eq!(services.asked("$SRV.PING"), Some(Verb::Ping));
        assert_eq!(services.asked("$SRV.INFO.app"), Some(Verb::Info));
        assert_eq!(services.asked("$SRV.STATS.app.id1"), Some(Verb::Stats));
        assert_eq!(services.asked("$SRV.STATS.other"), None);
        assert_eq!(services.asked("$SRV.STATS.app.id2"), None);
        assert_eq!(services.asked("$SRV.HELLO"), None);
        assert_eq!(services.asked("$SRV.PING.app.id1.more"), None);
        assert_eq!(
            services.subjects(),
            ["$SRV.*", "$SRV.*.app", "$SRV.*.app.id1"]
        );
    }

    #[test]
    fn only_names_served_now_are_listed() {
        let services = Services::new("app", "a", "id1");
        let counter = services.serving("counter");
        counter.request();
        let info: serde_json::Value = serde_json::from_slice(&services.answer(Verb::Info)).unwrap();
        assert_eq!(info["endpoints"][0]["subject"], "app.srv.counter");
        assert_eq!(info["endpoints"][0]["queue_group"], "genserver");
        counter.stop_serving();
        let info: serde_json::Value = serde_json::from_slice(&services.answer(Verb::Info)).unwrap();
        assert_eq!(info["endpoints"], serde_json::json!([]));
        // Served again, it counts on.
        services.serving("counter").request();
        let stats: serde_json::Value =
            serde_json::from_slice(&services.answer(Verb::Stats)).unwrap();
        assert_eq!(stats["endpoints"][0]["num_requests"], 2);
    }
}
