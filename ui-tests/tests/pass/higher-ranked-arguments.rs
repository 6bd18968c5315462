#![deny(warnings)]
//! A reference inside a closure's or a function pointer's signature, or
//! under `for<'a>`, is higher-ranked: the function is given the borrow when
//! it is called and holds none, so it travels to the server in a message.

use genserver_core::prelude::*;

pub struct Bytes {
    bytes: Vec<u8>,
}

pub trait Visit<T> {
    fn visit(&self, item: T) -> u64;
}

/// Sums what it is shown.
pub struct Sum;

impl<'a> Visit<&'a u8> for Sum {
    fn visit(&self, item: &'a u8) -> u64 {
        u64::from(*item)
    }
}

#[gen_server]
impl Bytes {
    fn init(bytes: Vec<u8>) -> Result<Self, String> {
        Ok(Bytes { bytes })
    }

    /// Changes every byte in place.
    #[cast]
    pub fn each(&mut self, f: Box<dyn Fn(&mut u8) + Send>) {
        self.bytes.iter_mut().for_each(|b| f(b));
    }

    /// Folds the bytes with a closure that borrows each one and the running total.
    #[call]
    pub fn fold(&self, mut f: Box<dyn FnMut(&u64, &u8) -> u64 + Send>) -> u64 {
        self.bytes.iter().fold(0, |total, b| f(&total, b))
    }

    /// A plain function pointer over a borrowed slice.
    #[call]
    pub fn measure(&self, f: fn(&[u8]) -> usize) -> usize {
        f(&self.bytes)
    }

    /// Picks a byte through a closure that returns a borrow of its argument.
    #[call]
    pub fn pick(&self, f: Box<dyn for<'a> Fn(&'a [u8]) -> Option<&'a u8> + Send>) -> Option<u8> {
        f(&self.bytes).copied()
    }

    /// A trait object whose trait is itself higher-ranked.
    #[call]
    pub fn visit(&self, visitor: Box<dyn for<'a> Visit<&'a u8> + Send>) -> u64 {
        self.bytes.iter().map(|b| visitor.visit(b)).sum()
    }

    /// `&'static` data lives as long as the server.
    #[call]
    pub fn starts_with(&self, prefix: &'static [u8]) -> bool {
        self.bytes.starts_with(prefix)
    }

    #[call]
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = Bytes::start(vec![1, 2, 3]).await.unwrap();
    server.each(Box::new(|b: &mut u8| *b *= 10));
    assert_eq!(server.bytes().await.unwrap(), [10, 20, 30]);
    let doubled_sum = server
        .fold(Box::new(|total: &u64, b: &u8| total + 2 * u64::from(*b)))
        .await
        .unwrap();
    assert_eq!(doubled_sum, 120);
    assert_eq!(server.measure(<[u8]>::len).await.unwrap(), 3);
    assert_eq!(server.pick(Box::new(|bytes| bytes.last())).await.unwrap(), Some(30));
    assert_eq!(server.visit(Box::new(Sum)).await.unwrap(), 60);
    assert!(server.starts_with(&[10, 20]).await.unwrap());
    server.try_each(Box::new(|b: &mut u8| *b += 1)).unwrap();
    server.each_wait(Box::new(|b: &mut u8| *b += 1)).await.unwrap();
    assert_eq!(server.bytes().await.unwrap(), [12, 22, 32]);
}
