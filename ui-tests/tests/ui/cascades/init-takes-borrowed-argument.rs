//! `init` rejected for a borrowed argument: `start` still takes it as
//! written, so the caller's `&str` is no second error.
use genserver_core::prelude::*;

pub struct Greeter {
    name: String,
}

#[gen_server]
impl Greeter {
    fn init(name: &str) -> Result<Self, String> {
        Ok(Greeter { name: name.to_string() })
    }

    #[call]
    pub fn greet(&self) -> String {
        format!("hello {}", self.name)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let greeter = Greeter::start("world").await.unwrap();
    let _: String = greeter.greet().await.unwrap();
}
