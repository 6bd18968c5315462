//! A local server that monitors remote ones and hands every `Down` it
//! receives to the test, with the time it arrived.

use std::time::Instant;

use genserver_core::prelude::*;
use genserver_nats::Node;
use tokio::sync::mpsc;

/// A `Down` as the watcher received it.
#[derive(Debug)]
pub struct Down {
    pub monitor: MonitorRef,
    pub reason: ExitReason,
    pub at: Instant,
}

/// Monitors remote servers through `node`; sends each `Down` on `downs`.
pub struct Watcher {
    pub node: Node,
    pub downs: mpsc::UnboundedSender<Down>,
}

#[gen_server]
impl Watcher {
    /// Monitors the server `node` serves under `name`.
    #[call]
    pub fn watch(&mut self, name: String, ctx: &mut Context<Self>) -> Option<MonitorRef> {
        self.node.monitor(&name, ctx.server()).ok()
    }

    #[call]
    pub fn unwatch(&mut self, monitor: MonitorRef) -> bool {
        self.node.demonitor(monitor)
    }

    fn handle_info(&mut self, msg: Info<()>) {
        if let Info::Down {
            monitor, reason, ..
        } = msg
        {
            let _ = self.downs.send(Down {
                monitor,
                reason,
                at: Instant::now(),
            });
        }
    }
}

/// A watcher on `node`, and where its `Down`s arrive.
pub async fn start(node: &Node) -> (Server<Watcher>, mpsc::UnboundedReceiver<Down>) {
    let (downs, rx) = mpsc::unbounded_channel();
    let watcher = Watcher::start(Watcher {
        node: node.clone(),
        downs,
    })
    .await
    .expect("the watcher starts");
    (watcher, rx)
}
