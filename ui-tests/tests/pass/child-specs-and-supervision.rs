#![deny(warnings)]
//! `child_spec` is generated for every server; its `Clone` requirement on
//! the init arguments only applies where it is called.
use genserver_core::prelude::*;
use genserver_core::{Strategy, Supervisor, SupervisorSpec};

/// Not `Clone`: fine, as long as `Client::child_spec` is never called.
pub struct Connection;

pub struct Client {
    _connection: Connection,
}

#[gen_server]
impl Client {
    fn init(connection: Connection) -> Result<Self, String> {
        Ok(Client { _connection: connection })
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn init(start: i64, label: String) -> Result<Self, String> {
        let _ = label;
        Ok(Counter { value: start })
    }

    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _client = Client::start(Connection).await.unwrap();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(Counter::child_spec(5, "five".into()));
    let sup = Supervisor::start(spec).await.unwrap();
    let counter: Server<Counter> = sup.which_children().await.unwrap()[0]
        .server
        .clone()
        .unwrap()
        .downcast()
        .unwrap();
    assert_eq!(counter.value().await.unwrap(), 5);
    sup.stop(ExitReason::Shutdown).await.unwrap();
}
