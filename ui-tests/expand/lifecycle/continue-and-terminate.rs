#![deny(warnings)]
use genserver_core::prelude::*;

pub struct Loader {
    rows: Vec<u32>,
}

#[derive(Debug)]
pub enum LoadError {
    Empty,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("nothing to load")
    }
}

#[derive(Debug)]
pub struct Reload;

#[gen_server(info = Reload)]
impl Loader {
    /// Returns at once; the rows load in `handle_continue`, before any call.
    fn init(count: u32, ctx: &mut Context<Self>) -> Result<Option<Self>, LoadError> {
        if count == 0 {
            return Err(LoadError::Empty);
        }
        ctx.continue_with(count);
        Ok(Some(Loader { rows: Vec::new() }))
    }

    #[call]
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    fn handle_continue(&mut self, count: u32, _ctx: &mut Context<Self>) {
        self.rows.extend(0..count);
    }

    fn handle_info(&mut self, msg: Info<Reload>, ctx: &mut Context<Self>) {
        if let Info::Message(Reload) = msg {
            ctx.continue_with(1);
        }
    }

    fn terminate(&mut self, reason: &ExitReason) {
        tracing::info!(%reason, rows = self.rows.len(), "loader stopped");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let loader = Loader::start(3).await.unwrap();
    assert_eq!(loader.rows().await.unwrap(), 3);
    loader.send(Reload);
    assert_eq!(loader.rows().await.unwrap(), 4);
    assert!(Loader::start(0).await.is_err());
}
