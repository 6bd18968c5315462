#![deny(warnings)]
//! Attributes on handlers stay on the user's methods and do not upset the
//! generated code: `#[inline]`, `#[must_use]`, `#[allow]`, `#[deprecated]`,
//! `#[tracing::instrument]`.

use genserver_core::prelude::*;

pub struct Tagged {
    hits: u32,
}

#[gen_server]
impl Tagged {
    #[inline]
    #[call]
    pub fn inlined(&self) -> u32 {
        self.hits
    }

    #[must_use]
    #[call]
    pub fn must_use(&mut self) -> u32 {
        self.hits += 1;
        self.hits
    }

    #[must_use = "a cast result is unit, still fine"]
    #[cast]
    pub fn must_use_cast(&mut self) {
        self.hits += 10;
    }

    #[allow(clippy::needless_pass_by_value, unused_variables)]
    #[call]
    pub fn allowed(&self, unused: Vec<u8>) -> u32 {
        self.hits
    }

    #[deprecated = "use `inlined`"]
    #[call]
    pub fn old(&self) -> u32 {
        self.hits
    }

    #[tracing::instrument(skip(self))]
    #[call]
    pub async fn instrumented(&mut self, by: u32) -> u32 {
        self.hits += by;
        self.hits
    }

    #[tracing::instrument(skip(self))]
    #[cast]
    pub fn instrumented_cast(&mut self) {
        self.hits += 100;
    }

    #[inline(always)]
    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let tagged = Tagged::start(Tagged { hits: 0 }).await.unwrap();
    assert_eq!(tagged.must_use().await.unwrap(), 1);
    tagged.must_use_cast();
    assert_eq!(tagged.inlined().await.unwrap(), 11);
    assert_eq!(tagged.allowed(vec![]).await.unwrap(), 11);
    #[allow(deprecated)]
    let old = tagged.old().await.unwrap();
    assert_eq!(old, 11);
    assert_eq!(tagged.instrumented(2).await.unwrap(), 13);
    tagged.instrumented_cast();
    assert_eq!(tagged.inlined().await.unwrap(), 113);
}
