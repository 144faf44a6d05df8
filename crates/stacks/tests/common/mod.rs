//! Shared helpers: the default architecture rendered to JSON, and JSON navigation.

#![allow(dead_code)]

use serde_json::Value;
use techchallenge_stacks::rules::RenderedStack;
use techchallenge_stacks::{Architecture, Settings};

pub fn rendered(settings: &Settings) -> Vec<RenderedStack> {
    match Architecture::new(settings).and_then(|a| a.rendered()) {
        Ok(stacks) => stacks,
        Err(e) => panic!("the architecture must render: {e}"),
    }
}

pub fn default_stacks() -> Vec<RenderedStack> {
    rendered(&Settings::default())
}

pub fn stack<'a>(stacks: &'a [RenderedStack], suffix: &str) -> &'a Value {
    match stacks.iter().find(|s| s.name.ends_with(suffix)) {
        Some(s) => &s.template,
        None => panic!("no stack ending in {suffix}"),
    }
}

pub fn stack_mut<'a>(stacks: &'a mut [RenderedStack], suffix: &str) -> &'a mut Value {
    match stacks.iter_mut().find(|s| s.name.ends_with(suffix)) {
        Some(s) => &mut s.template,
        None => panic!("no stack ending in {suffix}"),
    }
}

pub fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .map(|m| m.iter().filter(|(_, r)| r["Type"] == kind).collect())
        .unwrap_or_default()
}
