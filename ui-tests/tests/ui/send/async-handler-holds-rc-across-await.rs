use genserver_core::prelude::*;
use std::rc::Rc;
use std::time::Duration;

pub struct Slow {
    value: u64,
}

#[gen_server]
impl Slow {
    #[call]
    pub async fn value_later(&self) -> u64 {
        let cached = Rc::new(self.value);
        tokio::time::sleep(Duration::from_millis(1)).await;
        *cached
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
