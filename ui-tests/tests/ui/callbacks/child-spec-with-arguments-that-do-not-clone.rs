use genserver_core::prelude::*;

/// Not `Clone`: a supervisor could not restart the server with it.
pub struct Connection;

pub struct Client {
    _connection: Connection,
}

#[gen_server]
impl Client {
    fn init(connection: Connection) -> Result<Self, String> {
        Ok(Client { _connection: connection })
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {
    let _spec = Client::child_spec(Connection);
}
