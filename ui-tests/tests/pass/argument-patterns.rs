#![deny(warnings)]
//! Any irrefutable pattern may bind a handler's or `init`'s argument.

use genserver_core::prelude::*;

pub struct Point {
    pub x: i32,
    pub y: i32,
}

pub struct Plotter {
    points: Vec<(i32, i32)>,
}

#[gen_server]
impl Plotter {
    fn init((a, b): (i32, i32), mut extra: Vec<(i32, i32)>) -> Result<Self, String> {
        extra.insert(0, (a, b));
        Ok(Plotter { points: extra })
    }

    #[cast]
    pub fn pair(&mut self, (a, b): (u8, u8)) {
        self.points.push((a.into(), b.into()));
    }

    #[cast]
    pub fn point(&mut self, Point { x, y }: Point) {
        self.points.push((x, y));
    }

    #[call]
    pub fn shifted(&mut self, mut by: i32, _: u8, _unused: u8, arg0: i32) -> usize {
        by += arg0;
        for p in &mut self.points {
            p.0 += by;
        }
        self.points.len()
    }

    #[call]
    pub fn nested(&self, (first, [second, third]): (i32, [i32; 2]), ref kept: String) -> i32 {
        first + second + third + kept.len() as i32
    }

    /// `_x` would be read as `x`, which is taken: both still work.
    #[call]
    pub fn underscored(&self, _x: i32, x: i32) -> i32 {
        x
    }

    #[call]
    pub fn points(&self) -> Vec<(i32, i32)> {
        self.points.clone()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let plotter = Plotter::start((1, 2), vec![(3, 4)]).await.unwrap();
    plotter.pair((5, 6));
    plotter.point(Point { x: 7, y: 8 });
    assert_eq!(plotter.shifted(1, 0, 0, 9).await.unwrap(), 4);
    assert_eq!(
        plotter.points().await.unwrap(),
        [(11, 2), (13, 4), (15, 6), (17, 8)]
    );
    assert_eq!(plotter.nested((1, [2, 3]), "abcd".into()).await.unwrap(), 10);
    assert_eq!(plotter.underscored(1, 2).await.unwrap(), 2);
}
