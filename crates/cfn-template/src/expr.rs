//! Values of a template: literals and the intrinsic functions, always written in their long
//! form (`Fn::GetAtt: [Db, Endpoint.Address]`), which every CloudFormation tool reads the same way.
//!
//! `Ref` and `Fn::GetAtt` on a resource can only be made from that resource's [`Handle`]
//! (see [`crate::Template::add`]) or a [`crate::ParameterHandle`], so a typo cannot compile;
//! references that still dangle (a handle used in the wrong template) are refused at render.
//!
//! [`Handle`]: crate::Handle

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// A value in a template: a literal or an intrinsic function.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string literal.
    String(String),
    /// An integer literal.
    Int(i64),
    /// A boolean literal.
    Bool(bool),
    /// A list of values.
    List(Vec<Expr>),
    /// A map of values (used for free-form properties such as policy documents).
    Map(BTreeMap<String, Expr>),
    /// `Ref`: a parameter, a resource or a pseudo parameter.
    Ref(String),
    /// `Fn::GetAtt`: an attribute of a resource.
    GetAtt(String, String),
    /// `Fn::Sub`: a string with `${Name}` substitutions and optional local variables.
    Sub(String, BTreeMap<String, Expr>),
    /// `Fn::Join`: values joined by a separator.
    Join(String, Vec<Expr>),
    /// `Fn::Select`: one item of a list.
    Select(u32, Box<Expr>),
    /// `Fn::GetAZs`: the availability zones of a region (`""` means the stack's region).
    GetAzs(Box<Expr>),
    /// `Fn::ImportValue`: a value exported by another stack.
    ImportValue(Box<Expr>),
    /// `Fn::Base64`: a value encoded in base64 (UserData).
    Base64(Box<Expr>),
    /// `Fn::FindInMap`: a value of the template's `Mappings` (map name, top-level key,
    /// second-level key). Made by [`crate::MappingHandle::find`].
    FindInMap(String, Box<Expr>, Box<Expr>),
    /// `Fn::If`: one of two values, by a condition of the template's `Conditions`. Made by
    /// [`crate::ConditionHandle::choose`].
    If(String, Box<Expr>, Box<Expr>),
    /// `Fn::Equals`, in a condition.
    Equals(Box<Expr>, Box<Expr>),
    /// `Fn::Or` of 2 to 10 conditions (see [`Expr::any_of`], which nests longer lists).
    Or(Vec<Expr>),
    /// `Fn::Not`, in a condition.
    Not(Box<Expr>),
    /// `{"Condition": NAME}`: another condition, inside a condition. Made by
    /// [`crate::ConditionHandle::as_condition`].
    Condition(String),
}

/// The pseudo parameters CloudFormation defines in every stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pseudo {
    /// `AWS::AccountId`
    AccountId,
    /// `AWS::Partition` (`aws`, `aws-cn`, `aws-us-gov`): needed to build ARNs that work everywhere.
    Partition,
    /// `AWS::Region`
    Region,
    /// `AWS::StackName`
    StackName,
    /// `AWS::StackId`
    StackId,
    /// `AWS::URLSuffix` (`amazonaws.com` in most partitions).
    UrlSuffix,
    /// `AWS::NoValue`: removes a property when used in a condition.
    NoValue,
}

impl Pseudo {
    /// The name as written after `Ref`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::Region => "AWS::Region",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }

    /// Whether `name` is one of the pseudo parameters.
    pub fn is_pseudo(name: &str) -> bool {
        name.starts_with("AWS::")
    }
}

impl Expr {
    /// `Ref` to a pseudo parameter.
    pub fn pseudo(p: Pseudo) -> Self {
        Expr::Ref(p.name().to_owned())
    }

    /// `Fn::Sub` without local variables.
    pub fn sub(text: impl Into<String>) -> Self {
        Expr::Sub(text.into(), BTreeMap::new())
    }

    /// `Fn::Sub` with local variables, e.g. to substitute a handle's attribute.
    pub fn sub_with(
        text: impl Into<String>,
        vars: impl IntoIterator<Item = (String, Expr)>,
    ) -> Self {
        Expr::Sub(text.into(), vars.into_iter().collect())
    }

    /// `Fn::Join`.
    pub fn join(separator: impl Into<String>, parts: impl IntoIterator<Item = Expr>) -> Self {
        Expr::Join(separator.into(), parts.into_iter().collect())
    }

    /// `Fn::Select [index, Fn::GetAZs ""]`: the `index`-th availability zone of the stack's
    /// region, which keeps the template free of region-specific names.
    pub fn availability_zone(index: u32) -> Self {
        Expr::Select(index, Box::new(Expr::GetAzs(Box::new(Expr::from("")))))
    }

    /// `Fn::ImportValue`.
    pub fn import(export_name: impl Into<Expr>) -> Self {
        Expr::ImportValue(Box::new(export_name.into()))
    }

    /// `Fn::Base64`.
    pub fn base64(value: impl Into<Expr>) -> Self {
        Expr::Base64(Box::new(value.into()))
    }

    /// A dynamic reference to a JSON key of a Secrets Manager secret
    /// (`{{resolve:secretsmanager:ID:SecretString:KEY}}`), given the logical id of the secret
    /// in the same template (see `Handle<Secret>::value`). CloudFormation resolves it when it
    /// calls the service, so the value never appears in the template or the stack's parameters.
    pub(crate) fn secrets_manager_value(secret_logical_id: &str, json_key: &str) -> Self {
        Expr::sub(format!(
            "{{{{resolve:secretsmanager:${{{secret_logical_id}}}:SecretString:{json_key}}}}}"
        ))
    }

    /// A dynamic reference to a JSON key of a Secrets Manager secret given by an expression
    /// (e.g. an imported ARN): `Fn::Sub` with the id as a local variable.
    pub fn secrets_manager_value_of(secret_id: Expr, json_key: &str) -> Self {
        Expr::sub_with(
            format!("{{{{resolve:secretsmanager:${{SecretId}}:SecretString:{json_key}}}}}"),
            [("SecretId".to_owned(), secret_id)],
        )
    }

    /// A dynamic reference to a plain SSM parameter (`{{resolve:ssm:NAME}}`).
    pub fn ssm_value(parameter_name: &str) -> Self {
        Expr::String(format!("{{{{resolve:ssm:{parameter_name}}}}}"))
    }

    /// `Fn::Equals`: whether two values are equal (conditions only).
    pub fn equals(a: impl Into<Expr>, b: impl Into<Expr>) -> Self {
        Expr::Equals(Box::new(a.into()), Box::new(b.into()))
    }

    /// `Fn::Not` of a condition (conditions only).
    pub fn negate(condition: Expr) -> Self {
        Expr::Not(Box::new(condition))
    }

    /// Whether any of `conditions` holds: one condition as it is, 2 to 10 in one `Fn::Or`, more
    /// nested in `Fn::Or`s of at most 10 each (CloudFormation's limit for one `Fn::Or`). `None`
    /// when the list is empty, which no condition can express.
    pub fn any_of(mut conditions: Vec<Expr>) -> Option<Self> {
        const MAX: usize = 10;
        match conditions.len() {
            0 => None,
            1 => conditions.pop(),
            n if n <= MAX => Some(Expr::Or(conditions)),
            n => {
                // As few groups as the limit allows, of near-equal sizes (a group of one is that
                // condition itself), nested again if there are more than ten groups.
                let groups = n.div_ceil(MAX);
                let size = n.div_ceil(groups);
                let mut nested = Vec::with_capacity(groups);
                while !conditions.is_empty() {
                    let rest = conditions.split_off(size.min(conditions.len()));
                    nested.extend(Expr::any_of(std::mem::replace(&mut conditions, rest)));
                }
                Expr::any_of(nested)
            }
        }
    }

    /// A list of literal strings.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Self {
        Expr::List(items.into_iter().map(|s| Expr::String(s.into())).collect())
    }

    /// A map from literal keys, for free-form JSON-like properties.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Expr)>) -> Self {
        Expr::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::String(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::String(s)
    }
}

impl From<i64> for Expr {
    fn from(n: i64) -> Self {
        Expr::Int(n)
    }
}

impl From<u32> for Expr {
    fn from(n: u32) -> Self {
        Expr::Int(i64::from(n))
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

impl From<Vec<Expr>> for Expr {
    fn from(items: Vec<Expr>) -> Self {
        Expr::List(items)
    }
}

fn single<S: Serializer, V: Serialize + ?Sized>(
    s: S,
    key: &str,
    value: &V,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(1))?;
    map.serialize_entry(key, value)?;
    map.end()
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::String(v) => s.serialize_str(v),
            Expr::Int(v) => s.serialize_i64(*v),
            Expr::Bool(v) => s.serialize_bool(*v),
            Expr::List(items) => items.serialize(s),
            Expr::Map(entries) => entries.serialize(s),
            Expr::Ref(target) => single(s, "Ref", target),
            Expr::GetAtt(target, attribute) => single(s, "Fn::GetAtt", &[target, attribute]),
            Expr::Sub(text, vars) if vars.is_empty() => single(s, "Fn::Sub", text),
            Expr::Sub(text, vars) => single(s, "Fn::Sub", &(text, vars)),
            Expr::Join(sep, parts) => single(s, "Fn::Join", &(sep, parts)),
            Expr::Select(index, list) => single(s, "Fn::Select", &(index.to_string(), list)),
            Expr::GetAzs(region) => single(s, "Fn::GetAZs", region),
            Expr::ImportValue(name) => single(s, "Fn::ImportValue", name),
            Expr::Base64(value) => single(s, "Fn::Base64", value),
            Expr::FindInMap(map, top, second) => single(s, "Fn::FindInMap", &(map, top, second)),
            Expr::If(condition, then, otherwise) => {
                single(s, "Fn::If", &(condition, then, otherwise))
            }
            Expr::Equals(a, b) => single(s, "Fn::Equals", &(a, b)),
            Expr::Or(items) => single(s, "Fn::Or", items),
            Expr::Not(condition) => single(s, "Fn::Not", &[condition]),
            Expr::Condition(name) => single(s, "Condition", name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(e: &Expr) -> serde_json::Value {
        serde_json::to_value(e).unwrap_or_default()
    }

    #[test]
    fn get_att_is_written_in_long_form() {
        let e = Expr::GetAtt("Db".into(), "Endpoint.Address".into());
        assert_eq!(
            render(&e),
            json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})
        );
    }

    #[test]
    fn ref_and_pseudo() {
        assert_eq!(render(&Expr::Ref("Vpc".into())), json!({"Ref": "Vpc"}));
        assert_eq!(
            render(&Expr::pseudo(Pseudo::Region)),
            json!({"Ref": "AWS::Region"})
        );
    }

    #[test]
    fn sub_with_and_without_variables() {
        assert_eq!(
            render(&Expr::sub("${AWS::StackName}-x")),
            json!({"Fn::Sub": "${AWS::StackName}-x"})
        );
        let e = Expr::sub_with("h=${H}", [("H".to_owned(), Expr::Ref("Db".into()))]);
        assert_eq!(
            render(&e),
            json!({"Fn::Sub": ["h=${H}", {"H": {"Ref": "Db"}}]})
        );
    }

    #[test]
    fn join_select_getazs_import_base64() {
        assert_eq!(
            render(&Expr::join("-", [Expr::from("a"), Expr::from("b")])),
            json!({"Fn::Join": ["-", ["a", "b"]]})
        );
        assert_eq!(
            render(&Expr::availability_zone(1)),
            json!({"Fn::Select": ["1", {"Fn::GetAZs": ""}]})
        );
        assert_eq!(
            render(&Expr::import("dev-network-VpcId")),
            json!({"Fn::ImportValue": "dev-network-VpcId"})
        );
        assert_eq!(render(&Expr::base64("x")), json!({"Fn::Base64": "x"}));
    }

    #[test]
    fn condition_functions() {
        let region = || Expr::pseudo(Pseudo::Region);
        assert_eq!(
            render(&Expr::negate(Expr::equals(region(), "a"))),
            json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Region"}, "a"]}]})
        );
        assert_eq!(
            render(&Expr::If(
                "C".into(),
                Box::new("x".into()),
                Box::new(Expr::pseudo(Pseudo::NoValue))
            )),
            json!({"Fn::If": ["C", "x", {"Ref": "AWS::NoValue"}]})
        );
        assert_eq!(
            render(&Expr::FindInMap(
                "M".into(),
                Box::new(region()),
                Box::new("Account".into())
            )),
            json!({"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "Account"]})
        );
        assert_eq!(
            render(&Expr::Condition("C".into())),
            json!({"Condition": "C"})
        );
    }

    #[test]
    fn any_of_keeps_each_or_within_two_to_ten_conditions() {
        let conditions = |n: usize| {
            (0..n)
                .map(|i| Expr::equals(Expr::Int(i as i64), Expr::Int(0)))
                .collect()
        };
        assert_eq!(Expr::any_of(Vec::new()), None);
        assert!(matches!(
            Expr::any_of(conditions(1)),
            Some(Expr::Equals(..))
        ));
        fn check(e: &Expr) -> usize {
            match e {
                Expr::Or(items) => {
                    assert!(
                        (2..=10).contains(&items.len()),
                        "{} in one Fn::Or",
                        items.len()
                    );
                    items.iter().map(check).sum()
                }
                _ => 1,
            }
        }
        for n in [2, 10, 11, 21, 101] {
            let any = Expr::any_of(conditions(n));
            assert_eq!(any.as_ref().map(check), Some(n), "{n}");
        }
    }

    #[test]
    fn dynamic_references() {
        let e = Expr::secrets_manager_value("Secret", "password");
        assert_eq!(
            render(&e),
            json!({"Fn::Sub": "{{resolve:secretsmanager:${Secret}:SecretString:password}}"})
        );
        assert_eq!(
            render(&Expr::secrets_manager_value_of(
                Expr::import("x-Arn"),
                "password"
            )),
            json!({"Fn::Sub": [
                "{{resolve:secretsmanager:${SecretId}:SecretString:password}}",
                {"SecretId": {"Fn::ImportValue": "x-Arn"}}
            ]})
        );
        assert_eq!(
            render(&Expr::ssm_value("/a/b")),
            json!("{{resolve:ssm:/a/b}}")
        );
    }
}
