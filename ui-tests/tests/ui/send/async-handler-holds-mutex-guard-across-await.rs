use genserver_core::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Shared {
    data: Arc<Mutex<Vec<u8>>>,
}

#[gen_server]
impl Shared {
    #[cast]
    pub async fn push_later(&mut self, byte: u8) {
        let mut data = self.data.lock().unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        data.push(byte);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
