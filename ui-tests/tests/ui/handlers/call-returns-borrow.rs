use genserver_core::prelude::*;

pub struct Greeter {
    name: String,
}

#[gen_server]
impl Greeter {
    #[call]
    pub fn name(&self) -> &str {
        &self.name
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
