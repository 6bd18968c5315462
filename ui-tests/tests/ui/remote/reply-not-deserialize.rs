use genserver_core::prelude::*;

#[derive(serde::Serialize)]
pub struct Snapshot {
    pub x: i32,
}

pub struct Plotter;

#[gen_server(remote)]
impl Plotter {
    #[call]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { x: 1 }
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
