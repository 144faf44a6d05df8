//! CloudFormation's side of the boot: the application stack as this crate renders it, the
//! launch template's UserData taken out of it, and `Fn::Sub` filling its placeholders the way
//! CloudFormation does before an instance receives the script.

use std::collections::BTreeMap;

use serde_json::Value;
use techchallenge_stacks::{Architecture, Settings};

use super::{REGION, STACK};

/// The default architecture, which every test renders from.
pub fn architecture() -> Architecture {
    Architecture::new(&Settings::default())
        .unwrap_or_else(|e| panic!("the architecture renders: {e}"))
}

/// The application stack's template, as JSON.
pub fn application_template() -> Value {
    let rendered = architecture()
        .rendered()
        .unwrap_or_else(|e| panic!("the architecture renders: {e}"));
    rendered
        .into_iter()
        .find(|s| s.name == STACK)
        .map(|s| s.template)
        .unwrap_or_else(|| panic!("no stack {STACK}"))
}

/// The launch template's UserData: `Fn::Base64` of `Fn::Sub [script, variables]`.
pub fn user_data_sub() -> (String, serde_json::Map<String, Value>) {
    let app = application_template();
    let user_data =
        &app["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"];
    let sub = &user_data["Fn::Base64"]["Fn::Sub"];
    let script = sub[0]
        .as_str()
        .unwrap_or_else(|| panic!("UserData is Fn::Base64 of Fn::Sub [script, vars]: {user_data}"));
    let variables = sub[1].as_object().cloned().unwrap_or_default();
    (script.to_owned(), variables)
}

/// UserData as the instance of stack `stack` gets it. `Fn::Sub` as CloudFormation does it: its
/// own variables (literal values, unless `literals` gives the test's own, e.g. its own database
/// instance; `Fn::ImportValue`s answered from `imports` by the export name's last `-` part;
/// `Ref`s of the stack's resources answered from `refs` by logical id), then the template's
/// `parameters`, then pseudo parameters; anything else is an error.
pub fn fill_user_data(
    template: &str,
    variables: &serde_json::Map<String, Value>,
    imports: &BTreeMap<&str, String>,
    refs: &BTreeMap<&str, String>,
    literals: &BTreeMap<&str, String>,
    parameters: &BTreeMap<String, String>,
    stack: &str,
) -> String {
    fn_sub(template, &mut |name| {
        if let Some(value) = variables.get(name) {
            if value.is_string()
                && let Some(own) = literals.get(name)
            {
                return Some(own.clone());
            }
            if let Some(literal) = value.as_str() {
                return Some(literal.to_owned());
            }
            if let Some(id) = value["Ref"].as_str() {
                return Some(
                    refs.get(id)
                        .unwrap_or_else(|| panic!("no test value for the Ref of {id}"))
                        .clone(),
                );
            }
            let export = value["Fn::ImportValue"].as_str().unwrap_or_default();
            let suffix = export.rsplit('-').next().unwrap_or_default();
            return Some(
                imports
                    .get(suffix)
                    .unwrap_or_else(|| panic!("no test value for the import {export}"))
                    .clone(),
            );
        }
        match name {
            "AWS::Region" => Some(REGION.to_owned()),
            "AWS::StackName" => Some(stack.to_owned()),
            _ => parameters.get(name).cloned(),
        }
    })
}

/// `Fn::Sub` on `text`: `${Name}` becomes `value(Name)` (which must know it), `${!Literal}`
/// becomes `${Literal}`.
pub fn fn_sub(text: &str, value: &mut dyn FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .unwrap_or_else(|| panic!("unterminated ${{ in UserData: {}", &rest[start..]));
        let name = &after[..end];
        match name.strip_prefix('!') {
            Some(literal) => {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            }
            None => out.push_str(
                &value(name).unwrap_or_else(|| panic!("Fn::Sub cannot resolve ${{{name}}}")),
            ),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}
