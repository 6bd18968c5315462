//! [`DashboardOptions`]: what the dashboard lets its viewers do, and how
//! often the page refreshes.

use std::fmt;
use std::time::Duration;

/// The shortest refresh period the page accepts.
pub const MIN_REFRESH: Duration = Duration::from_millis(250);
/// The longest refresh period the page accepts.
pub const MAX_REFRESH: Duration = Duration::from_secs(3600);

/// How the dashboard is served: read-only by default, refreshed every
/// second.
///
/// ```
/// use std::time::Duration;
/// use genserver_dashboard::DashboardOptions;
///
/// # fn main() -> Result<(), genserver_dashboard::OptionsError> {
/// // Read-only, as by default, refreshed every 2 s.
/// let options = DashboardOptions::new().refresh(Duration::from_secs(2))?;
/// assert!(!options.actions_enabled());
///
/// // With the actions: suspend, resume, kill, trace.
/// let operators = DashboardOptions::new().enable_actions();
/// assert!(operators.actions_enabled());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardOptions {
    actions: bool,
    refresh: Duration,
    /// The node whose cluster the Nodes view shows (`nodes.rs`).
    #[cfg(feature = "nats")]
    pub(crate) node: Option<crate::nodes::ClusterNode>,
}

impl Default for DashboardOptions {
    fn default() -> Self {
        DashboardOptions {
            actions: false,
            refresh: Duration::from_secs(1),
            #[cfg(feature = "nats")]
            node: None,
        }
    }
}

impl DashboardOptions {
    /// Read-only, refreshed every second.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets the page's viewers act on servers: suspend, resume, kill, and
    /// trace (turn a server's trace on for its next messages, or off).
    /// Without this, the
    /// page shows no button for them and their endpoints answer
    /// `403 Forbidden`.
    ///
    /// Anyone who reaches the page can then kill your servers: put the
    /// router behind your own authentication (see the crate's docs,
    /// "Access").
    pub fn enable_actions(mut self) -> Self {
        self.actions = true;
        self
    }

    /// How often the page asks for fresh numbers; between
    /// [`MIN_REFRESH`] and [`MAX_REFRESH`]. One second by default.
    ///
    /// # Errors
    ///
    /// [`OptionsError::Refresh`] when `every` is out of that range.
    pub fn refresh(mut self, every: Duration) -> Result<Self, OptionsError> {
        if !(MIN_REFRESH..=MAX_REFRESH).contains(&every) {
            return Err(OptionsError::Refresh(every));
        }
        self.refresh = every;
        Ok(self)
    }

    /// Whether the actions are enabled.
    pub fn actions_enabled(&self) -> bool {
        self.actions
    }

    /// How often the page refreshes.
    pub fn refresh_period(&self) -> Duration {
        self.refresh
    }

    /// Whether the Nodes view has a node to read the cluster through
    /// (`DashboardOptions::node`, with the `nats` feature); never without
    /// that feature.
    ///
    /// ```
    /// use genserver_dashboard::DashboardOptions;
    ///
    /// // Without a node the Nodes view says it has none.
    /// assert!(!DashboardOptions::new().has_node());
    /// ```
    pub fn has_node(&self) -> bool {
        #[cfg(feature = "nats")]
        return self.node.is_some();
        #[cfg(not(feature = "nats"))]
        false
    }
}

/// A [`DashboardOptions`] value out of its range.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionsError {
    /// A refresh period shorter than [`MIN_REFRESH`] or longer than
    /// [`MAX_REFRESH`].
    Refresh(Duration),
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionsError::Refresh(every) => write!(
                f,
                "refresh period {every:?} out of range: between {MIN_REFRESH:?} and {MAX_REFRESH:?}"
            ),
        }
    }
}

impl std::error::Error for OptionsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_out_of_range_is_a_typed_error() {
        let short = Duration::from_millis(10);
        assert_eq!(
            DashboardOptions::new().refresh(short),
            Err(OptionsError::Refresh(short))
        );
        let long = Duration::from_secs(7200);
        assert_eq!(
            DashboardOptions::new().refresh(long),
            Err(OptionsError::Refresh(long))
        );
        let error = OptionsError::Refresh(short).to_string();
        assert!(error.contains("250ms") && error.contains("10ms"), "{error}");
        let fine = DashboardOptions::new()
            .refresh(Duration::from_secs(5))
            .unwrap();
        assert_eq!(fine.refresh_period(), Duration::from_secs(5));
    }

    #[test]
    fn read_only_by_default() {
        assert!(!DashboardOptions::default().actions_enabled());
        assert!(DashboardOptions::new().enable_actions().actions_enabled());
    }
}
