"""What moto (5.2.5) gets wrong when CloudFormation deletes a stack, patched by `install()` for
scripts/lib/moto_server.py (see its file comment). Each patch says what AWS does. Test
infrastructure only: templates and the deployer are never changed to suit the emulator.

A. Resources moto cannot delete. moto's stack deletion silently skips every resource type whose
   model has no delete (its loop calls nothing and counts the resource as gone): route tables,
   routes, subnet associations, the internet gateway and its attachment, ELBv2 listeners, their
   rules and target groups. They stay behind, and the VPC's deletion then fails (moto refuses while a route
   table besides the main one is left). AWS deletes every resource of the stack that has no
   DeletionPolicy Retain. (The secret, a type moto lacks, is deleted by moto_server.py's model.)
B. DeletionPolicy Snapshot on AWS::RDS::DBInstance (also its default when DBClusterIdentifier is
   absent): AWS deletes the instance with a final manual snapshot, which RDS keeps after the
   stack is gone; moto deleted it without one.
C. An instance's network interfaces created at launch: AWS deletes them when the instance
   terminates (DeleteOnTermination defaults to true for them, and the application's launch
   template sets it). moto ignores a launch template's NetworkInterfaces and creates the primary
   interface with DeleteOnTermination false, so every instance the Auto Scaling group ever ran
   left an "in-use" interface in the deleted subnets and VPC.
D. A stack whose resources fail to delete: AWS's DeleteStack succeeds and the stack ends in
   DELETE_FAILED, with the remaining resources, its exports, and events saying which resource
   failed and why; DeleteStack can be retried. moto answered DeleteStack itself with the
   resource's error (e.g. DependencyViolation, an error CloudFormation never returns) and lost
   the stack: gone from DescribeStacks and ListStacks, its resources and exports left behind.
"""

import secrets
import string
from typing import Any, Callable

import moto.cloudformation.parsing as cfn_parsing
from moto.cloudformation.models import CloudFormationBackend, Event
from moto.core.exceptions import ServiceException
from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import Instance
from moto.elbv2.models import elbv2_backends
from moto.rds.models import rds_backends
from werkzeug.exceptions import HTTPException

# --- A. Deleters for the types moto leaves behind. A resource already gone counts as deleted, as
# CloudFormation treats a NotFound on delete. Dependencies still in place raise moto's own
# DependencyViolation or ResourceInUse, and moto's deletion loop retries the resource after the
# others. That retrying is kinder than CloudFormation, which deletes in reverse dependency order
# once: a missing DependsOn that would leave a stack DELETE_FAILED on AWS passes here, so
# ordering is not proven by this emulator (the templates' references are checked by validate's
# `references` rule and cfn-lint).


def _delete_internet_gateway(resource: Any, account_id: str, region_name: str) -> None:
    ec2 = ec2_backends[account_id][region_name]
    if resource.id in ec2.internet_gateways:
        ec2.delete_internet_gateway(resource.id)


def _delete_gateway_attachment(resource: Any, account_id: str, region_name: str) -> None:
    ec2 = ec2_backends[account_id][region_name]
    gateway = ec2.internet_gateways.get(resource.gateway_id)
    if gateway is not None and gateway.vpc is not None and gateway.vpc.id == resource.vpc_id:
        ec2.detach_internet_gateway(resource.gateway_id, resource.vpc_id)


def _delete_route_table(resource: Any, account_id: str, region_name: str) -> None:
    ec2 = ec2_backends[account_id][region_name]
    if resource.id in ec2.route_tables:
        ec2.delete_route_table(resource.id)


def _delete_route(resource: Any, account_id: str, region_name: str) -> None:
    ec2 = ec2_backends[account_id][region_name]
    table = ec2.route_tables.get(resource.route_table.id)
    if table is not None and resource.id in table._routes:
        table._routes.pop(resource.id)


def _delete_subnet_association(resource: Any, account_id: str, region_name: str) -> None:
    ec2 = ec2_backends[account_id][region_name]
    ec2.subnet_associations.pop(f"{resource.route_table_id}:{resource.subnet_id}", None)
    table = ec2.route_tables.get(resource.route_table_id)
    if table is not None:
        for association, subnet in list(table._associations.items()):
            if subnet == resource.subnet_id:
                table._associations.pop(association)


def _delete_listener(resource: Any, account_id: str, region_name: str) -> None:
    elbv2 = elbv2_backends[account_id][region_name]
    for balancer in elbv2.load_balancers.values():
        balancer.listeners.pop(resource.arn, None)


def _delete_listener_rule(resource: Any, account_id: str, region_name: str) -> None:
    # AWS deletes a listener's rules with it; a rule deleted on its own is removed from it.
    elbv2_backends[account_id][region_name].delete_rule(resource.arn)  # gone already: nothing


def _delete_target_group(resource: Any, account_id: str, region_name: str) -> None:
    elbv2 = elbv2_backends[account_id][region_name]
    if resource.arn in elbv2.target_groups:
        elbv2.delete_target_group(resource.arn)  # ResourceInUse while a listener forwards to it


_DELETERS: dict[str, Callable[[Any, str, str], None]] = {
    "AWS::EC2::InternetGateway": _delete_internet_gateway,
    "AWS::EC2::VPCGatewayAttachment": _delete_gateway_attachment,
    "AWS::EC2::RouteTable": _delete_route_table,
    "AWS::EC2::Route": _delete_route,
    "AWS::EC2::SubnetRouteTableAssociation": _delete_subnet_association,
    "AWS::ElasticLoadBalancingV2::Listener": _delete_listener,
    "AWS::ElasticLoadBalancingV2::ListenerRule": _delete_listener_rule,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _delete_target_group,
}


# --- B. The database's final snapshot.


def _keeps_snapshot(resource_json: dict[str, Any]) -> bool:
    policy = resource_json.get("DeletionPolicy")
    if policy is None:
        # AWS's default for an instance outside an Aurora cluster.
        return "DBClusterIdentifier" not in resource_json.get("Properties", {})
    return policy == "Snapshot"


def _delete_database_with_snapshot(resource_map: Any, logical_id: str, database: Any) -> None:
    rds = rds_backends[resource_map._account_id][resource_map._region_name]
    if database.db_instance_identifier not in rds.databases:
        return
    # CloudFormation names the snapshot after the stack and the resource, with a random suffix
    # (e.g. mystack-snapshot-database-1a2b3c4d5e6f7); RDS keeps it as a manual snapshot.
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(13))
    stack_name = resource_map._parsed_resources["AWS::StackName"]
    identifier = f"{stack_name}-snapshot-{logical_id}-{suffix}".lower()
    # Refused while deletion protection is on (checked before the snapshot is taken, as RDS does).
    rds.delete_db_instance(database.db_instance_identifier, final_db_snapshot_identifier=identifier)


_moto_delete_resource = cfn_parsing.ResourceMap._delete_resource


def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    kind = resource_json.get("Type", "")
    logical_id = parsed_resource.logical_resource_id
    failures = self.__dict__.setdefault("_techchallenge_delete_failures", {})
    try:
        if kind == "AWS::RDS::DBInstance" and _keeps_snapshot(resource_json):
            _delete_database_with_snapshot(self, logical_id, parsed_resource)
        elif kind in _DELETERS:
            _DELETERS[kind](parsed_resource, self._account_id, self._region_name)
        else:
            _moto_delete_resource(self, parsed_resource, resource_json)
    except Exception as error:
        # Kept for D's events; moto retries the resource after the others.
        failures[logical_id] = (kind, getattr(parsed_resource, "physical_resource_id", ""), error)
        raise
    failures.pop(logical_id, None)


# --- C. Network interfaces created at launch go with their instance.

_moto_prep_nics = Instance.prep_nics


def _prep_nics(self: Any, nic_spec: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
    attached = {int(n.get("DeviceIndex", 0)) for n in nic_spec if n.get("NetworkInterfaceId")}
    kept = {int(n.get("DeviceIndex", 0)) for n in nic_spec if str(n.get("DeleteOnTermination")).lower() == "false"}
    _moto_prep_nics(self, nic_spec, *args, **kwargs)
    for index, interface in self.nics.items():
        # An interface that existed before the launch keeps its own setting, as in AWS.
        if index not in attached and index not in kept:
            interface.delete_on_termination = True


# --- D. DELETE_FAILED instead of a lost stack.

_moto_delete_stack = CloudFormationBackend.delete_stack


def _live_stack(backend: CloudFormationBackend, name_or_stack_id: str) -> Any:
    """The stack DeleteStack acts on: by id, else the undeleted stack of that name."""
    if name_or_stack_id in backend.stacks:
        return backend.stacks[name_or_stack_id]
    return next((s for s in backend.stacks.values() if s.name == name_or_stack_id), None)


def _delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    stack = _live_stack(self, name_or_stack_id)
    if stack is None:
        # AWS: deleting a stack that does not exist succeeds and does nothing.
        return _moto_delete_stack(self, name_or_stack_id)
    try:
        _moto_delete_stack(self, stack.stack_id)
    except (ServiceException, HTTPException):  # a service's error, not a bug in moto
        self.stacks[stack.stack_id] = stack
        failures = stack.resource_map.__dict__.get("_techchallenge_delete_failures", {})
        for logical_id, (kind, physical_id, error) in sorted(failures.items()):
            stack.events.append(
                Event(
                    stack_id=stack.stack_id,
                    stack_name=stack.name,
                    logical_resource_id=logical_id,
                    physical_resource_id=str(physical_id or ""),
                    resource_type=kind,
                    resource_status="DELETE_FAILED",
                    resource_status_reason=getattr(error, "message", None) or str(error),
                    resource_properties=None,
                )
            )
        stack._add_stack_event(
            "DELETE_FAILED",
            resource_status_reason=f"The following resource(s) failed to delete: [{', '.join(sorted(failures))}]. ",
        )
        stack.status = "DELETE_FAILED"


def install() -> None:
    cfn_parsing.ResourceMap._delete_resource = _delete_resource
    Instance.prep_nics = _prep_nics
    CloudFormationBackend.delete_stack = _delete_stack
