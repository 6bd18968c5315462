use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn get(&self) -> i64 {
        self.value
    }

    async fn format_status(&self) -> String {
        format!("counter at {}", self.value)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    let _ = counter.get().await;
}
