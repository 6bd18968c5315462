#![deny(warnings)]
//! Private argument types, a server with no handlers at all, and a
//! generic one with none either: no lint fires in the user's crate.
use genserver_core::prelude::*;

struct Secret(u8);

pub struct Vault {
    secret: u8,
}

#[gen_server]
impl Vault {
    #[cast]
    fn store(&mut self, secret: Secret) {
        self.secret = secret.0;
    }

    #[call]
    fn peek(&self) -> u8 {
        self.secret
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

pub struct Silent;

#[gen_server]
impl Silent {
    fn handle_info(&mut self, _msg: Info<()>) {}
}

pub struct Phantom<T>(std::marker::PhantomData<T>);

#[gen_server]
impl<T: Send + 'static> Phantom<T> {
    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let vault = Vault::start(Vault { secret: 0 }).await.unwrap();
    vault.store(Secret(9));
    assert_eq!(vault.peek().await.unwrap(), 9);
    let silent = Silent::start(Silent).await.unwrap();
    silent.stop(ExitReason::Normal).await.unwrap();
    let phantom = Phantom::<u8>::start(Phantom(std::marker::PhantomData)).await.unwrap();
    assert!(phantom.is_alive());
}
