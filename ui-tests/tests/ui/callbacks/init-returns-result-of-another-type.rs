use genserver_core::prelude::*;

pub struct Config {
    port: u16,
}

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn init(port: u16) -> Result<Config, String> {
        Ok(Config { port })
    }

    fn handle_info(&mut self, _msg: Info<()>) {
        let _ = self.value;
    }
}

fn main() {}
