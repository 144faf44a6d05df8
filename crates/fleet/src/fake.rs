//! In-memory stand-ins for the fleet's traits, for the tests of crates that use them.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{FleetError, ImageCatalog};

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
