mod server {
    use genserver_core::prelude::*;

    pub struct Counter {
        value: i64,
    }

    #[gen_server]
    impl Counter {
        #[call]
        pub fn value(&self) -> i64 {
            self.value
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }
}

use genserver_core::GenServer;

type Message = <server::Counter as GenServer>::Message;

/// Any value at all, as far as the type checker knows.
fn forge<T>() -> T {
    unimplemented!()
}

fn main() {
    // The message type's one field is private: it cannot be built here,
    // even by naming it through the trait.
    let _message = Message { 0: forge() };
}
