//! `init` rejected: `start` and `child_spec` still take its arguments, so
//! `main` has nothing more to report than the one mistake.
use genserver_core::prelude::*;
use genserver_core::{Strategy, Supervisor, SupervisorSpec};

pub struct Store {
    limit: u64,
}

#[gen_server]
impl Store {
    fn init(start: u64) -> Self {
        Store { limit: start }
    }

    #[call]
    pub fn limit(&self) -> u64 {
        self.limit
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let store: Server<Store> = Store::start(10).await.unwrap();
    let _: u64 = store.limit().await.unwrap();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(Store::child_spec(10));
    let _ = Supervisor::start(spec).await;
}
