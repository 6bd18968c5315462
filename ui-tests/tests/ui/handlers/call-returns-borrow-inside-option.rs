use genserver_core::prelude::*;

pub struct Users {
    names: Vec<String>,
}

#[gen_server]
impl Users {
    #[call]
    pub fn first(&self) -> Option<&String> {
        self.names.first()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
