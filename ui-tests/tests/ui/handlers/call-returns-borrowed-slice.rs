use genserver_core::prelude::*;

pub struct Buffer {
    bytes: Vec<u8>,
}

#[gen_server]
impl Buffer {
    #[call]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
