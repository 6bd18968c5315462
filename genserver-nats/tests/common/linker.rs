//! A local server that links to remote ones and hands every exit signal
//! it traps to the test, with the time it arrived.

use std::time::Instant;

use genserver_core::ServerId;
use genserver_core::prelude::*;
use genserver_nats::{Node, RemoteLink};
use tokio::sync::mpsc;

/// An exit signal as the linker received it (`Info::Exit`).
#[derive(Debug)]
pub struct Exit {
    pub from: ServerId,
    pub reason: ExitReason,
    pub at: Instant,
}

/// Links to remote servers through `node`; traps exits when told to, and
/// sends each on `exits`.
pub struct Linker {
    pub node: Node,
    pub exits: mpsc::UnboundedSender<Exit>,
}

#[gen_server]
impl Linker {
    fn init(
        node: Node,
        trap: bool,
        exits: mpsc::UnboundedSender<Exit>,
        ctx: &mut Context<Self>,
    ) -> Result<Self, String> {
        ctx.trap_exit(trap);
        Ok(Linker { node, exits })
    }

    /// Links to the server `node` serves under `name`.
    #[call]
    pub fn link(&mut self, name: String, ctx: &mut Context<Self>) -> Option<RemoteLink> {
        self.node.link(&name, ctx.server()).ok()
    }

    #[call]
    pub fn unlink(&mut self, link: RemoteLink) -> bool {
        self.node.unlink(link)
    }

    /// Panics: the linker exits with `Panic("linker boom")`.
    #[call]
    pub fn crash(&self) -> u8 {
        panic!("linker boom")
    }

    fn handle_info(&mut self, msg: Info<()>) {
        if let Info::Exit { from, reason } = msg {
            let _ = self.exits.send(Exit {
                from,
                reason,
                at: Instant::now(),
            });
        }
    }
}

/// A linker on `node`, trapping exits or not, and where its exits arrive.
pub async fn start(node: &Node, trap: bool) -> (Server<Linker>, mpsc::UnboundedReceiver<Exit>) {
    let (exits, rx) = mpsc::unbounded_channel();
    let linker = Linker::start(node.clone(), trap, exits)
        .await
        .expect("the linker starts");
    (linker, rx)
}
