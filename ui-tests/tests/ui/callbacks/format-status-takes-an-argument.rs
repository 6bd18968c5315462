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

    fn format_status(&self, verbose: bool) -> String {
        if verbose {
            format!("counter at {}", self.value)
        } else {
            "counter".to_owned()
        }
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    let _ = counter.get().await;
}
