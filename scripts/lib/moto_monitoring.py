"""What moto (5.2.5) lacks or gets wrong for the alarms' resources, patched by `install()` for
scripts/lib/moto_server.py (see its file comment, patches 10 and 11). Each patch says what AWS
does. Test infrastructure only: the templates and the deployer are never changed to suit moto.

10. AWS::KMS::Key with Tags: CloudFormation's Tags are `{Key, Value}`, which AWS translates to
    the KMS API's `{TagKey, TagValue}`; moto hands the template's tags to KMS unchanged, fails,
    and the key is missing (every GetAtt on it then fails the stack).
11. AWS::CloudWatch::Alarm, which moto's CloudFormation does not create ("not supported"): Ref
    then resolves to nothing and a GetAtt Arn output answers HTTP 500. AWS creates the alarm
    (PutMetricAlarm), Ref answers its name, GetAtt Arn its ARN, an update puts it again under
    the same name, and deleting the stack deletes it. The metric-math queries of a `Metrics`
    alarm are stored by id, expression and return flag only: nothing here evaluates them.
12. GetAtt LoadBalancerFullName (AWS::ElasticLoadBalancingV2::LoadBalancer) and
    TargetGroupFullName (TargetGroup), the alarms' dimensions: moto raises NotImplementedError
    for the first and has no attributes at all for target groups. AWS answers the ARN's tail:
    `app/NAME/ID` and `targetgroup/NAME/ID`.
"""

from typing import Any

from moto.cloudwatch.models import MetricDataQuery, cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup
from moto.kms.models import Key


def _kms_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"TagKey": t["Key"], "TagValue": t.get("Value", "")} for t in tags if "Key" in t]


_moto_create_key = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _create_key(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Any:
    json = dict(cloudformation_json)
    props = dict(json.get("Properties", {}))
    props["Tags"] = _kms_tags(props.get("Tags", []))
    json["Properties"] = props
    return _moto_create_key(cls, resource_name, json, account_id, region_name, **kwargs)


class AlarmForCloudFormation(CloudFormationModel):
    """AWS::CloudWatch::Alarm: Ref answers the alarm's name, GetAtt Arn its ARN, as in AWS."""

    # moto's model registry derives the service from the module path.
    __module__ = "moto.cloudwatch.cloudformation"

    def __init__(self, name: str, arn: str) -> None:
        self.name = name
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "AlarmForCloudFormation":
        props = cloudformation_json.get("Properties", {})
        name = props.get("AlarmName") or resource_name
        queries = [
            MetricDataQuery(
                query_id=q.get("Id", ""),
                label=q.get("Label", ""),
                period=str(q.get("Period", "")),
                return_data=str(q.get("ReturnData", True)).lower(),
                expression=q.get("Expression"),
            )
            for q in props.get("Metrics", [])
        ]
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=props.get("Namespace"),
            metric_name=props.get("MetricName"),
            comparison_operator=props["ComparisonOperator"],
            evaluation_periods=int(props["EvaluationPeriods"]),
            period=int(props.get("Period", 60)),
            threshold=float(props.get("Threshold", 0)),
            statistic=props.get("Statistic"),
            description=props.get("AlarmDescription"),
            dimensions=props.get("Dimensions", []),
            alarm_actions=props.get("AlarmActions", []),
            metric_data_queries=queries or None,
            datapoints_to_alarm=props.get("DatapointsToAlarm"),
            extended_statistic=props.get("ExtendedStatistic"),
            ok_actions=props.get("OKActions", []),
            insufficient_data_actions=props.get("InsufficientDataActions", []),
            unit=props.get("Unit"),
            treat_missing_data=props.get("TreatMissingData"),
        )
        return cls(name, alarm.alarm_arn)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> "AlarmForCloudFormation":
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        name = cloudformation_json.get("Properties", {}).get("AlarmName") or resource_name
        cloudwatch_backends[account_id][region_name].delete_alarms([name])

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])


_moto_balancer_attribute = FakeLoadBalancer.get_cfn_attribute


def _balancer_attribute(self: Any, attribute_name: str) -> Any:
    if attribute_name == "LoadBalancerFullName":
        return self.arn.split(":loadbalancer/", 1)[1]
    return _moto_balancer_attribute(self, attribute_name)


def _target_group_has_attribute(cls: Any, attr: str) -> bool:
    return attr in ("TargetGroupFullName", "TargetGroupName", "TargetGroupArn")


def _target_group_attribute(self: Any, attribute_name: str) -> Any:
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    if attribute_name == "TargetGroupFullName":
        return self.arn.split(":", 5)[5]
    if attribute_name == "TargetGroupName":
        return self.name
    if attribute_name == "TargetGroupArn":
        return self.arn
    raise UnformattedGetAttTemplateException()


def install() -> None:
    """Applies patches 10 and 12 (11 registers itself by being imported: moto finds
    CloudFormationModel subclasses)."""
    Key.create_from_cloudformation_json = classmethod(_create_key)  # type: ignore[method-assign,assignment]
    FakeLoadBalancer.get_cfn_attribute = _balancer_attribute  # type: ignore[method-assign]
    FakeTargetGroup.has_cfn_attr = classmethod(_target_group_has_attribute)  # type: ignore[method-assign,assignment]
    FakeTargetGroup.get_cfn_attribute = _target_group_attribute  # type: ignore[method-assign]
