//! [`recent_crashes`]: the program's latest crash reports.

pub use crate::server::crashes::{CRASHES_KEPT, CrashReport};

/// The latest crash reports of the program (at most [`CRASHES_KEPT`], the
/// latest last), as they were logged: which server, which handler, why,
/// where, its state through `format_status`, and when. Kept only when a
/// server crashes (an abnormal exit: a panic, or a stop with an abnormal
/// reason).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::sys;
///
/// #[derive(Debug)]
/// pub struct Fragile {
///     attempts: u32,
/// }
///
/// #[gen_server]
/// impl Fragile {
///     #[cast]
///     pub fn break_down(&mut self) {
///         self.attempts += 1;
///         panic!("worn out");
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fragile = Fragile::start(Fragile { attempts: 0 }).await?;
/// fragile.break_down();
/// fragile.exited().await;
/// let crash = sys::recent_crashes().into_iter().rfind(|c| c.id == fragile.id()).unwrap();
/// assert_eq!(crash.handler, "break_down");
/// assert_eq!(crash.reason, ExitReason::Panic("worn out".into()));
/// assert_eq!(crash.state.as_deref(), Some("Fragile { attempts: 1 }"));
/// # Ok(())
/// # }
/// ```
pub fn recent_crashes() -> Vec<CrashReport> {
    crate::server::crashes::recent()
}
