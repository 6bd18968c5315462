use genserver_core::prelude::*;

pub struct Borrowing<'a> {
    name: &'a str,
}

#[gen_server]
impl<'a> Borrowing<'a> {
    #[call]
    fn name(&self) -> String {
        self.name.to_string()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
