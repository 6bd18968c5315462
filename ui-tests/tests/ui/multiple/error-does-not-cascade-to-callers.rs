use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast]
    fn reset(&mut self) -> i64 {
        std::mem::take(&mut self.value)
    }

    #[call]
    fn value(&self, ctx: &mut Context<Self>) -> i64 {
        let _ = ctx.id();
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let server: Server<Counter> = Counter::start(Counter { value: 1 }).await.unwrap();
    let _ = server.value().await;
}
