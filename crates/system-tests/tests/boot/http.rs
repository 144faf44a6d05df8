//! Plain HTTP/1.1 over loopback, enough to ask the booted app and moto a question and to make
//! sure port 3000 is free before a boot claims it.

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
    http_exchange(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
}

/// Sends one raw HTTP/1.1 request and reads the answer to the end; status and body.
pub fn http_exchange(port: u16, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    stream
        .write_all(request.as_bytes())
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
