//! Mappings and conditions: rendered in their sections, used only through their handles, and a
//! use of one the template does not define is refused at render.

use std::collections::BTreeMap;

use cfn_template::resources::ec2::Vpc;
use cfn_template::{Expr, Mapping, Output, Pseudo, Template, TemplateError};
use serde_json::json;

fn vpc() -> Vpc {
    Vpc {
        cidr_block: "10.0.0.0/16".into(),
        enable_dns_hostnames: None,
        enable_dns_support: None,
        tags: vec![],
    }
}

fn accounts() -> Mapping {
    let mut m = Mapping::new();
    for (region, account) in [("r-one-1", "111"), ("r-two-1", "222")] {
        m.insert(
            region.into(),
            BTreeMap::from([("Account".to_owned(), account.to_owned())]),
        );
    }
    m
}

#[test]
fn a_conditional_resource_and_lookup_render_in_long_form() -> Result<(), TemplateError> {
    let mut t = Template::new("t");
    let map = t.mapping("Accounts", accounts())?;
    let listed = Expr::any_of(
        accounts()
            .keys()
            .map(|r| Expr::equals(Expr::pseudo(Pseudo::Region), r.as_str()))
            .collect(),
    )
    .unwrap_or(Expr::Bool(false));
    let has = t.condition("HasAccount", listed)?;
    let lacks = t.condition("LacksAccount", Expr::negate(has.as_condition()))?;
    let network = t.add("Vpc", vpc())?;
    t.options(&network)?.only_if(&has);
    t.output(
        "Who",
        Output {
            value: lacks.choose("nobody", map.find(Expr::pseudo(Pseudo::Region), "Account")),
            description: "x".into(),
            export: None,
        },
    )?;
    let v = t.to_value()?;
    assert_eq!(v["Mappings"]["Accounts"]["r-two-1"]["Account"], "222");
    assert_eq!(
        v["Conditions"]["HasAccount"],
        json!({"Fn::Or": [
            {"Fn::Equals": [{"Ref": "AWS::Region"}, "r-one-1"]},
            {"Fn::Equals": [{"Ref": "AWS::Region"}, "r-two-1"]}
        ]})
    );
    assert_eq!(
        v["Conditions"]["LacksAccount"],
        json!({"Fn::Not": [{"Condition": "HasAccount"}]})
    );
    assert_eq!(v["Resources"]["Vpc"]["Condition"], "HasAccount");
    assert_eq!(
        v["Outputs"]["Who"]["Value"],
        json!({"Fn::If": ["LacksAccount", "nobody",
            {"Fn::FindInMap": ["Accounts", {"Ref": "AWS::Region"}, "Account"]}]})
    );
    assert_eq!(t.to_yaml()?, t.to_yaml()?);
    Ok(())
}

#[test]
fn a_condition_or_mapping_of_another_template_is_refused() -> Result<(), TemplateError> {
    let mut other = Template::new("other");
    let foreign_condition = other.condition("Elsewhere", Expr::equals("a", "a"))?;
    let foreign_map = other.mapping("Table", accounts())?;

    let mut t = Template::new("t");
    let network = t.add("Vpc", vpc())?;
    t.options(&network)?.only_if(&foreign_condition);
    assert_eq!(
        t.to_value().err(),
        Some(TemplateError::DanglingCondition {
            from: "resource Vpc".into(),
            target: "Elsewhere".into()
        })
    );

    let mut t = Template::new("t");
    t.add("Vpc", vpc())?;
    t.condition("Nested", Expr::negate(foreign_condition.as_condition()))?;
    assert_eq!(
        t.to_value().err(),
        Some(TemplateError::DanglingCondition {
            from: "condition Nested".into(),
            target: "Elsewhere".into()
        })
    );

    let mut t = Template::new("t");
    t.add("Vpc", vpc())?;
    t.output(
        "Account",
        Output {
            value: foreign_map.find("r-one-1", "Account"),
            description: "x".into(),
            export: None,
        },
    )?;
    let err = t.to_value().err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("output Account looks up the mapping Table, which is not a mapping of this template")
    );
    Ok(())
}

#[test]
fn mappings_and_conditions_have_their_own_namespaces() -> Result<(), TemplateError> {
    let mut t = Template::new("t");
    t.add("Vpc", vpc())?;
    t.mapping("Vpc", accounts())?;
    t.condition("Vpc", Expr::equals("a", "b"))?;
    assert!(matches!(
        t.mapping("Vpc", accounts()),
        Err(TemplateError::DuplicateLogicalId(_))
    ));
    assert!(matches!(
        t.condition("Vpc", Expr::equals("a", "b")),
        Err(TemplateError::DuplicateLogicalId(_))
    ));
    Ok(())
}

#[test]
fn an_iam_condition_block_is_not_taken_for_a_condition() -> Result<(), TemplateError> {
    // Outside `Conditions`, a one-key `Condition` map is a policy statement's condition block.
    let mut t = Template::new("t");
    t.add("Vpc", vpc())?;
    t.output(
        "Doc",
        Output {
            value: Expr::map([("Condition", Expr::from("NotACondition"))]),
            description: "x".into(),
            export: None,
        },
    )?;
    assert!(t.to_value().is_ok());
    Ok(())
}
