mod counter {
    use genserver_core::prelude::*;

    pub struct Counter {
        pub(crate) value: i64,
    }

    #[gen_server]
    impl Counter {
        /// Private: its client method is private to this module too.
        #[call]
        fn value(&self) -> i64 {
            self.value
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }
}

async fn read(server: genserver_core::Server<counter::Counter>) -> i64 {
    server.value().await.unwrap()
}

fn main() {
    let _ = read;
}
