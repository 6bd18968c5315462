#![deny(warnings)]
use genserver_core::prelude::*;

/// Holds a token that inspection and crash reports must not show.
pub struct Session {
    user: String,
    token: String,
}

#[gen_server]
impl Session {
    #[call]
    pub fn user(&self) -> String {
        self.user.clone()
    }

    /// What `sys().status()` and crash reports show instead of `Debug`.
    fn format_status(&self) -> String {
        format!("Session of {} (token: {} bytes)", self.user, self.token.len())
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let session = Session::start(Session {
        user: "ada".into(),
        token: "s3cret".into(),
    })
    .await
    .unwrap();
    assert_eq!(session.user().await.unwrap(), "ada");
    let status = session.sys().status().await.unwrap();
    assert_eq!(status.state.as_deref(), Some("Session of ada (token: 6 bytes)"));
}
