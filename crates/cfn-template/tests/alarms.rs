//! Alarm, topic and key properties render under the names CloudFormation expects.

use cfn_template::resources::cloudwatch::{
    Alarm, ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, Statistic,
    TreatMissingData,
};
use cfn_template::resources::kms::Key;
use cfn_template::resources::sns::Topic;
use cfn_template::{Expr, Template, TemplateError};
use serde_json::json;

#[test]
fn an_alarm_on_a_metric_and_one_on_metric_math() -> Result<(), TemplateError> {
    let mut t = Template::new("t");
    let key = t.add(
        "Key",
        Key {
            description: "k".into(),
            enable_key_rotation: true,
            key_policy: Expr::map([("Version", Expr::from("2012-10-17"))]),
            pending_window_in_days: None,
            tags: vec![],
        },
    )?;
    let topic = t.add(
        "Topic",
        Topic {
            topic_name: None,
            display_name: None,
            kms_master_key_id: Some(key.arn()),
            tags: vec![],
        },
    )?;
    let base = Alarm {
        alarm_name: Some("a".into()),
        alarm_description: None,
        alarm_actions: vec![topic.arn()],
        ok_actions: vec![topic.arn()],
        comparison_operator: ComparisonOperator::GreaterThanOrEqualToThreshold,
        evaluation_periods: 5,
        datapoints_to_alarm: Some(3),
        threshold: 1.0,
        treat_missing_data: Some(TreatMissingData::NotBreaching),
        namespace: Some("AWS/X".into()),
        metric_name: Some("Errors".into()),
        dimensions: Some(vec![Dimension::new("Thing", "t".into())]),
        statistic: Some(Statistic::Sum),
        extended_statistic: None,
        period: Some(60),
        metrics: None,
    };
    t.add("Single", base.clone())?;
    let stat = |name: &str| MetricStat {
        metric: Metric {
            namespace: "AWS/X".into(),
            metric_name: name.into(),
            dimensions: vec![],
        },
        period: 60,
        stat: "Sum".into(),
    };
    t.add(
        "Math",
        Alarm {
            namespace: None,
            metric_name: None,
            dimensions: None,
            statistic: None,
            period: None,
            metrics: Some(vec![
                MetricDataQuery::metric("errors", stat("Errors")),
                MetricDataQuery::metric("requests", stat("Requests")),
                MetricDataQuery::expression("rate", "100 * errors / requests", "rate"),
            ]),
            ..base
        },
    )?;
    let v = t.to_value()?;
    let single = &v["Resources"]["Single"]["Properties"];
    assert_eq!(single["OKActions"], json!([{"Ref": "Topic"}]));
    assert_eq!(single["TreatMissingData"], "notBreaching");
    assert_eq!(
        single["ComparisonOperator"],
        "GreaterThanOrEqualToThreshold"
    );
    assert_eq!(single["Statistic"], "Sum");
    let math = &v["Resources"]["Math"]["Properties"];
    assert!(math.get("MetricName").is_none());
    assert_eq!(
        math["Metrics"][0]["MetricStat"]["Metric"]["MetricName"],
        "Errors"
    );
    assert_eq!(math["Metrics"][0]["ReturnData"], false);
    assert_eq!(math["Metrics"][2]["ReturnData"], true);
    assert_eq!(
        v["Resources"]["Topic"]["Properties"]["KmsMasterKeyId"],
        json!({"Fn::GetAtt": ["Key", "Arn"]})
    );
    Ok(())
}
