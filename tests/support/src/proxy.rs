//! [`Nginx`]: Debian's nginx started on loopback as a reverse proxy in front of a
//! service, configured as an operator fronting it would (HTTP/1.1 to the upstream with
//! pooled keep-alive connections, the setting under which a desync between proxy and
//! service would poison the response queue), stopped when dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::HttpConnection;

/// The nginx binary (Debian's package installs it here; scripts/setup.sh installs it).
const NGINX: &str = "/usr/sbin/nginx";

/// How long nginx may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running nginx proxying every path to one upstream.
pub struct Nginx {
    /// Where clients connect.
    pub addr: SocketAddr,
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    /// Starts nginx on a free loopback port in front of `upstream`; waits until it
    /// accepts connections. Panics, saying how to install it, when nginx is missing.
    pub fn in_front_of(upstream: SocketAddr) -> Self {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: install Debian's nginx (scripts/setup.sh does) to run the proxy tests"
        );
        let dir = std::env::temp_dir().join(format!(
            "edge-nginx-{}-{}",
            std::process::id(),
            crate::random::random_u64()
        ));
        std::fs::create_dir_all(dir.join("logs")).expect("create the nginx directory");
        // A port nginx can take: bound and released here; if another process takes it
        // first, nginx exits with a bind error and the next port is tried.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("find a free port")
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let config = dir.join("nginx.conf");
            std::fs::write(&config, config_text(&dir, addr, upstream)).expect("write nginx.conf");
            let child = Command::new(NGINX)
                .arg("-p")
                .arg(&dir)
                .arg("-c")
                .arg(&config)
                .arg("-e")
                .arg(dir.join("logs/error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start nginx");
            let mut nginx = Nginx { addr, child, dir: dir.clone() };
            if nginx.wait_until_accepting() {
                return nginx;
            }
        }
        panic!(
            "nginx did not start; its log:\n{}",
            std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default()
        );
    }

    /// Waits until nginx accepts a connection (true) or exits (false).
    fn wait_until_accepting(&mut self) -> bool {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect(self.addr).is_ok() {
                return true;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            assert!(Instant::now() < deadline, "nginx did not accept connections within {START_TIMEOUT:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Opens a keep-alive connection to the proxy.
    pub fn connect(&self) -> HttpConnection {
        HttpConnection::open(self.addr)
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One nginx process (no master), everything it writes inside `dir`.
fn config_text(dir: &Path, listen: SocketAddr, upstream: SocketAddr) -> String {
    let dir = dir.display();
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream service {{
        server {upstream};
        keepalive 8;
    }}
    server {{
        listen {listen};
        location / {{
            proxy_pass http://service;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $host;
        }}
    }}
}}
"
    )
}
