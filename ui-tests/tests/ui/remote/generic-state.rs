use genserver_core::prelude::*;

pub struct Cache<V> {
    value: Option<V>,
}

#[gen_server(remote)]
impl<V: Clone + Send + 'static> Cache<V> {
    #[call]
    pub fn get(&self) -> Option<V> {
        self.value.clone()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
