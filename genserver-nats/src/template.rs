//! The NATS permissions a node needs, and nothing more: see
//! [`NodeOptions::permission_template`].

use crate::node::NodeOptions;

impl NodeOptions {
    /// The NATS permissions this node needs, and no more, as the
    /// `permissions` block of a user in a nats-server configuration: give
    /// each node a user of its own with these (see the crate's "Security"
    /// section).
    ///
    /// What it says, for the node `a` of the cluster `app`:
    ///
    /// | subject | publish | subscribe | why |
    /// |---|---|---|---|
    /// | `app.srv.>` | ✓ | ✓ | calls and casts to served names and pools; serving them |
    /// | `app.global.>` | ✓ | ✓ | calls to global names; holding them |
    /// | `app.node.*.srv.>` | ✓ | | calls to one node's server (`remote_on`, `multi_call`, `abcast`) |
    /// | `app.node.a.srv.>` | | ✓ | this node's own servers |
    /// | `app.mon.>`, `app.who.>`, `app.pg.>` | ✓ | ✓ | monitors and links, "who serves it?", groups |
    /// | `app.node.a.hb` | ✓ | | this node's heartbeats: only `a` may speak for `a` |
    /// | `app.node.*.hb` | | ✓ | every node's heartbeats |
    /// | `app.node.a.ctl.>` | ✓ | | this node's monitor and link messages to the others |
    /// | `app.node.*.ctl.a.>` | | ✓ | the others' monitor and link messages to this node |
    /// | `_GS_INBOX.app.a.>` | ✓ | ✓ | this node's replies (and its round trip through them) |
    /// | `_INBOX.app.a.>` | | ✓ | the NATS client's own replies (JetStream, questions to every node): the node sets the client's inbox prefix to `_INBOX.app.a` |
    /// | `$JS.API.STREAM.INFO.KV_gs_global_app`, `$JS.API.STREAM.CREATE.KV_gs_global_app`, `$JS.API.DIRECT.GET.KV_gs_global_app.>`, `$JS.API.STREAM.MSG.GET.KV_gs_global_app`, `$KV.gs_global_app.>` | ✓ | | the global names' table (JetStream key-value) |
    /// | `$SRV.*`, `$SRV.*.app`, `$SRV.*.app.*` | | ✓ | the NATS services API's questions (`$SRV.PING`, `INFO`, `STATS`): standard NATS tools list and inspect the node |
    /// | `app.node.*.sys` | ✓ | | questions to a node's `sys` subject: its processes, trees, a server's status ([`Node::sys`](crate::Node::sys), the dashboard's Nodes view) |
    /// | `app.node.a.sys` | | ✓ | this node's own `sys` subject |
    /// | the reply subject of a request it received | ✓ (`allow_responses`) | | answering calls, monitor requests and questions |
    ///
    /// So a node can publish neither another node's heartbeats nor its
    /// monitor and link messages, nor read another node's replies.
    /// Everything under `app.srv.>`, `app.global.>`, `app.mon.>` and
    /// `app.pg.>` stays open to every node of the cluster (the trust
    /// model: a cluster prefix is one trust domain); narrow
    /// `app.srv.>` to the names a node serves (`app.srv.counter`) where
    /// that matters. The names' table is the JetStream of the user's
    /// account; use an account per cluster to keep tenants apart.
    ///
    /// ```
    /// use genserver_nats::NodeOptions;
    ///
    /// let template = NodeOptions::new("a").prefix("app").permission_template();
    /// assert!(template.contains(r#""app.node.a.hb""#));
    /// assert!(!template.contains(r#""app.node.b.hb""#));
    /// // It answers its own sys subject, and may ask every node's.
    /// assert!(template.contains(r#""app.node.a.sys""#));
    /// assert!(template.contains(r#""app.node.*.sys""#));
    /// assert!(!template.contains(r#""app.node.b.sys""#));
    /// // As a user in nats-server.conf:
    /// let config = format!(
    ///     "authorization {{ users = [ {{ user: a, password: secret, permissions: {template} }} ] }}"
    /// );
    /// # let _ = config;
    /// ```
    pub fn permission_template(&self) -> String {
        let (p, n) = (self.cluster_prefix(), self.node_name());
        let bucket = crate::global::bucket_name(p);
        let stream = format!("KV_{bucket}");
        let service = crate::services::service_name(p);
        let publish = [
            format!("{p}.srv.>"),
            format!("{p}.global.>"),
            format!("{p}.node.*.srv.>"),
            format!("{p}.mon.>"),
            format!("{p}.who.>"),
            format!("{p}.pg.>"),
            format!("{p}.node.{n}.hb"),
            format!("{p}.node.{n}.ctl.>"),
            format!("{p}.node.*.sys"),
            format!("_GS_INBOX.{p}.{n}.>"),
            format!("$JS.API.STREAM.INFO.{stream}"),
            format!("$JS.API.STREAM.CREATE.{stream}"),
            format!("$JS.API.DIRECT.GET.{stream}.>"),
            format!("$JS.API.STREAM.MSG.GET.{stream}"),
            format!("$KV.{bucket}.>"),
        ];
        let subscribe = [
            format!("{p}.srv.>"),
            format!("{p}.global.>"),
            format!("{p}.node.{n}.srv.>"),
            format!("{p}.mon.>"),
            format!("{p}.who.>"),
            format!("{p}.pg.>"),
            format!("{p}.node.*.hb"),
            format!("{p}.node.*.ctl.{n}.>"),
            format!("{p}.node.{n}.sys"),
            format!("_GS_INBOX.{p}.{n}.>"),
            format!("_INBOX.{p}.{n}.>"),
            "$SRV.*".to_owned(),
            format!("$SRV.*.{service}"),
            format!("$SRV.*.{service}.*"),
        ];
        let list = |subjects: &[String]| {
            subjects
                .iter()
                .map(|subject| format!("\"{subject}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{{ publish: {{ allow: [{}] }}, subscribe: {{ allow: [{}] }}, allow_responses: true }}",
            list(&publish),
            list(&subscribe)
        )
    }
}
