//! A call rejected for a borrowed argument: its client method still
//! exists with the parameters as written, and the other handlers work.
use genserver_core::prelude::*;

pub struct Dictionary {
    words: Vec<String>,
}

#[gen_server]
impl Dictionary {
    #[call]
    pub fn contains(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }

    #[cast]
    pub fn add(&mut self, word: String) {
        self.words.push(word);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let dictionary = Dictionary::start(Dictionary { words: Vec::new() }).await.unwrap();
    dictionary.add("otp".to_string());
    let found: bool = dictionary.contains("otp").await.unwrap();
    assert!(found);
}
