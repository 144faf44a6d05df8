//! Which failed launches waiting cannot fix. An auto scaling group that cannot launch an
//! instance keeps trying; CloudFormation only gives up when its signal timeout ends, fifteen
//! minutes later. For the errors named here retrying cannot help (the same request fails the
//! same way), so the deployer stops waiting and says what to do. Everything else, capacity
//! shortages first, AWS may still get past: those are reported and waited out.
//!
//! Matched on the words of the scaling activity's status message (the EC2 error code is not
//! given separately), as AWS writes them.

/// One launch error waiting cannot fix: how to recognise it, and what to do.
struct Hopeless {
    /// Any of these in the status message identifies it.
    markers: &'static [&'static str],
    /// What to do.
    advice: &'static str,
}

const HOPELESS: &[Hopeless] = &[
    Hopeless {
        markers: &["does not match the architecture", "architecture 'arm64'"],
        advice: "use an instance type of the image's architecture (x86_64: t3, m7i, c7i, ...) in application.instance_type",
    },
    Hopeless {
        markers: &[
            "is not supported in your requested Availability Zone",
            "The requested configuration is currently not supported",
            "instance type is not supported",
            "Unsupported",
        ],
        advice: "choose an instance type offered in both availability zones of the region (application.instance_type)",
    },
    Hopeless {
        markers: &["InvalidAMIID", "The image id", "image id '[ami-"],
        advice: "deploy with --update-image to move to the current Amazon Linux 2023 image",
    },
    Hopeless {
        markers: &[
            "VcpuLimitExceeded",
            "You have requested more vCPU capacity than your current vCPU limit",
            "InstanceLimitExceeded",
        ],
        advice: "ask AWS for a higher EC2 vCPU quota (Service Quotas), or use fewer or smaller instances",
    },
    Hopeless {
        markers: &["InvalidParameterValue", "InvalidParameterCombination"],
        advice: "the launch template is refused as written; check the stack's parameters and the reason above, then deploy again",
    },
];

/// Markers of failures AWS retries by itself: never hopeless, whatever else the message says.
/// The IAM ones are there because an instance profile created moments earlier in the same stack
/// is refused until IAM has propagated it, and the group's retries then succeed; a lasting IAM
/// problem shows as the signal timeout, with these activities in the report.
const TRANSIENT: &[&str] = &[
    "InsufficientInstanceCapacity",
    "do not have sufficient",
    "RequestLimitExceeded",
    "InternalError",
    "Server.",
    "iamInstanceProfile",
    "Invalid IamInstanceProfile",
    "is not authorized to perform",
];

/// For a failed launch's status message: `Some(advice)` when waiting cannot fix it.
pub fn hopeless(message: &str) -> Option<&'static str> {
    if TRANSIENT.iter().any(|m| message.contains(m)) {
        return None;
    }
    HOPELESS
        .iter()
        .find(|h| h.markers.iter().any(|m| message.contains(m)))
        .map(|h| h.advice)
}

/// What to do about a failed launch AWS keeps retrying.
pub const WAIT_ADVICE: &str =
    "AWS keeps trying; if it persists, pick another instance type or availability zones";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_messages_that_waiting_cannot_fix_are_hopeless() {
        for message in [
            "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI. Launching EC2 instance failed.",
            "Your requested instance type (m7i.large) is not supported in your requested Availability Zone (us-east-1e). Please retry your request by not specifying an Availability Zone or choosing us-east-1a, us-east-1b. Launching EC2 instance failed.",
            "The requested configuration is currently not supported. Please check the documentation for supported configurations. Launching EC2 instance failed.",
            "You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit. Launching EC2 instance failed.",
            "The image id '[ami-0123456789abcdef0]' does not exist. Launching EC2 instance failed.",
        ] {
            assert!(hopeless(message).is_some(), "{message}");
        }
    }

    #[test]
    fn capacity_and_throttling_are_waited_out() {
        for message in [
            "We currently do not have sufficient t3.micro capacity in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity. Launching EC2 instance failed.",
            "InsufficientInstanceCapacity: We currently do not have sufficient capacity. Unsupported",
            "Request limit exceeded. RequestLimitExceeded. Launching EC2 instance failed.",
            "An internal error has occurred. Launching EC2 instance failed.",
            // A profile created in the same stack, not yet propagated by IAM: the retries succeed.
            "Value (techchallenge-dev-app) for parameter iamInstanceProfile.name is invalid. Invalid IamInstanceProfile name. Launching EC2 instance failed.",
            "Value (techchallenge-dev-app) for parameter iamInstanceProfile.name is invalid. InvalidParameterValue. Launching EC2 instance failed.",
        ] {
            assert_eq!(hopeless(message), None, "{message}");
        }
    }
}
