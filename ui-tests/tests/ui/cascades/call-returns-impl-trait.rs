//! A call rejected for returning `impl Trait`: its client method replies
//! with a boxed one, so the caller's use of the reply still type-checks.
use genserver_core::prelude::*;

pub struct Numbers {
    items: Vec<u32>,
}

#[gen_server]
impl Numbers {
    #[call]
    pub fn evens(&self) -> impl Iterator<Item = u32> + Send {
        self.items.clone().into_iter().filter(|n| n % 2 == 0)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let numbers = Numbers::start(Numbers { items: vec![1, 2, 3, 4] }).await.unwrap();
    let total: u32 = numbers.evens().await.unwrap().sum();
    assert_eq!(total, 6);
}
