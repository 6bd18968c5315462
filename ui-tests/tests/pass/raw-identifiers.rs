#![deny(warnings)]
//! Raw identifiers name handlers, arguments and `init`'s arguments.

use genserver_core::prelude::*;

pub struct Lexer {
    last: String,
}

#[gen_server]
impl Lexer {
    fn init(r#type: String) -> Result<Self, String> {
        Ok(Lexer { last: r#type })
    }

    #[call]
    pub fn r#type(&self) -> String {
        self.last.clone()
    }

    #[cast]
    pub fn r#match(&mut self, r#in: String, r#fn: u8) {
        self.last = format!("{in}{fn}", in = r#in, fn = r#fn);
    }

    /// `type_` and `r#type` would make the same variant name.
    #[call]
    pub fn type_(&self) -> usize {
        self.last.len()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let lexer = Lexer::start("fn".to_string()).await.unwrap();
    assert_eq!(lexer.r#type().await.unwrap(), "fn");
    lexer.r#match("in".to_string(), 7);
    assert_eq!(lexer.r#type().await.unwrap(), "in7");
    assert_eq!(lexer.type_().await.unwrap(), 3);
}
