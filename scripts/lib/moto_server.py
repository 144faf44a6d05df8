"""Starts moto's server with CloudFormation support for AWS::SecretsManager::Secret, which moto
5.2.5 lacks (it logs "No Moto CloudFormation support" and leaves the secret, its Ref and its
export empty, so the application stack's Fn::ImportValue of the secret ARN fails). Test
infrastructure only: the templates are not changed to suit the emulator. The secret gets a
generated password like GenerateSecretString would; nothing here reaches a real account.
Usage: python moto_server.py -H 127.0.0.1 -p 5000 (same arguments as moto_server).
"""

import json
import secrets
import string
import sys
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import secretsmanager_backends


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
        return None


if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
