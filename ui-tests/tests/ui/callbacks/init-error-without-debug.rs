use genserver_core::prelude::*;

pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}

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
