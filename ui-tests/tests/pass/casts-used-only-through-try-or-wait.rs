// trybuild allows `dead_code` on the command line: deny it here.
#![deny(warnings, dead_code)]
//! A private cast used only through `try_x` or `x_wait` leaves no "never
//! used" warning for the client methods it is not used through.

use genserver_core::prelude::*;

pub struct Jobs {
    done: u32,
}

#[gen_server]
impl Jobs {
    /// Used through `try_run` and `run_wait` only.
    #[cast]
    fn run(&mut self) {
        self.done += 1;
    }

    /// Used through `skip_wait` only.
    #[cast]
    fn skip(&mut self, by: u32) {
        self.done += by;
    }

    /// Used through `try_pause` only.
    #[cast]
    fn pause(&mut self) {}

    #[call]
    fn done(&self) -> u32 {
        self.done
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let jobs = Jobs::start(Jobs { done: 0 }).await.unwrap();
    jobs.try_run().unwrap();
    jobs.run_wait().await.unwrap();
    jobs.skip_wait(10).await.unwrap();
    jobs.try_pause().unwrap();
    assert_eq!(jobs.done().await.unwrap(), 12);
}
