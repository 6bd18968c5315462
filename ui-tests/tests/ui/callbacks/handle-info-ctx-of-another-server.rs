use genserver_core::prelude::*;

pub struct Other;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn handle_info(&mut self, _msg: Info<()>, ctx: &mut Context<Other>) {
        let _ = (ctx, self.value);
    }
}

fn main() {}
