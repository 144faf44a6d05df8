//! What a user sees when AWS cannot be used, from the very first command: the real binary with
//! no region, no credentials, an expired SSO session, an endpoint that refuses connections, and
//! an endpoint that answers as AWS does when it refuses the request (AccessDenied naming the
//! action, an expired token, unknown keys). Each is one line that says what is wrong and what to
//! do, with the right exit code (a missing region is a settings error: 2), and none shows the
//! SDK's debug dump (`DispatchFailure`, `ProviderError`, ...) unless -v asks for it. The output
//! holds no colour codes when it is not a terminal.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `techchallenge status` with nothing of this machine's AWS setup: an empty home, no
/// AWS variables but `env`, no instance metadata service.
fn status(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_techchallenge"));
    command
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(home)
        .arg("status")
        .args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command
        .output()
        .unwrap_or_else(|e| panic!("run techchallenge: {e}"))
}

/// `status` with keys and a region, against the endpoint at `url`: exit 1 and a readable stderr.
fn failing_status_at(home: &Path, url: &str) -> String {
    let out = status(
        home,
        &KEYS,
        &["--region", "us-east-1", "--endpoint-url", url],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_readable(&out);
    stderr(&out)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The error is one short message, without the SDK's internals or colour codes.
fn assert_readable(out: &Output) {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out));
    for internal in [
        "DispatchFailure",
        "ProviderError",
        "ConnectorError",
        "ServiceError {",
        "SdkBody",
        "\u{1b}[",
    ] {
        assert!(!text.contains(internal), "{internal} in:\n{text}");
    }
    assert!(text.lines().count() <= 2, "one or two lines:\n{text}");
}

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "secret"),
];

#[test]
fn no_region_is_a_settings_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = status(home.path(), &KEYS, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no AWS region: pass --region REGION"),
        "{}",
        stderr(&out)
    );
    assert_readable(&out);
}

#[test]
fn no_credentials_say_how_to_configure_them() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = status(home.path(), &[], &["--region", "us-east-1"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("no AWS credentials found"), "{e}");
    assert!(
        e.contains("aws configure") && e.contains("aws sso login"),
        "{e}"
    );
    assert_readable(&out);
}

#[test]
fn an_expired_sso_session_says_to_sign_in_again() {
    let home = tempfile::tempdir().expect("tempdir");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(aws.join("sso/cache")).expect("mkdir");
    std::fs::write(
        aws.join("config"),
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = us-east-1\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
    )
    .expect("config");
    // The SDK's token cache is named by the SHA-1 of the session's name ("corp").
    std::fs::write(
        aws.join("sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        r#"{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "expired", "expiresAt": "2020-01-01T00:00:00Z"}"#,
    )
    .expect("token");
    let out = status(home.path(), &[], &["--profile", "dev"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("your AWS session has expired"), "{e}");
    assert!(e.contains("aws sso login --profile dev"), "{e}");
    assert_readable(&out);
}

#[test]
fn an_unreachable_endpoint_says_so() {
    let home = tempfile::tempdir().expect("tempdir");
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let url = format!("http://127.0.0.1:{port}");
    let e = failing_status_at(home.path(), &url);
    assert!(e.contains("could not reach AWS"), "{e}");
    assert!(e.contains("Connection refused"), "{e}");
}

/// Serves one CloudFormation error (the query protocol's XML) to every request.
fn refusing_endpoint(status: &'static str, code: &'static str, message: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().map(|a| a.port()).expect("port");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let body = format!(
                "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>4d7d5c43-test</RequestId></ErrorResponse>"
            );
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[test]
fn aws_refusing_the_request_names_the_action_and_what_to_do() {
    let home = tempfile::tempdir().expect("tempdir");
    let url = refusing_endpoint(
        "403 Forbidden",
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/techchallenge-dev-network/* because no identity-based policy allows the cloudformation:DescribeStacks action",
    );
    let e = failing_status_at(home.path(), &url);
    assert!(e.contains("AWS refused the request"), "{e}");
    assert!(
        e.contains("not authorized to perform: cloudformation:DescribeStacks"),
        "{e}"
    );
    assert!(e.contains("--profile"), "{e}");

    for (status_line, code, message, expected) in [
        (
            "400 Bad Request",
            "ExpiredToken",
            "The security token included in the request is expired",
            "your AWS credentials have expired",
        ),
        (
            "403 Forbidden",
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            "AWS does not accept these credentials",
        ),
    ] {
        let e = failing_status_at(home.path(), &refusing_endpoint(status_line, code, message));
        assert!(e.contains(expected), "{code}: {e}");
    }
}

#[test]
fn with_v_the_details_show_and_still_without_colour_codes() {
    let home = tempfile::tempdir().expect("tempdir");
    let url = refusing_endpoint("403 Forbidden", "AccessDenied", "not authorized");
    let out = status(
        home.path(),
        &[KEYS[0], KEYS[1], ("NO_COLOR", "1")],
        &["--region", "us-east-1", "--endpoint-url", &url, "-vv"],
    );
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("DEBUG"), "-vv logs the details: {e}");
    assert!(!e.contains('\u{1b}'), "no colour codes: {e}");
}
