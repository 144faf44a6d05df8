//! Plain HTTP/1.1 over loopback, enough to ask the booted app and moto a question and to make
//! sure port 3000 is free before a boot claims it. (The instances share the host's network.)

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// Panics unless `port` can be bound on all addresses, as the app will bind it.
pub fn assert_port_free(port: u16) {
    if let Err(e) = TcpListener::bind(("0.0.0.0", port)) {
        panic!(
            "port {port} is in use ({e}): the boot test starts the app there, as on an instance"
        );
    }
}

/// A GET to 127.0.0.1:`port`; status and body.
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    http_request(port, "GET", path, &[], b"")
}

/// A request with `headers` and `body` to 127.0.0.1:`port`; status and body.
pub fn http_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, String) {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    http_exchange(port, &request)
}

/// Sends one raw HTTP/1.1 request and reads the answer to the end; status and body.
pub fn http_exchange(port: u16, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    stream
        .write_all(request)
        .unwrap_or_else(|e| panic!("send to {port}: {e}"));
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    // Bodies may be chunked; the tests only look for substrings, which survive that.
    (status, body)
}
