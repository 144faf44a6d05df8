//! Who delivers a load balancer's access logs, by region. In the regions that opened before
//! August 2022 it is an account of Elastic Load Balancing's own, one per region, which the
//! bucket policy names as principal; in the others (and any region opened later) it is the
//! service principal `logdelivery.elasticloadbalancing.amazonaws.com`.
//!
//! The templates name no region outside this table: it becomes a `Mappings` table keyed by
//! region (the account, looked up with `Fn::FindInMap`) and a condition saying whether the
//! stack's region is one of its keys, which decides which bucket policy exists. A lookup of a
//! region the table does not list would fail the stack, so it is made only in the policy that
//! exists where the condition holds.

use std::collections::BTreeMap;

use cfn_template::{
    ConditionHandle, Expr, Mapping, MappingHandle, Pseudo, Template, TemplateError,
};

/// Elastic Load Balancing's log-delivery account of each region that has one (source: AWS,
/// "Enable access logs for your Application Load Balancer"). `aws` partition only.
pub const ELB_ACCOUNTS: [(&str, &str); 22] = [
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-south-1", "635631232127"),
    ("eu-west-3", "009996457667"),
    ("eu-north-1", "897822967062"),
    ("ap-east-1", "754344448648"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    // Jakarta opened in December 2021, before the service principal: it has an account too
    // (listed in the same AWS page and in terraform-provider-aws's table).
    ("ap-southeast-3", "589379963580"),
    ("ap-south-1", "718504428378"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
];

/// The mapping's logical id.
pub const MAPPING_ID: &str = "ElbLogDeliveryAccounts";
/// The second-level key of the account in the mapping.
const ACCOUNT: &str = "Account";

/// The table and the two conditions built on it.
pub struct ElbLogDelivery {
    /// Region → `Account`.
    pub accounts: MappingHandle,
    /// The stack's region has a log-delivery account.
    pub has_account: ConditionHandle,
    /// It has none: the service principal delivers.
    pub lacks_account: ConditionHandle,
}

impl ElbLogDelivery {
    /// The principal ARN of the region's log-delivery account (`arn:PARTITION:iam::ACCOUNT:root`).
    /// Only for resources that exist under [`ElbLogDelivery::has_account`].
    pub fn account_principal(&self) -> Expr {
        Expr::sub_with(
            "arn:${AWS::Partition}:iam::${ElbAccount}:root",
            [(
                "ElbAccount".to_owned(),
                self.accounts.find(Expr::pseudo(Pseudo::Region), ACCOUNT),
            )],
        )
    }
}

/// Adds the mapping and the conditions.
pub fn add(t: &mut Template) -> Result<ElbLogDelivery, TemplateError> {
    let mut mapping = Mapping::new();
    for (region, account) in ELB_ACCOUNTS {
        mapping.insert(
            region.to_owned(),
            BTreeMap::from([(ACCOUNT.to_owned(), account.to_owned())]),
        );
    }
    let accounts = t.mapping(MAPPING_ID, mapping)?;
    let listed = ELB_ACCOUNTS
        .iter()
        .map(|(region, _)| Expr::equals(Expr::pseudo(Pseudo::Region), *region))
        .collect();
    let listed = Expr::any_of(listed).unwrap_or(Expr::Bool(false));
    let has_account = t.condition("RegionHasElbAccount", listed)?;
    let lacks_account = t.condition(
        "RegionLacksElbAccount",
        Expr::negate(has_account.as_condition()),
    )?;
    Ok(ElbLogDelivery {
        accounts,
        has_account,
        lacks_account,
    })
}
