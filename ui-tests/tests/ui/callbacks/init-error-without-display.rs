use genserver_core::prelude::*;

#[derive(Debug)]
pub struct Refused;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn init(value: i64) -> Result<Self, Refused> {
        if value < 0 {
            return Err(Refused);
        }
        Ok(Counter { value })
    }

    fn handle_info(&mut self, _msg: Info<()>) {
        let _ = self.value;
    }
}

#[tokio::main]
async fn main() {
    let _ = Counter::start(1).await;
}
