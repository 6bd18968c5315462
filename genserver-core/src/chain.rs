//! [`Chain`]: an error and its sources on one line, `a: b: c`, as a log
//! line or a summary shows them. Every error here says only its own layer
//! in `Display` and hands the cause on through `source()`, so printing one
//! with `{}` alone would lose the cause. A leaf: it knows nothing of
//! servers.

use std::error::Error;
use std::fmt;

/// Shows an error and every source below it: `child "db" failed to start:
/// init failed: connection refused`.
pub(crate) struct Chain<'a>(pub(crate) &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}
