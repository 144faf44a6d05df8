//! A database that is not there yet: a TCP port that refuses connections for a while (as an RDS
//! instance still being created does), then forwards every connection to the real PostgreSQL.
//! TLS passes through untouched, so verify-full still checks the server's certificate.

use std::io::copy;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

/// Starts refusing on a free loopback port; after `delay`, forwards it to `target_port`.
/// Returns the port.
pub fn delayed_database(target_port: u16, delay: Duration) -> u16 {
    // Reserve a port number, then give it back: nothing listens there until the delay is over.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"));
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("bind the database proxy on {port}: {e}"));
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || forward(client, target_port));
        }
    });
    port
}

fn forward(client: TcpStream, target_port: u16) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
        return;
    };
    let (Ok(mut client_read), Ok(mut server_write)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let upstream = std::thread::spawn(move || {
        let _ = copy(&mut client_read, &mut server_write);
        let _ = server_write.shutdown(Shutdown::Write);
    });
    let (mut server_read, mut client_write) = (server, client);
    let _ = copy(&mut server_read, &mut client_write);
    let _ = client_write.shutdown(Shutdown::Write);
    let _ = upstream.join();
}
