#![deny(warnings)]
#![allow(dead_code, non_camel_case_types, clippy::all)]
//! Generated code names everything by absolute path: a crate that shadows
//! the prelude and std's module names still compiles.

struct Result;
struct Ok;
struct Err;
struct Option;
struct Some;
struct None;
struct Box;
struct String;
struct Vec;
struct Send;
struct Sync;
struct Clone;
struct Future;
struct Debug;
mod core {}
mod std {}
mod tokio {}
mod tracing {}

use genserver_core::{call, cast, gen_server, Info};

pub struct Shadowed {
    hits: u64,
}

#[gen_server]
impl Shadowed {
    fn init(start: u64) -> ::std::result::Result<Self, ::std::string::String> {
        ::std::result::Result::Ok(Shadowed { hits: start })
    }

    #[call]
    pub fn hits(&self) -> u64 {
        self.hits
    }

    #[cast]
    pub fn hit(&mut self) {
        self.hits += 1;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {
    let runtime = ::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let server = Shadowed::start(1).await.unwrap();
        server.hit();
        assert_eq!(server.hits().await.unwrap(), 2);
    });
}
