//! Which Amazon Linux image the application's instances launch from. The image is part of the
//! application stack's parameters and is kept as deployed: only the first deploy, or a deploy
//! with `--update-image`, reads AWS's public SSM parameter for the newest one. A new image
//! replaces every instance (a rolling update), so it never comes along with an unrelated change,
//! and the plan says so when it does.

use anyhow::{Context, Result};
use serde::Serialize;
use techchallenge_deploy::Parameter;
use techchallenge_fleet::ImageCatalog;
use techchallenge_stacks::application::{AMI_PARAMETER, IMAGE_PARAMETER};

/// The image a deploy gives the application stack, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum ImageChoice {
    /// The image the deployed stack runs, kept.
    Kept {
        /// Its id.
        image_id: String,
    },
    /// The newest image, for a stack that has none yet.
    First {
        /// Its id.
        image_id: String,
    },
    /// `--update-image`: the newest image, replacing the deployed one.
    Updated {
        /// The image the instances run now.
        from: String,
        /// The newest image.
        image_id: String,
    },
}

impl ImageChoice {
    /// The id the stack gets.
    pub fn image_id(&self) -> &str {
        match self {
            ImageChoice::Kept { image_id }
            | ImageChoice::First { image_id }
            | ImageChoice::Updated { image_id, .. } => image_id,
        }
    }

    /// The stack parameter.
    pub fn parameter(&self) -> Parameter {
        Parameter::new(IMAGE_PARAMETER, self.image_id())
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            ImageChoice::Kept { image_id } => format!(
                "Image: {image_id}, as deployed (deploy --update-image moves to the newest Amazon Linux 2023 image)"
            ),
            ImageChoice::First { image_id } => {
                format!("Image: {image_id}, the newest Amazon Linux 2023 image ({AMI_PARAMETER})")
            }
            ImageChoice::Updated { from, image_id } if from == image_id => {
                format!("Image: {image_id} is already the newest Amazon Linux 2023 image")
            }
            ImageChoice::Updated { from, image_id } => format!(
                "Image: {from} -> {image_id} (--update-image): every instance is replaced, in a rolling update"
            ),
        }
    }
}

/// Chooses the image: the `deployed` one unless `update` or there is none.
pub async fn choose(
    images: &dyn ImageCatalog,
    deployed: Option<String>,
    update: bool,
) -> Result<ImageChoice> {
    Ok(match (deployed, update) {
        (Some(image_id), false) => ImageChoice::Kept { image_id },
        (None, _) => ImageChoice::First {
            image_id: latest(images).await?,
        },
        (Some(from), true) => ImageChoice::Updated {
            from,
            image_id: latest(images).await?,
        },
    })
}

/// For `plan`: the newest image, when it differs from a kept one (the plan says so).
pub async fn newer_than_kept(
    choice: &ImageChoice,
    images: &dyn ImageCatalog,
) -> Result<Option<String>> {
    let ImageChoice::Kept { image_id } = choice else {
        return Ok(None);
    };
    let newest = latest(images).await?;
    Ok((&newest != image_id).then_some(newest))
}

/// The image of a deployed application stack, from its parameters.
pub fn deployed_image(parameters: &[(String, String)]) -> Option<String> {
    parameters
        .iter()
        .find(|(k, _)| k == IMAGE_PARAMETER)
        .map(|(_, v)| v.clone())
        .filter(|v| v.starts_with("ami-"))
}

async fn latest(images: &dyn ImageCatalog) -> Result<String> {
    images
        .latest_image(AMI_PARAMETER)
        .await
        .with_context(|| format!("looking up the newest Amazon Linux 2023 image ({AMI_PARAMETER})"))
}
