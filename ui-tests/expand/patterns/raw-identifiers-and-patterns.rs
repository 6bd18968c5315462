#![deny(warnings)]
use genserver_core::prelude::*;

pub struct Grid {
    cells: Vec<(u8, u8)>,
}

#[gen_server]
impl Grid {
    fn init((w, h): (u8, u8)) -> Result<Self, String> {
        Ok(Grid { cells: vec![(w, h)] })
    }

    #[cast]
    pub fn r#move(&mut self, (x, y): (u8, u8), _: bool) {
        self.cells.push((x, y));
    }

    #[call]
    pub fn r#type(&self, mut r#in: usize) -> usize {
        r#in += self.cells.len();
        r#in
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let grid = Grid::start((2, 2)).await.unwrap();
    grid.r#move((1, 1), true);
    assert_eq!(grid.r#type(1).await.unwrap(), 3);
}
