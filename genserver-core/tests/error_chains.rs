//! Every error as a user reads it. Each error says only its own layer in
//! `Display` and hands its cause on through `source()`, so `{}` prints
//! one layer, and `anyhow`'s `{:#}` (or any error reporter) prints the
//! whole chain once, with no layer repeated.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use genserver_core::prelude::*;
use genserver_core::{
    Application, DynamicSupervisor, DynamicSupervisorSpec, Keys, PartitionSupervisor, Registry,
    Strategy, Supervisor, SupervisorSpec,
};
use genserver_core::{DynamicSupervisorError, ResizeError};
use std::error::Error;

pub struct Db;

#[gen_server]
impl Db {
    fn init(url: String) -> Result<Self, std::io::Error> {
        Err(std::io::Error::other(format!("cannot reach {url}")))
    }

    #[call]
    pub fn ping(&self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// `{:#}` of `anyhow::Error::from(error)`: what a user's `main` prints.
fn as_read(error: impl Error + Send + Sync + 'static) -> String {
    format!("{:#}", anyhow::Error::from(error))
}

/// No layer of the chain repeats the one below it.
fn each_layer_once(error: &(dyn Error + 'static)) {
    let mut layer = Some(error);
    while let Some(error) = layer {
        if let Some(below) = error.source() {
            let (here, there) = (error.to_string(), below.to_string());
            assert!(
                !here.contains(&there),
                "{here:?} repeats its source {there:?}"
            );
        }
        layer = error.source();
    }
}

#[tokio::test]
async fn start_error() {
    let error = Db::start("db:5432".into()).await.unwrap_err();
    each_layer_once(&error);
    assert_eq!(as_read(error), "init failed: cannot reach db:5432");
}

#[tokio::test]
async fn supervisor_start_child_and_the_child_start_error() {
    let sup = Supervisor::start(SupervisorSpec::new(Strategy::OneForOne))
        .await
        .unwrap();
    let error = sup
        .start_child(Db::child_spec("db:5432".into()))
        .await
        .unwrap_err();
    each_layer_once(&error);
    assert_eq!(
        as_read(error),
        "child \"Db\" failed to start: init failed: cannot reach db:5432"
    );
    sup.stop(ExitReason::Shutdown).await.unwrap();
    let gone = sup
        .start_child(Db::child_spec("db".into()))
        .await
        .unwrap_err();
    assert_eq!(
        as_read(gone),
        "the supervisor did not answer: no such server: it is not running"
    );
}

#[tokio::test]
async fn dynamic_supervisor_start_child() {
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    let error = sup
        .start_child(Db::child_spec("db:5432".into()))
        .await
        .unwrap_err();
    assert!(matches!(error, DynamicSupervisorError::StartChild(_)));
    each_layer_once(&error);
    assert_eq!(
        as_read(error),
        "the child failed to start: init failed: cannot reach db:5432"
    );
}

#[tokio::test]
async fn application_error() {
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(Db::child_spec("db:5432".into()));
    let error = Application::new("api", spec)
        .shutdown_on(std::future::pending())
        .start()
        .await
        .unwrap_err();
    each_layer_once(&error);
    assert_eq!(
        as_read(error),
        "the application did not start: child \"Db\" failed to start: init failed: cannot reach db:5432"
    );
}

#[tokio::test]
async fn get_or_start_error_and_a_handle_that_starts_on_a_miss() {
    let keys: Registry<String> = Registry::new(Keys::Unique);
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    let error = keys
        .get_or_start("k".into(), &sup, || Db::start("db:5432".into()))
        .await
        .unwrap_err();
    each_layer_once(&error);
    assert_eq!(
        as_read(error),
        "the server did not start: the child failed to start: init failed: cannot reach db:5432"
    );
    let db = keys.named_or_start("k".into(), &sup, || Db::start("db:5432".into()));
    let error = db.ping().await.unwrap_err();
    each_layer_once(&error);
    assert_eq!(
        as_read(error),
        "the server could not be started: the server did not start: the child failed to start: init failed: cannot reach db:5432"
    );
}

pub struct Part;

#[gen_server]
impl Part {
    fn init(index: usize) -> Result<Self, String> {
        if index >= 2 {
            return Err(format!("no slot for partition {index}"));
        }
        Ok(Part)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn resize_error() {
    let partitions = PartitionSupervisor::new(Part::start).with_partitions(2);
    let tree =
        Supervisor::start(SupervisorSpec::new(Strategy::OneForOne).child(partitions.child_spec()))
            .await
            .unwrap();
    let error = partitions.resize(3).await.unwrap_err();
    assert!(matches!(error, ResizeError::Supervisor(_)));
    each_layer_once(&error);
    assert_eq!(
        as_read(error),
        "the partitions' supervisor refused the resize: child \"partition-2\" failed to start: init failed: no slot for partition 2"
    );
    tree.stop(ExitReason::Shutdown).await.unwrap();
}
