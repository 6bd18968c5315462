use genserver_core::prelude::*;

pub struct Switch {
    on: bool,
}

#[gen_server]
impl Switch {
    #[cast]
    pub fn r#stop(&mut self) {
        self.on = false;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
