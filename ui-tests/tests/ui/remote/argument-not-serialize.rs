use genserver_core::prelude::*;

pub struct Point {
    pub x: i32,
}

pub struct Plotter;

#[gen_server(remote)]
impl Plotter {
    #[call]
    pub fn plot(&mut self, point: Point) -> i32 {
        point.x
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
