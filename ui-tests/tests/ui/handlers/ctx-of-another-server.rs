use genserver_core::prelude::*;

pub struct Other;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn value(&self, ctx: &mut Context<Other>) -> i64 {
        let _ = ctx;
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
