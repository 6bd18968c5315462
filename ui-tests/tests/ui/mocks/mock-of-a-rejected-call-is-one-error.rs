//! A call rejected for a borrowed argument: the mock still has its
//! `on_..`, so a test using it sees the handler's error only.
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

    #[call]
    pub fn len(&self) -> usize {
        self.words.len()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let dictionary = Dictionary::start(Dictionary { words: Vec::new() }).await.unwrap();
    let found: bool = dictionary.contains("otp").await.unwrap();
    assert!(!found);
    let mock = DictionaryMock::start();
    mock.on_contains(|word| word == "otp").on_len(|| 1);
    assert_eq!(mock.server().len().await.unwrap(), 1);
}
