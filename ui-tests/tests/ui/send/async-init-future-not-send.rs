use genserver_core::prelude::*;
use std::rc::Rc;
use std::time::Duration;

pub struct Warm {
    value: u64,
}

#[gen_server]
impl Warm {
    async fn init(value: u64) -> Result<Self, String> {
        let seed = Rc::new(value);
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(Warm { value: *seed })
    }

    fn handle_info(&mut self, _msg: Info<()>) {
        let _ = self.value;
    }
}

fn main() {}
