"""Starts moto's server (5.2.5) with what it lacks or gets wrong for this project, each patch
saying what AWS does. Test infrastructure only: the templates and the deployer are never changed
to suit the emulator, and nothing here reaches a real account.

1. CloudFormation support for AWS::SecretsManager::Secret: moto logs "No Moto CloudFormation
   support" and leaves the secret, its Ref and its export empty.
2. Updates of resources moto cannot update (AWS::RDS::DBInstance among them): moto replaces the
   resource with nothing, and every later Fn::GetAtt on it fails (HTTP 500 on DescribeStacks).
   AWS modifies such an instance in place (DeletionProtection, class, storage).
3. SignalResource, which moto does not implement. moto's stacks complete at once, so it never
   has a resource waiting for signals; the test plays that part of CloudFormation through
   /techchallenge-test/signals (below). A signal nobody waits for is refused with
   CloudFormation's ValidationError ("... can not be signaled"), as AWS refuses signals from
   instances launched by scale-out or replacement.

4. CloudFormation support for AWS::SecretsManager::SecretTargetAttachment, which moto lacks.
   AWS adds the attached RDS instance's connection details to the secret (engine, host, port,
   dbInstanceIdentifier beside username and password), which is where the application's
   instances read the database's address.

5. ListImports, which moto does not implement (HTTP 500, which the SDKs retry for seconds). AWS
   answers the names of the stacks whose templates import the export, or ValidationError
   "Export 'NAME' is not imported by any stack." when none does.
6. Termination protection. moto stores CreateStack's EnableTerminationProtection and reports it
   in DescribeStacks, but lacks UpdateTerminationProtection (HTTP 500) and deletes a protected
   stack. AWS changes the flag with UpdateTerminationProtection (answering the StackId) and
   refuses DeleteStack while it is on: ValidationError "Stack [NAME] cannot be deleted while
   TerminationProtection is enabled" (HTTP 400), the stack untouched. (moto's SetStackPolicy,
   GetStackPolicy and CreateStack's StackPolicyBody round-trip as in AWS; moto does not enforce
   stack policies.)
7. Stack deletion (scripts/lib/moto_stack_deletion.py): every resource deleted, the database's
   final snapshot, instances' network interfaces deleted with them, DELETE_FAILED instead of a
   lost stack. And the secret of 1 is deleted with its stack, without recovery window, as AWS
   does.

8. Inline egress of AWS::EC2::SecurityGroup: moto ignores SecurityGroupEgress and keeps EC2's
   default allow-all egress rule. AWS (CloudFormation's SecurityGroup reference) removes the
   default rule as soon as one or more egress rules are given, and applies those rules.

9. Drift detection, which moto does not implement (HTTP 500, which the SDKs retry for seconds).
   AWS's DetectStackDrift answers a StackDriftDetectionId, and DescribeStackDriftDetectionStatus
   then reports DETECTION_FAILED when it could not check resources, with the stack's drift
   status UNKNOWN and a DetectionStatusReason. moto cannot compare a resource with its template,
   so every detection ends that way at once, its reason saying so (a stack that does not exist,
   or is in a status AWS does not check, is refused with a ValidationError); DescribeStackResourceDrifts answers the
   results of the resources checked: none.

10-12. AWS::KMS::Key tags, AWS::CloudWatch::Alarm, and the load balancer's and target group's
   full names (scripts/lib/moto_monitoring.py): moto fails on a tagged key, creates no alarms
   and lacks the two GetAtt attributes the alarms' dimensions use; AWS does all of it.

Test endpoints (not AWS): POST /techchallenge-test/signals/await {"stack", "resource", "count"}
makes a resource wait for that many signals; GET /techchallenge-test/signals lists the signals
received and refused. GET /techchallenge-test/errors lists every HTTP 5xx answered (method,
path, Action or X-Amz-Target, status), oldest first: an answer the SDKs retry, so a test can
assert that none was given. /moto-api/reset clears them with the rest.

Usage: python moto_server.py -H 127.0.0.1 -p 5000 (same arguments as moto_server).
"""

import io
import json
import secrets
import string
import sys
import threading
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

import moto.cloudformation.parsing as cfn_parsing
import moto.server
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroup
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.secretsmanager.models import secretsmanager_backends

import moto_monitoring
import moto_stack_deletion


class SecretForCloudFormation(CloudFormationModel):
    """AWS::SecretsManager::Secret: Ref answers the secret's ARN, as in AWS."""

    # moto's model registry derives the service from the module path.
    __module__ = "moto.secretsmanager.cloudformation"

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ["Id"]

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "SecretForCloudFormation":
        props = cloudformation_json.get("Properties", {})
        value = props.get("SecretString")
        generate = props.get("GenerateSecretString")
        if value is None and generate is not None:
            length = int(generate.get("PasswordLength", 32))
            password = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))
            template = json.loads(generate.get("SecretStringTemplate", "{}"))
            template[generate.get("GenerateStringKey", "password")] = password
            value = json.dumps(template)
        backend = secretsmanager_backends[account_id][region_name]
        answer = backend.create_secret(
            name=props.get("Name") or resource_name,
            secret_string=value,
            secret_binary=None,
            description=props.get("Description"),
            tags=props.get("Tags"),
            kms_key_id=props.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(json.loads(answer)["ARN"])

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        # CloudFormation deletes the secret without a recovery window (resource_name is the ARN).
        backend = secretsmanager_backends[account_id][region_name]
        if resource_name in backend.secrets:
            backend.delete_secret(
                secret_id=resource_name, recovery_window_in_days=None, force_delete_without_recovery=True
            )


class SecretTargetAttachmentForCloudFormation(CloudFormationModel):
    """AWS::SecretsManager::SecretTargetAttachment for an RDS instance: writes the instance's
    connection details into the secret, as AWS does; Ref answers the secret's ARN."""

    __module__ = "moto.secretsmanager.cloudformation"

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::SecretTargetAttachment"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "SecretTargetAttachmentForCloudFormation":
        from moto.rds.models import rds_backends

        props = cloudformation_json.get("Properties", {})
        secret_id = props["SecretId"]
        if props.get("TargetType") != "AWS::RDS::DBInstance":
            raise ValidationError(message=f"unsupported TargetType {props.get('TargetType')}")
        database = rds_backends[account_id][region_name].describe_db_instances(props["TargetId"])[0]
        backend = secretsmanager_backends[account_id][region_name]
        current = backend.get_secret_value(secret_id=secret_id, version_id=None, version_stage=None)
        value = json.loads(current["SecretString"])
        value.update(
            {
                "engine": database.engine,
                "host": database.address,
                "port": int(database.port),
                "dbInstanceIdentifier": database.db_instance_identifier,
            }
        )
        backend.put_secret_value(
            secret_id=secret_id,
            secret_string=json.dumps(value),
            secret_binary=None,
            client_request_token=None,
            version_stages=["AWSCURRENT"],
        )
        return cls(secret_id)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None


# --- 2. Updates moto cannot apply: keep the resource, apply what AWS modifies in place. ---

_moto_update = cfn_parsing.parse_and_update_resource

# Template properties of AWS::RDS::DBInstance that RDS modifies in place, and moto's attribute.
_RDS_IN_PLACE = {
    "DeletionProtection": "deletion_protection",
    "DBInstanceClass": "db_instance_class",
    "AllocatedStorage": "allocated_storage",
}


def _update_in_place(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    updated = _moto_update(logical_id, resource_json, resources_map, account_id, region_name)
    if updated is not None:
        return updated
    original = resources_map[logical_id]
    if resource_json.get("Type") == "AWS::RDS::DBInstance":
        properties = cfn_parsing.clean_json(resource_json.get("Properties", {}), resources_map)
        for prop, attribute in _RDS_IN_PLACE.items():
            if prop in properties:
                value = properties[prop]
                if prop == "DeletionProtection":
                    value = str(value).lower() == "true"
                setattr(original, attribute, value)
    return original


cfn_parsing.parse_and_update_resource = _update_in_place


# --- 3. SignalResource, with the test in CloudFormation's place. ---

_signals_lock = threading.Lock()
_awaiting: dict[tuple[str, str], int] = {}
_received: list[dict[str, str]] = []
_refused: list[dict[str, str]] = []


def _signal_resource(self: CloudFormationResponse) -> Any:
    stack_name = self._get_param("StackName")
    resource = self._get_param("LogicalResourceId")
    signal = {
        "stack": stack_name,
        "resource": resource,
        "unique_id": self._get_param("UniqueId"),
        "status": self._get_param("Status"),
    }
    stack = self.cloudformation_backend.get_stack(stack_name)  # ValidationError when missing
    with _signals_lock:
        key = (stack.name, resource)
        if _awaiting.get(key, 0) > 0:
            # A FAILURE fails the resource at once: nothing more is awaited from it.
            _awaiting[key] = 0 if signal["status"] == "FAILURE" else _awaiting[key] - 1
            _received.append(signal)
            return EmptyResult()
        _refused.append(signal)
    raise ValidationError(message=f"Stack {stack.stack_id} is in {stack.status} state and can not be signaled")


CloudFormationResponse.signal_resource = _signal_resource  # type: ignore[attr-defined]


# --- 5. ListImports. ---


def _imported_exports(stack: Any) -> set[str]:
    """The export names a stack's template imports (Fn::ImportValue anywhere in it; a computed
    name, e.g. Fn::Sub, resolved against the stack's parameters)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Fn::ImportValue":
                    name = value if isinstance(value, str) else cfn_parsing.clean_json(value, stack.resource_map)
                    names.add(str(name))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(stack.template_dict)
    return names


def _list_imports(self: CloudFormationResponse) -> Any:
    export_name = self._get_param("ExportName")
    importers = sorted(
        stack.name
        for stack in self.cloudformation_backend.stacks.values()
        # A stack still in review (a change set not executed) has imported nothing yet.
        if stack.status != "REVIEW_IN_PROGRESS" and export_name in _imported_exports(stack)
    )
    if not importers:
        raise ValidationError(message=f"Export '{export_name}' is not imported by any stack.")
    return ActionResult({"Imports": importers})


CloudFormationResponse.list_imports = _list_imports  # type: ignore[attr-defined]


# --- 6. Termination protection. ---


def _update_termination_protection(self: CloudFormationResponse) -> Any:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))  # ValidationError when missing
    stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection")
    return ActionResult({"StackId": stack.stack_id})


CloudFormationResponse.update_termination_protection = _update_termination_protection  # type: ignore[attr-defined]

# 7 is installed first, so that the refusal below comes before any deletion.
moto_stack_deletion.install()
moto_monitoring.install()
_delete_stack_unprotected = CloudFormationBackend.delete_stack


def _delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    try:
        stack = self.get_stack(name_or_stack_id)
    except ValidationError:
        stack = None  # AWS: deleting a stack that does not exist succeeds and does nothing.
    if stack is not None and stack.enable_termination_protection:
        raise ValidationError(message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
    _delete_stack_unprotected(self, name_or_stack_id)


CloudFormationBackend.delete_stack = _delete_stack  # type: ignore[method-assign]


# --- 8. Inline egress of security groups. ---


_moto_create_group = SecurityGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _create_group(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Any:
    group = _moto_create_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    egress = cloudformation_json.get("Properties", {}).get("SecurityGroupEgress") or []
    if not egress:
        return group  # AWS keeps the default allow-all rule: none was stated
    group.egress_rules = [
        r for r in group.egress_rules if not (r.ip_protocol == "-1" and r.ip_range in ({"CidrIp": "0.0.0.0/0"}, {"CidrIpv6": "::/0"}))
    ]
    backend = ec2_backends[account_id][region_name]
    for rule in egress:
        destination = rule.get("DestinationSecurityGroupId")
        cidr = {k: rule[k] for k in ("CidrIp", "CidrIpv6", "Description") if k in rule}
        backend.authorize_security_group_egress(
            group_name_or_id=group.id,
            ip_protocol=str(rule["IpProtocol"]),
            from_port=rule.get("FromPort"),
            to_port=rule.get("ToPort"),
            ip_ranges=[cidr] if "CidrIp" in cidr or "CidrIpv6" in cidr else [],
            source_groups=[{"GroupId": destination}] if destination else [],
            vpc_id=group.vpc_id,
        )
    return group


SecurityGroup.create_from_cloudformation_json = classmethod(_create_group)  # type: ignore[method-assign,assignment]


# --- 9. Drift detection that says it cannot compare. ---

_detections_lock = threading.Lock()
_detections: dict[str, dict[str, Any]] = {}

_CANNOT_DETECT = (
    "The moto emulator cannot compare deployed resources with their template: "
    "drift detection is not available on it"
)


def _detect_stack_drift(self: CloudFormationResponse) -> Any:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))  # ValidationError when missing
    # AWS detects drift only on stacks in these statuses and refuses the others.
    if stack.status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"):
        raise ValidationError(message=f"Drift detection is not supported for stack {stack.name} in {stack.status} status")
    detection_id = str(uuid.uuid4())
    with _detections_lock:
        _detections[detection_id] = {"stack_id": stack.stack_id, "timestamp": datetime.now(timezone.utc)}
    return ActionResult({"StackDriftDetectionId": detection_id})


def _describe_stack_drift_detection_status(self: CloudFormationResponse) -> Any:
    detection_id = self._get_param("StackDriftDetectionId")
    with _detections_lock:
        detection = _detections.get(detection_id)
    if detection is None:
        raise ValidationError(message=f"Drift detection {detection_id} does not exist")
    return ActionResult(
        {
            "StackId": detection["stack_id"],
            "StackDriftDetectionId": detection_id,
            "StackDriftStatus": "UNKNOWN",
            "DetectionStatus": "DETECTION_FAILED",
            "DetectionStatusReason": _CANNOT_DETECT,
            "Timestamp": detection["timestamp"],
        }
    )


def _describe_stack_resource_drifts(self: CloudFormationResponse) -> Any:
    self.cloudformation_backend.get_stack(self._get_param("StackName"))  # ValidationError when missing
    return ActionResult({"StackResourceDrifts": []})


CloudFormationResponse.detect_stack_drift = _detect_stack_drift  # type: ignore[attr-defined]
CloudFormationResponse.describe_stack_drift_detection_status = _describe_stack_drift_detection_status  # type: ignore[attr-defined]
CloudFormationResponse.describe_stack_resource_drifts = _describe_stack_resource_drifts  # type: ignore[attr-defined]


# --- Test endpoints. ---

_errors_lock = threading.Lock()
_errors: list[dict[str, Any]] = []


def _request_summary(environ: dict[str, Any]) -> dict[str, Any]:
    """Method, path and the call (Action of a query-protocol form, else X-Amz-Target). Reads a
    small form body and puts it back for moto."""
    summary: dict[str, Any] = {
        "method": environ.get("REQUEST_METHOD"),
        "path": environ.get("PATH_INFO", ""),
        "target": environ.get("HTTP_X_AMZ_TARGET"),
    }
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if not action and 0 < length <= 65536 and "form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    summary["action"] = action[0] if action else None
    return summary


def _recording_errors(app: Any, environ: dict[str, Any], start_response: Any) -> Any:
    """Calls moto, noting every 5xx it answers (and every exception, which werkzeug answers 500)."""
    summary = _request_summary(environ)

    def start(status: str, headers: Any, exc_info: Any = None) -> Any:
        if status.startswith("5"):
            with _errors_lock:
                _errors.append({**summary, "status": int(status.split()[0])})
        return start_response(status, headers, exc_info)

    try:
        return app(environ, start)
    except Exception:
        with _errors_lock:
            _errors.append({**summary, "status": 500})
        raise


class _WithTestEndpoints(DomainDispatcherApplication):
    """moto's WSGI application plus the /techchallenge-test/ endpoints (see the file comment)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/moto-api/reset":
            with _signals_lock:
                _awaiting.clear()
                _received.clear()
                _refused.clear()
            with _errors_lock:
                _errors.clear()
            with _detections_lock:
                _detections.clear()
        if path == "/techchallenge-test/signals/await" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            with _signals_lock:
                _awaiting[(body["stack"], body["resource"])] = int(body["count"])
            return _json(start_response, {"awaiting": body})
        if path == "/techchallenge-test/signals":
            with _signals_lock:
                return _json(start_response, {"received": list(_received), "refused": list(_refused)})
        if path == "/techchallenge-test/errors":
            with _errors_lock:
                return _json(start_response, {"errors": list(_errors)})
        return _recording_errors(super().__call__, environ, start_response)


def _json(start_response: Any, value: Any) -> list[bytes]:
    body = json.dumps(value).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


moto.server.DomainDispatcherApplication = _WithTestEndpoints  # type: ignore[misc]


if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
