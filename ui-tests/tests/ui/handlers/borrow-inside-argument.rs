use genserver_core::prelude::*;

pub struct Index {
    words: Vec<String>,
}

#[gen_server]
impl Index {
    #[cast]
    pub fn add(&mut self, words: Vec<&str>) {
        self.words.extend(words.iter().map(|w| w.to_string()));
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
