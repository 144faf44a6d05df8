//! The instance metadata service (IMDSv2) the boot script asks for its instance id, standing in
//! on loopback; it also serves the CA bundle the script downloads (the RDS bundle on EC2).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use super::helpers::unique_tag;

/// Serves IMDSv2 (a token from `PUT /latest/api/token` is required for `instance_id`) and the
/// CA bundle at `/rds-ca.pem`, on a loopback port of its own; returns its base URL.
pub fn serve_metadata(ca: Vec<u8>, instance_id: String) -> String {
    let listener =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind metadata server: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let token = format!("token-{}", unique_tag());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer_metadata(stream, &token, &ca, &instance_id);
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Answers one request: the token to a PUT that asks for one with a TTL, the instance id only
/// to a GET bearing that token (401 without it), the CA bundle to anyone, 404 otherwise.
fn answer_metadata(
    stream: TcpStream,
    token: &str,
    ca: &[u8],
    instance_id: &str,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let authorised = headers.get("x-aws-ec2-metadata-token").map(String::as_str) == Some(token);
    let (status, body): (&str, &[u8]) = match (method, path) {
        ("PUT", "/latest/api/token")
            if headers.contains_key("x-aws-ec2-metadata-token-ttl-seconds") =>
        {
            ("200 OK", token.as_bytes())
        }
        ("GET", "/latest/meta-data/instance-id") if authorised => {
            ("200 OK", instance_id.as_bytes())
        }
        ("GET", "/latest/meta-data/instance-id") => ("401 Unauthorized", b"".as_slice()),
        ("GET", "/rds-ca.pem") => ("200 OK", ca),
        _ => ("404 Not Found", b"".as_slice()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}
