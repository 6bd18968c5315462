//! `Named::whereis` would hide a handler named `whereis`: `by_name.whereis()`
//! would call the built-in, silently.
use genserver_core::prelude::*;
use genserver_core::Named;

pub struct Directory {
    entries: Vec<String>,
}

#[gen_server]
impl Directory {
    #[call]
    pub fn whereis(&self, entry: String) -> Option<usize> {
        self.entries.iter().position(|e| *e == entry)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let directory = Directory::start(Directory { entries: Vec::new() }).name("dir").await.unwrap();
    let by_name: Named<Directory> = Named::new("dir");
    let _ = by_name.whereis();
    let _ = directory.id();
}
