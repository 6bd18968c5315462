#![deny(warnings)]
//! Enum and tuple-struct states, restricted visibility, associated consts
//! and helpers in the block, and a server defined inside a function body.

use genserver_core::prelude::*;

pub enum Light {
    Red,
    Green,
}

#[gen_server]
impl Light {
    const CYCLE: u32 = 2;

    fn next(&self) -> Light {
        match self {
            Light::Red => Light::Green,
            Light::Green => Light::Red,
        }
    }

    #[cast]
    pub(crate) fn switch(&mut self) {
        *self = self.next();
    }

    #[call]
    pub(crate) fn is_green(&self) -> bool {
        matches!(self, Light::Green)
    }

    #[call]
    pub(crate) fn cycle(&self) -> u32 {
        Self::CYCLE
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

pub struct Meters(f64);

mod inner {
    use super::Meters;
    use genserver_core::prelude::*;

    #[gen_server]
    impl Meters {
        #[call]
        pub(super) fn get(&self) -> f64 {
            self.0
        }

        #[call]
        pub(in crate::inner) fn hidden(&self) -> f64 {
            self.0
        }

        #[cast]
        pub fn add(&mut self, by: f64) {
            self.0 += self.twice(by) / 2.0;
        }

        fn twice(&self, x: f64) -> f64 {
            x * 2.0
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }

    pub(crate) async fn hidden_from_inside(server: &Server<Meters>) -> f64 {
        server.hidden().await.unwrap()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let light = Light::start(Light::Red).await.unwrap();
    light.switch();
    assert!(light.is_green().await.unwrap());
    assert_eq!(light.cycle().await.unwrap(), 2);

    let meters = Meters::start(Meters(1.0)).await.unwrap();
    meters.add(2.0);
    assert_eq!(meters.get().await.unwrap(), 3.0);
    assert_eq!(inner::hidden_from_inside(&meters).await, 3.0);

    struct Local {
        n: u8,
    }

    #[gen_server]
    impl Local {
        #[call]
        fn n(&self) -> u8 {
            self.n
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }

    let local = Local::start(Local { n: 4 }).await.unwrap();
    assert_eq!(local.n().await.unwrap(), 4);
}
