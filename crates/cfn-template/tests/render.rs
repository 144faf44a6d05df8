//! Rendering: deterministic output, long-form intrinsics, and refusal of dangling references.

use cfn_template::resources::Tag;
use cfn_template::resources::ec2::{InternetGateway, Vpc};
use cfn_template::resources::rds::DbInstance;
use cfn_template::{Expr, Output, Parameter, ParameterType, Template, TemplateError};

fn vpc() -> Vpc {
    Vpc {
        cidr_block: "10.0.0.0/16".into(),
        enable_dns_hostnames: Some(true),
        enable_dns_support: None,
        tags: vec![Tag::name("t")],
    }
}

fn db(password: Expr) -> DbInstance {
    DbInstance {
        identifier: None,
        engine: "postgres".into(),
        engine_version: "16.4".into(),
        instance_class: "db.t3.micro".into(),
        allocated_storage: "20".into(),
        max_allocated_storage: None,
        storage_type: None,
        storage_encrypted: true,
        db_name: None,
        master_username: "postgres".into(),
        master_user_password: password,
        multi_az: true,
        publicly_accessible: false,
        subnet_group_name: "g".into(),
        vpc_security_groups: vec![],
        backup_retention_period: 7,
        deletion_protection: true.into(),
        auto_minor_version_upgrade: true,
        copy_tags_to_snapshot: true,
        enable_cloudwatch_logs_exports: vec![],
        enable_iam_database_authentication: true,
        monitoring_interval: None,
        monitoring_role_arn: None,
        enable_performance_insights: None,
        port: None,
        tags: vec![],
    }
}

fn sample() -> Result<Template, TemplateError> {
    let mut t = Template::new("sample");
    let env = t.parameter(
        "Env",
        Parameter::new(ParameterType::String, "env").default_value("dev"),
    )?;
    let vpc = t.add("Vpc", vpc())?;
    let db = t.add(
        "Db",
        db("{{resolve:secretsmanager:x:SecretString:password}}".into()),
    )?;
    t.retain_snapshot(&db)?;
    t.options(&db)?.depends_on(&vpc);
    t.output(
        "Endpoint",
        Output {
            value: db.endpoint_address(),
            description: "db".into(),
            export: Some("x-Endpoint".into()),
        },
    )?;
    t.output(
        "Name",
        Output {
            value: Expr::sub("${Env}-${Vpc}-${Db.Endpoint.Port}-${!Literal}-${AWS::Region}"),
            description: "n".into(),
            export: None,
        },
    )?;
    let _ = env;
    Ok(t)
}

#[test]
fn rendering_is_deterministic_and_long_form() -> Result<(), TemplateError> {
    let a = sample()?.to_yaml()?;
    let b = sample()?.to_yaml()?;
    assert_eq!(a, b);
    assert!(
        a.contains("Fn::GetAtt:\n      - Db\n      - Endpoint.Address"),
        "{a}"
    );
    assert!(a.contains("DeletionPolicy: Snapshot"));
    assert!(a.contains("UpdateReplacePolicy: Snapshot"));
    assert!(a.contains("DependsOn:\n    - Vpc"));
    assert_eq!(sample()?.to_json()?, sample()?.to_json()?);
    Ok(())
}

#[test]
fn a_handle_from_another_template_is_refused_at_render() -> Result<(), TemplateError> {
    let mut other = Template::new("other");
    let foreign = other.add("Gateway", InternetGateway { tags: vec![] })?;
    let mut t = Template::new("t");
    t.add("Vpc", vpc())?;
    t.output(
        "Gw",
        Output {
            value: foreign.r#ref(),
            description: "x".into(),
            export: None,
        },
    )?;
    assert_eq!(
        t.to_yaml(),
        Err(TemplateError::DanglingRef {
            from: "output Gw".into(),
            target: "Gateway".into()
        })
    );
    assert!(t.options(&foreign).is_err());
    Ok(())
}

#[test]
fn a_dangling_get_att_names_the_resource_and_attribute() -> Result<(), TemplateError> {
    let mut other = Template::new("other");
    let foreign = other.add("Db", db("x".into()))?;
    let mut t = Template::new("t");
    t.add("Vpc", vpc())?;
    t.output(
        "E",
        Output {
            value: foreign.endpoint_address(),
            description: "x".into(),
            export: None,
        },
    )?;
    let err = t.to_json().err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        err,
        "output E reads attribute Endpoint.Address of Db, which is not a resource of this template"
    );
    Ok(())
}

#[test]
fn an_unknown_sub_variable_is_refused() -> Result<(), TemplateError> {
    let mut t = Template::new("t");
    t.add("Vpc", vpc())?;
    t.output(
        "S",
        Output {
            value: Expr::sub("${Vpcc}"),
            description: "x".into(),
            export: None,
        },
    )?;
    assert!(
        matches!(t.to_yaml(), Err(TemplateError::DanglingSubVariable { variable, .. }) if variable == "Vpcc")
    );
    Ok(())
}

#[test]
fn a_duplicated_export_is_refused() -> Result<(), TemplateError> {
    let mut t = Template::new("t");
    let vpc = t.add("Vpc", vpc())?;
    for id in ["A", "B"] {
        t.output(
            id,
            Output {
                value: vpc.r#ref(),
                description: "x".into(),
                export: Some("dup".into()),
            },
        )?;
    }
    assert_eq!(
        t.to_yaml(),
        Err(TemplateError::DuplicateExport("dup".into()))
    );
    Ok(())
}

#[test]
fn a_duplicated_logical_id_and_an_empty_template_are_refused() -> Result<(), TemplateError> {
    let mut t = Template::new("t");
    assert_eq!(t.to_yaml(), Err(TemplateError::NoResources));
    t.add("Vpc", vpc())?;
    assert!(
        matches!(t.add("Vpc", vpc()), Err(TemplateError::DuplicateLogicalId(id)) if id == "Vpc")
    );
    assert!(matches!(
        t.add("my-vpc", vpc()),
        Err(TemplateError::InvalidLogicalId(_))
    ));
    Ok(())
}
