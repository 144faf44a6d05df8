//! `techchallenge render`: prints the templates, or writes one file per stack.

use anyhow::{Context, Result};

use crate::cli::{Format, GlobalArgs, RenderArgs};

/// Renders the selected stacks.
pub fn run(global: &GlobalArgs, args: &RenderArgs) -> Result<u8> {
    let architecture = super::architecture(global)?;
    let mut printed = String::new();
    for role in super::roles(args.stack) {
        let Some(stack) = architecture.stack(role) else {
            continue;
        };
        let (text, extension) = match args.format {
            Format::Yaml => (stack.template.to_yaml(), "yaml"),
            Format::Json => (stack.template.to_json(), "json"),
        };
        let text = text.with_context(|| format!("rendering {}", stack.name))?;
        match &args.out {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let path = dir.join(format!("{}.{extension}", stack.name));
                std::fs::write(&path, &text)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            None => {
                if args.format == Format::Yaml {
                    printed.push_str(&format!("--- # {}\n", stack.name));
                }
                printed.push_str(&text);
            }
        }
    }
    print!("{printed}");
    Ok(0)
}
