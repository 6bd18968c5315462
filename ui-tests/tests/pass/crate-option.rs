#![deny(warnings)]
//! `crate = path` for when genserver_core is reached under another name.

mod reexport {
    pub use genserver_core as gs;
}

use reexport::gs::{call, gen_server, Info};

pub struct Renamed;

#[gen_server(crate = crate::reexport::gs)]
impl Renamed {
    #[call]
    pub fn answer(&self) -> u8 {
        42
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = Renamed::start(Renamed).await.unwrap();
    assert_eq!(server.answer().await.unwrap(), 42);
}
