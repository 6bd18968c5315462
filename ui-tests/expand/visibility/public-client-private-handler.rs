#![deny(warnings)]
//! `#[call(pub)]`: the handler stays private to the impl block's module;
//! its client method is public.

mod bank {
    use genserver_core::prelude::*;

    pub struct Account {
        balance: u64,
    }

    #[allow(clippy::new_without_default)]
    impl Account {
        pub fn new() -> Self {
            Account { balance: 0 }
        }
    }

    #[gen_server]
    impl Account {
        /// The balance. Callable from anywhere through the client.
        #[call(pub)]
        fn balance(&self) -> u64 {
            self.balance
        }

        /// Adds to the balance.
        #[cast(pub(crate))]
        fn deposit(&mut self, amount: u64) {
            self.balance += amount;
        }

        /// No option: the client method is as private as the handler.
        #[call]
        fn audit(&self) -> bool {
            true
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }

    pub async fn audited(account: &Server<Account>) -> bool {
        account.audit().await.unwrap()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let account = bank::Account::start(bank::Account::new()).await.unwrap();
    account.deposit(5);
    assert_eq!(account.balance().await.unwrap(), 5);
    assert!(bank::audited(&account).await);
}
