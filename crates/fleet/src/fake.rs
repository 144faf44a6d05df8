//! In-memory stand-ins for the fleet's traits, for the tests of crates that use them.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{FleetError, ImageCatalog, Instance, InstanceSource, LogEvent, LogSource};

/// An [`ImageCatalog`] whose parameters the test sets, counting look-ups.
#[derive(Debug, Default)]
pub struct FakeImageCatalog {
    images: Mutex<BTreeMap<String, String>>,
    lookups: Mutex<Vec<String>>,
}

impl FakeImageCatalog {
    /// A catalog where `parameter` names `image`.
    pub fn with(parameter: &str, image: &str) -> Self {
        let catalog = Self::default();
        catalog.publish(parameter, image);
        catalog
    }

    /// AWS publishes a new image under `parameter`.
    pub fn publish(&self, parameter: &str, image: &str) {
        if let Ok(mut images) = self.images.lock() {
            images.insert(parameter.to_owned(), image.to_owned());
        }
    }

    /// Every parameter looked up, in order.
    pub fn lookups(&self) -> Vec<String> {
        self.lookups.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl ImageCatalog for FakeImageCatalog {
    async fn latest_image(&self, parameter: &str) -> Result<String, FleetError> {
        if let Ok(mut lookups) = self.lookups.lock() {
            lookups.push(parameter.to_owned());
        }
        self.images
            .lock()
            .ok()
            .and_then(|i| i.get(parameter).cloned())
            .ok_or_else(|| FleetError {
                service: "SSM",
                operation: "GetParameter",
                message: format!("ParameterNotFound: {parameter}"),
            })
    }
}

/// A [`LogSource`] holding the events the test writes; groups exist once written to.
#[derive(Debug, Default)]
pub struct FakeLogs {
    groups: Mutex<BTreeMap<String, Vec<LogEvent>>>,
}

impl FakeLogs {
    /// No log groups.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates `group` (empty) if it does not exist.
    pub fn create_group(&self, group: &str) {
        if let Ok(mut groups) = self.groups.lock() {
            groups.entry(group.to_owned()).or_default();
        }
    }

    /// An instance writes a line at `timestamp` (milliseconds since the epoch).
    pub fn write(&self, group: &str, instance_id: &str, timestamp: i64, message: &str) {
        if let Ok(mut groups) = self.groups.lock() {
            let events = groups.entry(group.to_owned()).or_default();
            let id = format!("{timestamp}-{}", events.len());
            events.push(LogEvent {
                id,
                instance_id: instance_id.to_owned(),
                timestamp,
                message: message.to_owned(),
            });
        }
    }
}

#[async_trait]
impl LogSource for FakeLogs {
    async fn events(
        &self,
        group: &str,
        streams: &[String],
        since: i64,
    ) -> Result<Option<Vec<LogEvent>>, FleetError> {
        let groups = self.groups.lock().map_err(|_| FleetError {
            service: "CloudWatch Logs",
            operation: "FilterLogEvents",
            message: "poisoned".to_owned(),
        })?;
        Ok(groups.get(group).map(|events| {
            let mut out: Vec<LogEvent> = events
                .iter()
                .filter(|e| e.timestamp >= since)
                .filter(|e| streams.is_empty() || streams.contains(&e.instance_id))
                .cloned()
                .collect();
            out.sort_by_key(|e| e.timestamp);
            out
        }))
    }
}

/// An [`InstanceSource`] answering with the instances the test gives.
#[derive(Debug, Default)]
pub struct FakeInstances {
    instances: Mutex<Vec<Instance>>,
}

impl FakeInstances {
    /// The group holds `instances`.
    pub fn with(instances: Vec<Instance>) -> Self {
        Self {
            instances: Mutex::new(instances),
        }
    }
}

#[async_trait]
impl InstanceSource for FakeInstances {
    async fn instances(&self, _group: &str, _build_tag: &str) -> Result<Vec<Instance>, FleetError> {
        Ok(self.instances.lock().map(|i| i.clone()).unwrap_or_default())
    }
}
